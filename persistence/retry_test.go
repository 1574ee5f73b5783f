package persistence_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// TestRetryDelay moves an injected clock (Options.Now) past a retry
// delay instead of waiting for it.
func TestRetryDelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		outcome persistence.Outcome
		delay   time.Duration
	}{
		{"FailedAttempt", persistence.OutcomeFailed, 30 * time.Second},
		{"TimedOutAttempt", persistence.OutcomeTimeout, 30 * time.Second},
		{"SubSecondDelay", persistence.OutcomeFailed, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A whole millisecond: retry_after is stored to the millisecond.
			start := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
			clk := newClock(start)
			s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
			ctx := t.Context()
			j := newJob(func(j *persistence.NewJob) { j.RetryDelay = tc.delay })
			insert(t, s, start, j)

			exec := claim(t, s, j.ID)
			clk.Advance(2 * time.Second) // the attempt ran for 2s
			due := clk.Now().Add(tc.delay)
			out := finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: tc.outcome, Error: "boom"})

			require.Equal(t, persistence.StatusPending, out.Status)
			require.Equal(t, due, out.Job.RetryAfter)
			got, err := s.Job(ctx, j.ID)
			require.NoError(t, err)
			require.Equal(t, due, got.RetryAfter)
			delayed, err := s.DelayedJobs(ctx, 10)
			require.NoError(t, err)
			require.Equal(t, []persistence.JobID{j.ID}, jobIDs(delayed))
			require.Equal(t, due, delayed[0].RetryAfter)

			// A millisecond early: not due, and nothing changes.
			clk.Set(due.Add(-time.Millisecond))
			ready, err := s.ReadyJobs(ctx, 10, []string{j.Function})
			require.NoError(t, err)
			require.Empty(t, ready)
			require.NoError(t, s.Begin())
			_, err = s.Claim(persistence.Claim{JobID: j.ID, ExecutionID: "early", WorkerID: "worker-1"})
			require.NoError(t, s.Commit())
			require.ErrorIs(t, err, persistence.ErrNotDue)
			after, err := s.Job(ctx, j.ID)
			require.NoError(t, err)
			require.Equal(t, got, after)
			es, err := s.Executions(ctx, j.ID)
			require.NoError(t, err)
			require.Len(t, es, 1)

			// Due: ready, and the claim works.
			clk.Set(due)
			ready, err = s.ReadyJobs(ctx, 10, []string{j.Function})
			require.NoError(t, err)
			require.Equal(t, []persistence.JobID{j.ID}, jobIDs(ready))
			claim(t, s, j.ID)
			got, err = s.Job(ctx, j.ID)
			require.NoError(t, err)
			require.Equal(t, persistence.StatusRunning, got.Status)
			require.Equal(t, 2, got.Attempts)
			require.True(t, got.RetryAfter.IsZero())
			require.Equal(t, due, got.StartedAt)
			delayed, err = s.DelayedJobs(ctx, 10)
			require.NoError(t, err)
			require.Empty(t, delayed)
		})
	}
}
