package persistence_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func TestBackoffDelays(t *testing.T) {
	t.Parallel()
	b := persistence.Backoff{Base: time.Second, Factor: 3, Max: 20 * time.Second}
	for n, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 3 * time.Second, 3: 9 * time.Second, 4: 20 * time.Second, 50: 20 * time.Second} {
		require.Equal(t, want, b.Ceiling(n), "retry %d", n)
		require.Equal(t, want, b.Delay(n, 0.99), "retry %d, no jitter", n)
	}
	// Factor 0 is 2; no Max is no cap, and no overflow either.
	require.Equal(t, 8*time.Second, persistence.Backoff{Base: time.Second}.Ceiling(4))
	require.Equal(t, time.Duration(math.MaxInt64), persistence.Backoff{Base: time.Second}.Ceiling(10_000))

	// Jitter takes up to its fraction off the delay.
	j := persistence.Backoff{Base: time.Second, Factor: 2, Jitter: 0.25}
	require.Equal(t, 4*time.Second, j.Delay(3, 0))
	require.Equal(t, 3*time.Second, j.Delay(3, 1))
	require.Equal(t, 3500*time.Millisecond, j.Delay(3, 0.5))
	full := persistence.Backoff{Base: time.Second, Jitter: 1}
	require.Equal(t, time.Duration(0), full.Delay(1, 1))
}

func TestBackoffValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, persistence.Backoff{Base: time.Second}.WithDefaults().Validate())
	require.NoError(t, persistence.Backoff{Base: time.Second, Factor: 1, Max: time.Second, Jitter: 1}.Validate())
	for want, b := range map[string]persistence.Backoff{
		"Backoff.Base":   {Factor: 2},
		"Backoff.Factor": {Base: time.Second},
		"Backoff.Max":    {Base: time.Second, Factor: 2, Max: time.Millisecond},
		"Backoff.Jitter": {Base: time.Second, Factor: 2, Jitter: -0.1},
	} {
		require.ErrorContains(t, b.Validate(), want)
	}
	require.ErrorContains(t, persistence.Backoff{Base: time.Second, Factor: math.NaN()}.Validate(), "Backoff.Factor")
}

// TestFinishBackoff: a job with a Backoff waits its policy's delay for
// each retry (the store's clock is injected, so exact without jitter).
func TestFinishBackoff(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		b      persistence.Backoff
		delays []time.Duration // each in [d*(1-Jitter), d]
	}{
		{"Exact", persistence.Backoff{Base: 2 * time.Second, Factor: 3, Max: 10 * time.Second},
			[]time.Duration{2 * time.Second, 6 * time.Second, 10 * time.Second}},
		{"Jittered", persistence.Backoff{Base: time.Second, Factor: 2, Jitter: 0.5},
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(start)
			s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
			j := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 4; j.Backoff = &tc.b })
			insert(t, s, start, j)
			got, err := s.Job(t.Context(), j.ID)
			require.NoError(t, err)
			want := tc.b.WithDefaults()
			require.Equal(t, &want, got.Backoff)

			for i, d := range tc.delays {
				exec := claim(t, s, j.ID)
				clk.Advance(time.Second)
				failedAt := clk.Now()
				outcome := persistence.OutcomeFailed
				if i == 1 {
					outcome = persistence.OutcomeTimeout // timeouts back off the same way
				}
				out := finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: outcome, Error: "boom"})
				require.Equal(t, persistence.StatusPending, out.Status)
				gap := out.Job.RetryAfter.Sub(failedAt)
				require.LessOrEqual(t, gap, d, "retry %d", i+1)
				require.GreaterOrEqual(t, gap, time.Duration(float64(d)*(1-tc.b.Jitter)), "retry %d", i+1)
				if tc.b.Jitter == 0 {
					require.Equal(t, d, gap, "retry %d", i+1)
				}
				clk.Set(out.Job.RetryAfter)
			}
			exec := claim(t, s, j.ID)
			out := finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeFailed, Error: "last"})
			require.Equal(t, persistence.StatusFailed, out.Status)
			require.True(t, out.Job.RetryAfter.IsZero())
		})
	}

	t.Run("NoPolicyKeepsRetryDelay", func(t *testing.T) {
		t.Parallel()
		clk := newClock(start)
		s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
		j := newJob(func(j *persistence.NewJob) { j.RetryDelay = 5 * time.Second })
		insert(t, s, start, j)
		got, err := s.Job(t.Context(), j.ID)
		require.NoError(t, err)
		require.Nil(t, got.Backoff)
		exec := claim(t, s, j.ID)
		out := finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeFailed, Error: "boom"})
		require.Equal(t, start.Add(5*time.Second), out.Job.RetryAfter)
	})
}

