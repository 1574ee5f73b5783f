package gigq_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// requireUnchanged checks that a refused change left the job as it was.
func requireUnchanged(t *testing.T, n *gigq.Node, before *gigq.Job) {
	t.Helper()
	after := status(t, n, before.ID)
	require.Equal(t, before.Status, after.Status)
	require.Equal(t, before.Attempts, after.Attempts)
	require.Equal(t, before.Error, after.Error)
	require.True(t, before.UpdatedAt.Equal(after.UpdatedAt), "updated_at moved: %s -> %s", before.UpdatedAt, after.UpdatedAt)
	require.True(t, before.CompletedAt.Equal(after.CompletedAt))
	require.Len(t, after.Executions, len(before.Executions))
}

func TestCancel(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	blocked := g.task("blocked")
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(blocked, addTask), Workers: 1})
	ctx := testCtx(t)
	events, cancelSub := n.Subscribe(gigq.EventCancelled)
	defer cancelSub()

	// The one worker is busy, so jobs submitted now stay pending.
	running, err := blocked.Submit(ctx, n, struct{}{}, nil)
	require.NoError(t, err)
	require.Equal(t, running, g.waitStarted(t))

	t.Run("Pending", func(t *testing.T) {
		id, err := addTask.Submit(ctx, n, addArgs{}, nil)
		require.NoError(t, err)
		require.NoError(t, n.Cancel(ctx, id))
		e := eventFor(t, events, id, gigq.EventCancelled)
		require.Equal(t, gigq.StatusCancelled, e.Status)
		j := status(t, n, id)
		require.Equal(t, gigq.StatusCancelled, j.Status)
		require.False(t, j.CompletedAt.IsZero())
		require.Zero(t, j.Attempts)
		require.Empty(t, j.Executions)

		t.Run("AgainIsRefused", func(t *testing.T) {
			err := n.Cancel(ctx, id)
			isTransition(t, err, id, gigq.StatusCancelled)
			requireUnchanged(t, n, j)
		})
	})

	t.Run("UnknownIsNotFound", func(t *testing.T) {
		err := n.Cancel(ctx, "01900000-0000-7000-8000-000000000000")
		require.ErrorIs(t, err, gigq.ErrNotFound)
		require.NotErrorIs(t, err, gigq.ErrInvalidTransition)
	})

	t.Run("Running", func(t *testing.T) {
		// Cancelling a running job ends it at once (its handler, which
		// ignores its context here, is abandoned) and frees the worker.
		require.Equal(t, gigq.StatusRunning, status(t, n, running).Status)
		require.NoError(t, n.Cancel(ctx, running))
		e := eventFor(t, events, running, gigq.EventCancelled)
		require.Equal(t, gigq.StatusCancelled, e.Status)
		j := status(t, n, running)
		require.Equal(t, gigq.StatusCancelled, j.Status)
		require.Equal(t, "cancelled", j.Executions[0].Status)
	})

	t.Run("CompletedIsRefused", func(t *testing.T) {
		id, err := addTask.Submit(ctx, n, addArgs{}, nil)
		require.NoError(t, err)
		before := waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, before.Status)
		err = n.Cancel(ctx, id)
		isTransition(t, err, id, gigq.StatusCompleted)
		requireUnchanged(t, n, before)
	})

	t.Run("FailedIsRefused", func(t *testing.T) {
		// A failed job is final; cancel does not apply to it.
		c := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failing), Workers: 1})
		id, err := c.Submit(ctx, "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 1})
		require.NoError(t, err)
		before := waitJob(t, c, id)
		require.Equal(t, gigq.StatusFailed, before.Status)
		isTransition(t, c.Cancel(ctx, id), id, gigq.StatusFailed)
		requireUnchanged(t, c, before)
	})
}

