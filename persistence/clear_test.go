package persistence_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// TestClearCompletedBefore deletes only the jobs that finished before the
// given time, with an injected clock setting when each one finished.
func TestClearCompletedBefore(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	clk := newClock(t1)
	s := openStore(t, newPath(t), persistence.Options{Now: clk.Now})
	ctx := t.Context()

	completedAt := func(at time.Time) persistence.JobID {
		clk.Set(at)
		j := newJob()
		insert(t, s, at, j)
		exec := claim(t, s, j.ID)
		finish(t, s, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted})
		return j.ID
	}
	cancelledAt := func(at time.Time) persistence.JobID {
		clk.Set(at)
		j := newJob()
		insert(t, s, at, j)
		write(t, s, func() error { _, err := s.Cancel(j.ID); return err })
		return j.ID
	}
	first := completedAt(t1)
	second := cancelledAt(t2)
	third := completedAt(t3)
	clk.Set(t1)
	failed := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 1 })
	insert(t, s, t1, failed)
	finish(t, s, persistence.Finish{JobID: failed.ID, ExecutionID: claim(t, s, failed.ID), Outcome: persistence.OutcomeFailed})

	clearBefore := func(before time.Time) int {
		t.Helper()
		var n int
		write(t, s, func() (err error) { n, err = s.ClearCompleted(before); return err })
		return n
	}
	exists := func(id persistence.JobID) bool {
		_, err := s.Job(ctx, id)
		if err != nil {
			require.ErrorIs(t, err, persistence.ErrNotFound)
		}
		return err == nil
	}

	require.Zero(t, clearBefore(t1), "strictly before")
	require.Equal(t, 1, clearBefore(t2))
	require.False(t, exists(first))
	require.True(t, exists(second))
	require.Equal(t, 1, clearBefore(t2.Add(time.Nanosecond)))
	require.False(t, exists(second))
	require.Equal(t, 1, clearBefore(time.Time{}), "the zero time clears all")
	require.False(t, exists(third))
	require.True(t, exists(failed.ID), "a failed job is kept")

	st, err := s.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, persistence.Stats{Failed: 1, Total: 1}, st)
}
