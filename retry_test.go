package gigq_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// failFirst is a task that fails its first attempt and succeeds after.
var failFirst = gigq.NewTask("fail_first", func(ctx context.Context, _ struct{}) (int, error) {
	jc, _ := gigq.JobFromContext(ctx)
	if jc.Attempt == 1 {
		return 0, errors.New("first attempt fails")
	}
	return jc.Attempt, nil
})

func TestRetryDelay(t *testing.T) {
	t.Parallel()

	t.Run("RetryWaitsForTheDelay", func(t *testing.T) {
		t.Parallel()
		const delay = 300 * time.Millisecond
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failFirst), Workers: 2})
		events, cancel := n.Subscribe(gigq.EventRetrying)
		defer cancel()
		id, err := failFirst.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{RetryDelay: delay})
		require.NoError(t, err)
		retry := eventFor(t, events, id, gigq.EventRetrying)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, 2, j.Attempts)
		require.Len(t, j.Executions, 2)
		first, second := j.Executions[0], j.Executions[1]
		require.Equal(t, "failed", first.Status)
		require.Equal(t, "first attempt fails", *first.Error)
		require.Equal(t, "completed", second.Status)
		require.NotNil(t, first.CompletedAt)
		due := first.CompletedAt.Add(delay)
		require.False(t, second.StartedAt.Before(due),
			"the retry started at %s, before the first attempt's end %s + retry_delay %s = %s",
			second.StartedAt.Format(time.RFC3339Nano), first.CompletedAt.Format(time.RFC3339Nano), delay,
			due.Format(time.RFC3339Nano))

		require.Equal(t, 1, retry.Attempt)
		require.Equal(t, gigq.StatusPending, retry.Status)
		require.Equal(t, "first attempt fails", retry.Error)
		require.False(t, retry.RetryAfter.Before(due), "retry_after %s is before %s",
			retry.RetryAfter.Format(time.RFC3339Nano), due.Format(time.RFC3339Nano))
		require.False(t, second.StartedAt.Before(retry.RetryAfter))
	})

	t.Run("OtherJobsRunMeanwhile", func(t *testing.T) {
		t.Parallel()
		// A waiting retry does not hold the worker: a job submitted
		// before the first attempt failed starts before the retry.
		proceed := make(chan struct{})
		slowFail := gigq.NewTask("slow_fail", func(ctx context.Context, _ struct{}) (string, error) {
			jc, _ := gigq.JobFromContext(ctx)
			if jc.Attempt == 1 {
				select {
				case <-proceed:
				case <-ctx.Done():
				}
				return "", errors.New("first attempt fails")
			}
			return "retried", nil
		})
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(slowFail, addTask), Workers: 1})
		ctx := testCtx(t)
		started, cancel := n.Subscribe(gigq.EventStarted)
		defer cancel()
		a, err := slowFail.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{RetryDelay: 300 * time.Millisecond})
		require.NoError(t, err)
		require.Equal(t, a, nextEvent(t, started).JobID)
		b, err := addTask.Submit(ctx, n, addArgs{A: 1}, nil)
		require.NoError(t, err)
		close(proceed)
		require.Equal(t, b, nextEvent(t, started).JobID, "the ready job starts while the retry waits")
		e := nextEvent(t, started)
		require.Equal(t, a, e.JobID)
		require.Equal(t, 2, e.Attempt)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, a).Status)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, b).Status)
	})

	t.Run("ZeroDelayRetriesAtOnce", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failFirst), Workers: 1})
		events, cancel := n.Subscribe(gigq.EventRetrying)
		defer cancel()
		id, err := failFirst.Submit(testCtx(t), n, struct{}{}, nil)
		require.NoError(t, err)
		e := eventFor(t, events, id, gigq.EventRetrying)
		require.True(t, e.RetryAfter.IsZero(), "no retry_after without a retry delay")
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		got, err := failFirst.Result(testCtx(t), n, id)
		require.NoError(t, err)
		require.Equal(t, 2, got)
	})
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()

	t.Run("FailsAfterTheLastAttempt", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failing), Workers: 2})
		events, cancel := n.Subscribe(gigq.EventRetrying, gigq.EventFailed)
		defer cancel()
		id, err := n.Submit(testCtx(t), "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 3})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusFailed, j.Status)
		require.Equal(t, 3, j.Attempts)
		require.Equal(t, "attempt 3 failed", j.Error, "the job's error is the last attempt's")
		require.False(t, j.CompletedAt.IsZero())
		require.Len(t, j.Executions, 3)
		for i, e := range j.Executions {
			require.Equal(t, "failed", e.Status)
			require.NotNil(t, e.Error)
			require.Equal(t, fmt.Sprintf("attempt %d failed", i+1), *e.Error, "each execution keeps its own error")
			require.NotNil(t, e.CompletedAt)
			require.Equal(t, id, e.JobID)
			if i > 0 {
				require.False(t, e.StartedAt.Before(*j.Executions[i-1].CompletedAt))
			}
		}

		for attempt := 1; attempt <= 3; attempt++ {
			e := nextEvent(t, events)
			require.Equal(t, id, e.JobID)
			require.Equal(t, attempt, e.Attempt)
			require.Equal(t, 3, e.MaxAttempts)
			if attempt < 3 {
				require.Equal(t, gigq.EventRetrying, e.Kind)
			} else {
				require.Equal(t, gigq.EventFailed, e.Kind)
				require.Equal(t, gigq.StatusFailed, e.Status)
			}
		}
	})

	t.Run("OneAttemptMeansNoRetry", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(failing), Workers: 1})
		id, err := n.Submit(testCtx(t), "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 1})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusFailed, j.Status)
		require.Len(t, j.Executions, 1)
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	t.Run("HandlerIgnoringItsContext", func(t *testing.T) {
		t.Parallel()
		g := newGate()
		defer g.open()
		stuck := g.task("stuck")
		// The abandoned handlers report late (after the gate opens); no
		// test log for those.
		quiet := zerolog.Nop()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stuck, addTask), Workers: 1, Logger: &quiet})
		ctx := testCtx(t)
		events, cancel := n.Subscribe(gigq.EventRetrying, gigq.EventTimeout)
		defer cancel()

		id, err := stuck.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{Timeout: 200 * time.Millisecond, MaxAttempts: 2})
		require.NoError(t, err)
		e := eventFor(t, events, id, gigq.EventRetrying)
		require.Equal(t, "job timed out after 200ms", e.Error)
		e = eventFor(t, events, id, gigq.EventTimeout)
		require.Equal(t, gigq.StatusTimeout, e.Status)

		j := status(t, n, id)
		require.Equal(t, gigq.StatusTimeout, j.Status)
		require.Equal(t, 2, j.Attempts)
		require.Equal(t, "job timed out after 200ms", j.Error)
		require.False(t, j.CompletedAt.IsZero())
		require.Len(t, j.Executions, 2, "the timed-out attempt was retried")
		for _, x := range j.Executions {
			require.Equal(t, "timeout", x.Status)
			require.Equal(t, "job timed out after 200ms", *x.Error)
			require.NotNil(t, x.CompletedAt)
			require.GreaterOrEqual(t, x.CompletedAt.Sub(x.StartedAt), 200*time.Millisecond)
		}
		_, err = stuck.Result(ctx, n, id)
		var je *gigq.JobError
		require.ErrorAs(t, err, &je)
		require.Equal(t, gigq.StatusTimeout, je.Status)

		// Both handlers are still blocked, yet the one worker is free.
		later, err := addTask.Submit(ctx, n, addArgs{A: 2, B: 2}, nil)
		require.NoError(t, err)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, later).Status)

		// A late result from an abandoned handler changes nothing.
		g.open()
		later2, err := addTask.Submit(ctx, n, addArgs{}, nil)
		require.NoError(t, err)
		waitJob(t, n, later2)
		j2 := status(t, n, id)
		require.Equal(t, gigq.StatusTimeout, j2.Status)
		require.Nil(t, j2.Result)
	})

	t.Run("HandlerHonouringItsContext", func(t *testing.T) {
		t.Parallel()
		g := newGate()
		defer g.open()
		polite := g.ctxTask("polite")
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(polite), Workers: 1})
		ctx := testCtx(t)
		id, err := polite.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{Timeout: 100 * time.Millisecond, MaxAttempts: 1})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusTimeout, j.Status)
		require.Equal(t, "job timed out after 100ms", j.Error)
		require.Len(t, j.Executions, 1)
		require.Equal(t, "timeout", j.Executions[0].Status)

		// A timed-out job can be requeued; it then runs again (and this
		// time the handler returns at once).
		g.open()
		require.NoError(t, n.Requeue(ctx, id))
		j = waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Len(t, j.Executions, 2)
	})
}