func TestRequeue(t *testing.T) {
	t.Parallel()

	t.Run("FailedRunsAgain", func(t *testing.T) {
		t.Parallel()
		var healthy atomic.Bool
		flaky := gigq.NewTask("flaky", func(ctx context.Context, _ struct{}) (string, error) {
			if !healthy.Load() {
				jc, _ := gigq.JobFromContext(ctx)
				return "", fmt.Errorf("down on attempt %d", jc.Attempt)
			}
			return "up", nil
		})
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(flaky), Workers: 1})
		ctx := testCtx(t)
		events, cancel := n.Subscribe(gigq.EventRequeued)
		defer cancel()

		id, err := flaky.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 2})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusFailed, j.Status)
		require.Equal(t, 2, j.Attempts)
		require.Equal(t, "down on attempt 2", j.Error)

		healthy.Store(true)
		require.NoError(t, n.Requeue(ctx, id))
		e := eventFor(t, events, id, gigq.EventRequeued)
		require.Equal(t, gigq.StatusPending, e.Status)
		j = waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, 1, j.Attempts, "attempts were reset by the requeue")
		require.Empty(t, j.Error, "the error was cleared")
		got, err := flaky.Result(ctx, n, id)
		require.NoError(t, err)
		require.Equal(t, "up", got)
		// The earlier attempts stay in the history.
		require.Len(t, j.Executions, 3)
		require.Equal(t, "failed", j.Executions[0].Status)
		require.Equal(t, "failed", j.Executions[1].Status)
		require.Equal(t, "completed", j.Executions[2].Status)
	})

	t.Run("ResetsStateBeforeRunning", func(t *testing.T) {
		t.Parallel()
		// Failed and cancelled jobs requeued on a client-only node: the
		// reset is visible while they wait.
		path := dbPath(t)
		w := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(failing), Workers: 1})
		ctx := testCtx(t)
		failed, err := w.Submit(ctx, "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 2})
		require.NoError(t, err)
		require.Equal(t, gigq.StatusFailed, waitJob(t, w, failed).Status)
		closeNode(t, w)

		n := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		cancelled, err := n.Submit(ctx, "add", nil, nil)
		require.NoError(t, err)
		require.NoError(t, n.Cancel(ctx, cancelled))

		for _, id := range []gigq.JobID{failed, cancelled} {
			require.NoError(t, n.Requeue(ctx, id))
			j := status(t, n, id)
			require.Equal(t, gigq.StatusPending, j.Status)
			require.Zero(t, j.Attempts)
			require.Empty(t, j.Error)
			require.Nil(t, j.Result)
			require.True(t, j.CompletedAt.IsZero())
		}
		closeNode(t, n)

		m := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
		j := waitJob(t, m, cancelled)
		require.Equal(t, gigq.StatusCompleted, j.Status, "a requeued cancelled job runs")
		require.Equal(t, 1, j.Attempts)
	})

	t.Run("RefusedUnlessFinishedBadly", func(t *testing.T) {
		t.Parallel()
		g := newGate()
		defer g.open()
		blocked := g.task("blocked")
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(blocked, addTask), Workers: 1})
		ctx := testCtx(t)

		running, err := blocked.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		require.Equal(t, running, g.waitStarted(t))
		before := status(t, n, running)
		isTransition(t, n.Requeue(ctx, running), running, gigq.StatusRunning)
		requireUnchanged(t, n, before)

		pending, err := addTask.Submit(ctx, n, addArgs{}, nil)
		require.NoError(t, err)
		before = status(t, n, pending)
		isTransition(t, n.Requeue(ctx, pending), pending, gigq.StatusPending)
		requireUnchanged(t, n, before)

		g.open()
		waitJob(t, n, running)
		before = waitJob(t, n, pending)
		require.Equal(t, gigq.StatusCompleted, before.Status)
		isTransition(t, n.Requeue(ctx, pending), pending, gigq.StatusCompleted)
		requireUnchanged(t, n, before)

		err = n.Requeue(ctx, "01900000-0000-7000-8000-000000000000")
		require.ErrorIs(t, err, gigq.ErrNotFound)
	})
}

func TestClearCompleted(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask, failing), Workers: 1})
	ctx := testCtx(t)

	submitDone := func(fn string, opts *gigq.SubmitOpts) *gigq.Job {
		id, err := n.Submit(ctx, fn, nil, opts)
		require.NoError(t, err)
		return waitJob(t, n, id)
	}
	early := submitDone("add", nil)
	require.Equal(t, gigq.StatusCompleted, early.Status)
	earlyCancelled, err := n.Submit(ctx, "not_here", nil, nil)
	require.NoError(t, err)
	require.NoError(t, n.Cancel(ctx, earlyCancelled))
	// Every job above finished before mid; every job below after it.
	mid := time.Now()
	require.True(t, status(t, n, earlyCancelled).CompletedAt.Before(mid))

	late := submitDone("add", nil)
	lateCancelled, err := n.Submit(ctx, "not_here", nil, nil)
	require.NoError(t, err)
	require.NoError(t, n.Cancel(ctx, lateCancelled))
	failed := submitDone("always_fail", &gigq.SubmitOpts{MaxAttempts: 1})
	require.Equal(t, gigq.StatusFailed, failed.Status)
	pending, err := n.Submit(ctx, "not_here", nil, nil)
	require.NoError(t, err)

	deleted, err := n.ClearCompleted(ctx, early.CreatedAt)
	require.NoError(t, err)
	require.Zero(t, deleted, "nothing finished before the first job was created")

	deleted, err = n.ClearCompleted(ctx, mid)
	require.NoError(t, err)
	require.Equal(t, 2, deleted, "the completed and the cancelled job that finished before mid")
	for _, id := range []gigq.JobID{early.ID, earlyCancelled} {
		_, err := n.Status(ctx, id)
		require.ErrorIs(t, err, gigq.ErrNotFound, "deleted with its executions")
	}
	for _, id := range []gigq.JobID{late.ID, lateCancelled, failed.ID, pending} {
		_, err := n.Status(ctx, id)
		require.NoError(t, err, "kept")
	}

	deleted, err = n.ClearCompleted(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 2, deleted, "the zero time clears every completed and cancelled job")
	for _, id := range []gigq.JobID{late.ID, lateCancelled} {
		_, err := n.Status(ctx, id)
		require.ErrorIs(t, err, gigq.ErrNotFound)
	}
	require.Equal(t, gigq.StatusFailed, status(t, n, failed.ID).Status, "failed jobs are kept")
	require.Len(t, status(t, n, failed.ID).Executions, 1)
	require.Equal(t, gigq.StatusPending, status(t, n, pending).Status, "pending jobs are kept")

	st, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Pending: 1, Failed: 1, Total: 2}, st)

	deleted, err = n.ClearCompleted(ctx, time.Time{})
	require.NoError(t, err)
	require.Zero(t, deleted)
}

