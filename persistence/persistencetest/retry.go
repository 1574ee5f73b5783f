package persistencetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// These tests use the store's own clock, so the delays are long enough
// never to pass during a test. Moving a clock forward is tested in package
// persistence, where the clock can be injected.

func testRetryDelay(t *testing.T, b *bundle) {
	const delay = time.Hour
	j := newJob(retryDelay(delay))
	b.insert(t, j)
	exec := b.claim(t, j.ID)
	from := time.Now()
	out := b.fail(t, j.ID, exec, "boom")
	to := time.Now()

	require.Equal(t, persistence.StatusPending, out.Status)
	// retry_after is stored to the millisecond.
	within(t, out.Job.RetryAfter, from.Add(delay-time.Millisecond), to.Add(delay+time.Millisecond))
	got := b.job(t, j.ID)
	require.Equal(t, persistence.StatusPending, got.Status)
	sameTime(t, out.Job.RetryAfter, got.RetryAfter)

	before := b.snapshot(t, j.ID)
	err := b.direct(t, func() error {
		_, err := b.s.Claim(persistence.Claim{JobID: j.ID, ExecutionID: newExecID(), WorkerID: "worker-1"})
		return err
	})
	require.ErrorIs(t, err, persistence.ErrNotDue)
	require.NotErrorIs(t, err, persistence.ErrInvalidTransition)
	require.Contains(t, err.Error(), string(j.ID))
	require.Equal(t, before, b.snapshot(t, j.ID), "a claim before the retry delay changed the job")

	require.NotContains(t, b.ready(t, 100, j.Function), j.ID)
	delayed, err := b.s.DelayedJobs(b.ctx, 100)
	require.NoError(t, err)
	require.Len(t, delayed, 1)
	require.Equal(t, j.ID, delayed[0].ID)
	require.Equal(t, j.Function, delayed[0].Function)
	sameTime(t, got.RetryAfter, delayed[0].RetryAfter)
	sameTime(t, got.CreatedAt, delayed[0].CreatedAt)
}

func testDelayedJobsOrder(t *testing.T, b *bundle) {
	var ids []persistence.JobID
	// Fail them in reverse order of their delays: the shortest delay is
	// due first even though it was scheduled last.
	for _, d := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour} {
		j := newJob(retryDelay(d))
		b.insert(t, j)
		b.fail(t, j.ID, b.claim(t, j.ID), "boom")
		ids = append(ids, j.ID)
	}
	// A retry with no delay is ready, not delayed.
	now := newJob()
	b.insert(t, now)
	b.fail(t, now.ID, b.claim(t, now.ID), "boom")

	delayed, err := b.s.DelayedJobs(b.ctx, 100)
	require.NoError(t, err)
	require.Equal(t, []persistence.JobID{ids[2], ids[1], ids[0]}, readyIDs(delayed))

	delayed, err = b.s.DelayedJobs(b.ctx, 2)
	require.NoError(t, err)
	require.Equal(t, []persistence.JobID{ids[2], ids[1]}, readyIDs(delayed))
}