func TestFinishSkipRetry(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := newClock(start)
	s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
	parent := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 5; j.RetryDelay = time.Minute })
	child := newJob(func(j *persistence.NewJob) { j.Dependencies = []persistence.JobID{parent.ID} })
	insert(t, s, start, parent, child)
	exec := claim(t, s, parent.ID)
	clk.Advance(time.Second)
	out := finish(t, s, persistence.Finish{JobID: parent.ID, ExecutionID: exec, Outcome: persistence.OutcomeSkipRetry, Error: "bad input"})
	require.Equal(t, persistence.StatusFailed, out.Status)
	require.Equal(t, 1, out.Attempts)
	require.Len(t, out.Cascade.Cancelled, 1, "a final failure cancels the dependents")
	require.Equal(t, child.ID, out.Cascade.Cancelled[0].Job.ID)

	got, err := s.Job(t.Context(), parent.ID)
	require.NoError(t, err)
	require.Equal(t, persistence.StatusFailed, got.Status)
	require.Equal(t, "bad input", got.Error)
	require.Equal(t, clk.Now(), got.CompletedAt)
	require.True(t, got.RetryAfter.IsZero())
	es, err := s.Executions(t.Context(), parent.ID)
	require.NoError(t, err)
	require.Len(t, es, 1)
	require.Equal(t, persistence.ExecutionFailed, es[0].Status)
	require.Equal(t, "bad input", es[0].Error)

	// A second report of the same attempt is refused and writes nothing.
	require.NoError(t, s.Begin())
	_, err = s.Finish(persistence.Finish{JobID: parent.ID, ExecutionID: exec, Outcome: persistence.OutcomeSkipRetry, Error: "again"})
	require.NoError(t, s.Rollback())
	require.ErrorIs(t, err, persistence.ErrInvalidTransition)
}

func TestFinishSnoozed(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := newClock(start)
	s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
	ctx := t.Context()
	j := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 1 })
	insert(t, s, start, j)
	exec := claim(t, s, j.ID)
	clk.Advance(time.Second)
	due := clk.Now().Add(30 * time.Second)
	out := finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeSnoozed, Snooze: 30 * time.Second})
	require.Equal(t, persistence.StatusPending, out.Status)
	require.Equal(t, 0, out.Attempts, "a snooze does not use an attempt")
	require.Equal(t, due, out.Job.RetryAfter)

	got, err := s.Job(ctx, j.ID)
	require.NoError(t, err)
	require.Equal(t, persistence.StatusPending, got.Status)
	require.Equal(t, 0, got.Attempts)
	require.Equal(t, due, got.RetryAfter)
	require.Equal(t, "snoozed for 30s", got.Error)
	es, err := s.Executions(ctx, j.ID)
	require.NoError(t, err)
	require.Len(t, es, 1)
	require.Equal(t, persistence.ExecutionSnoozed, es[0].Status)
	require.Equal(t, "snoozed for 30s", es[0].Error)
	delayed, err := s.DelayedJobs(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, []persistence.JobID{j.ID}, jobIDs(delayed))

	// Not claimable before the snooze ends; then it runs, and its one
	// attempt is still there.
	clk.Set(due.Add(-time.Millisecond))
	require.NoError(t, s.Begin())
	_, err = s.Claim(persistence.Claim{JobID: j.ID, ExecutionID: "early", WorkerID: "worker-1"})
	require.NoError(t, s.Commit())
	require.ErrorIs(t, err, persistence.ErrNotDue)
	clk.Set(due)
	exec = claim(t, s, j.ID)
	out = finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted, Result: []byte(`1`)})
	require.Equal(t, persistence.StatusCompleted, out.Status)
	require.Equal(t, 1, out.Attempts)

	// A zero snooze makes the job ready at once; a stale one is refused.
	k := newJob()
	insert(t, s, clk.Now(), k)
	exec = claim(t, s, k.ID)
	out = finish(t, s, persistence.Finish{JobID: k.ID, ExecutionID: exec, Outcome: persistence.OutcomeSnoozed})
	require.Equal(t, persistence.StatusPending, out.Status)
	require.True(t, out.Job.RetryAfter.IsZero())
	require.NoError(t, s.Begin())
	_, err = s.Finish(persistence.Finish{JobID: k.ID, ExecutionID: exec, Outcome: persistence.OutcomeSnoozed, Snooze: time.Second})
	require.NoError(t, s.Rollback())
	require.ErrorIs(t, err, persistence.ErrInvalidTransition)
}