func TestPanickingHandler(t *testing.T) {
	t.Parallel()
	boom := gigq.NewTask("boom", func(context.Context, struct{}) (int, error) { panic("kaboom: the disk is lava") })
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(boom, addTask), Workers: 1})
	ctx := testCtx(t)

	id, err := boom.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 2})
	require.NoError(t, err)
	var after []gigq.JobID
	for i := range 5 {
		a, err := addTask.Submit(ctx, n, addArgs{A: i, B: 1}, nil)
		require.NoError(t, err)
		after = append(after, a)
	}

	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Len(t, j.Executions, 2, "the panic failed each attempt; the retry ran")
	for _, e := range j.Executions {
		require.Equal(t, "failed", e.Status)
		require.NotNil(t, e.Error)
		require.True(t, strings.HasPrefix(*e.Error, "panic: kaboom: the disk is lava"), "%s", *e.Error)
		require.Contains(t, *e.Error, "goroutine", "the error holds the stack")
		require.Contains(t, *e.Error, "lifecycle_test.go", "the stack reaches the handler")
	}
	require.Contains(t, j.Error, "panic: kaboom: the disk is lava")

	// The node kept serving on its one (restarted) worker.
	for i, a := range after {
		j := waitJob(t, n, a)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		sum, err := addTask.Result(ctx, n, a)
		require.NoError(t, err)
		require.Equal(t, i+1, sum)
	}
}

func TestHandlerError(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failing), Workers: 1})
	id, err := n.Submit(testCtx(t), "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, "attempt 1 failed", j.Error)
	require.False(t, j.CompletedAt.IsZero())
	require.Nil(t, j.Result)
	require.Len(t, j.Executions, 1)
	require.Nil(t, j.Executions[0].Result)
	require.NotNil(t, j.Executions[0].CompletedAt)
}

// TestShutdownReleasesRunningJobs: Close waits ShutdownTimeout for running
// jobs, then cancels them; a job whose handler returns goes back to pending
// with its attempt not counted, and runs again on the next node.
func TestShutdownReleasesRunningJobs(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	started := make(chan struct{}, 1)
	var runs atomic.Int32
	patient := gigq.NewTask("patient", func(ctx context.Context, _ struct{}) (string, error) {
		if runs.Add(1) == 1 {
			started <- struct{}{}
			<-ctx.Done() // well behaved: stops when cancelled
			return "", ctx.Err()
		}
		return "done", nil
	})
	reg := gigq.NewRegistry().MustAdd(patient)
	n := openNode(t, gigq.Config{Path: path, Registry: reg, Workers: 1, WorkerID: "first", ShutdownTimeout: 50 * time.Millisecond})
	id, err := patient.Submit(context.Background(), n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	select {
	case <-started:
	case <-time.After(waitTimeout):
		t.Fatal("the job did not start")
	}
	closeNode(t, n)

	c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	j, err := c.Status(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.Equal(t, 0, j.Attempts, "the interrupted attempt does not count")
	require.Len(t, j.Executions, 1)
	require.Equal(t, "failed", j.Executions[0].Status)
	require.Contains(t, *j.Executions[0].Error, "interrupted: node first shut down")
	closeNode(t, c)

	// MaxAttempts is 1: the job can still run, since nothing was used.
	n2 := openNode(t, gigq.Config{Path: path, Registry: reg, Workers: 1, WorkerID: "second"})
	j = waitJob(t, n2, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Equal(t, 1, j.Attempts)
}
