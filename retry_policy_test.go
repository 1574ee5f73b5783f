package gigq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// snoozedOnce holds the jobs snooze_once (a childTasks task) has seen.
var snoozedOnce sync.Map

// failUntil is a task that fails its attempts before the given one.
func failUntil(name string, ok int) *gigq.Task[struct{}, int] {
	return gigq.NewTask(name, func(ctx context.Context, _ struct{}) (int, error) {
		jc, _ := gigq.JobFromContext(ctx)
		if jc.Attempt < ok {
			return 0, fmt.Errorf("attempt %d fails", jc.Attempt)
		}
		return jc.Attempt, nil
	})
}

// retryGaps runs a job to its end and returns, for each retry, the delay
// the store chose (the retry's retry_after less the failed attempt's
// end, both the store's clock), checking that no retry started early.
func retryGaps(t *testing.T, n *gigq.Node, events <-chan *gigq.Event, id gigq.JobID, retries int) []time.Duration {
	t.Helper()
	var due []time.Time
	for range retries {
		ev := eventFor(t, events, id, gigq.EventRetrying)
		require.Equal(t, gigq.StatusPending, ev.Status)
		due = append(due, ev.RetryAfter)
	}
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	require.Len(t, j.Executions, retries+1)
	gaps := make([]time.Duration, retries)
	for i := range retries {
		failed, next := j.Executions[i], j.Executions[i+1]
		require.Equal(t, "failed", failed.Status)
		require.NotNil(t, failed.CompletedAt)
		gaps[i] = due[i].Sub(*failed.CompletedAt)
		require.False(t, next.StartedAt.Before(due[i]), "retry %d started at %s, before its retry_after %s",
			i+1, next.StartedAt.Format(time.RFC3339Nano), due[i].Format(time.RFC3339Nano))
	}
	return gaps
}

func TestRetryPolicyBackoff(t *testing.T) {
	t.Parallel()

	t.Run("PerJobExact", func(t *testing.T) {
		t.Parallel()
		task := failUntil("backoff_job", 4)
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(task), Workers: 2})
		events, cancel := n.Subscribe(gigq.EventRetrying)
		defer cancel()
		b := &gigq.Backoff{Base: 20 * time.Millisecond, Factor: 3, Max: 100 * time.Millisecond}
		id, err := n.Submit(testCtx(t), task.Name(), nil, &gigq.SubmitOpts{MaxAttempts: 4, Backoff: b})
		require.NoError(t, err)
		// 20ms, 60ms, then 180ms capped at 100ms; no jitter: exact.
		gaps := retryGaps(t, n, events, id, 3)
		require.Equal(t, []time.Duration{20 * time.Millisecond, 60 * time.Millisecond, 100 * time.Millisecond}, gaps)

		j := status(t, n, id)
		require.Equal(t, &gigq.Backoff{Base: 20 * time.Millisecond, Factor: 3, Max: 100 * time.Millisecond}, j.Backoff)
		require.True(t, j.RetryAfter.IsZero())
		raw, err := json.Marshal(j)
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &m))
		require.JSONEq(t, `{"base":0.02,"factor":3,"max":0.1,"jitter":0}`, string(m["backoff"]))
		var back gigq.Job
		require.NoError(t, json.Unmarshal(raw, &back))
		require.Equal(t, j.Backoff, back.Backoff)
	})

	t.Run("PerTaskJittered", func(t *testing.T) {
		t.Parallel()
		// The task's policy, with jitter: each delay is in
		// [d*(1-Jitter), d] of its exponential d (40ms, 80ms, 160ms).
		task := failUntil("backoff_task", 4).WithBackoff(gigq.Backoff{Base: 40 * time.Millisecond, Jitter: 0.5})
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(task), Workers: 2})
		events, cancel := n.Subscribe(gigq.EventRetrying)
		defer cancel()
		id, err := task.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 4})
		require.NoError(t, err)
		gaps := retryGaps(t, n, events, id, 3)
		for i, d := range []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 160 * time.Millisecond} {
			require.GreaterOrEqual(t, gaps[i], d/2, "retry %d", i+1)
			require.LessOrEqual(t, gaps[i], d, "retry %d", i+1)
		}
		require.Equal(t, &gigq.Backoff{Base: 40 * time.Millisecond, Factor: 2, Jitter: 0.5}, status(t, n, id).Backoff)
	})

	t.Run("JobSettingsWinOverTheTask", func(t *testing.T) {
		t.Parallel()
		task := failUntil("backoff_override", 2).WithBackoff(gigq.Backoff{Base: time.Hour})
		n := openNode(t, gigq.Config{ClientOnly: true})
		ctx := testCtx(t)
		own := &gigq.Backoff{Base: time.Second, Factor: 1.5, Max: time.Minute, Jitter: 0.2}
		a, err := task.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{Backoff: own})
		require.NoError(t, err)
		b, err := task.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{RetryDelay: time.Second})
		require.NoError(t, err)
		c, err := n.Submit(ctx, task.Name(), nil, nil) // by name: the task's options are unknown
		require.NoError(t, err)
		wf := gigq.NewWorkflow("wf")
		wf.Add("only", task.Step(struct{}{}, nil))
		_, steps, err := wf.Submit(ctx, n)
		require.NoError(t, err)
		require.Equal(t, own, status(t, n, a).Backoff)
		require.Nil(t, status(t, n, b).Backoff)
		require.Equal(t, time.Second, status(t, n, b).RetryDelay)
		require.Nil(t, status(t, n, c).Backoff)
		require.Equal(t, &gigq.Backoff{Base: time.Hour, Factor: 2}, status(t, n, steps["only"]).Backoff)
	})

	t.Run("InvalidPolicies", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		for _, tc := range []struct {
			opts gigq.SubmitOpts
			want string
		}{
			{gigq.SubmitOpts{Backoff: &gigq.Backoff{Base: time.Second}, RetryDelay: time.Second}, "RetryDelay or Backoff"},
			{gigq.SubmitOpts{Backoff: &gigq.Backoff{}}, "Backoff.Base"},
			{gigq.SubmitOpts{Backoff: &gigq.Backoff{Base: time.Second, Factor: 0.5}}, "Backoff.Factor"},
			{gigq.SubmitOpts{Backoff: &gigq.Backoff{Base: time.Second, Max: time.Millisecond}}, "Backoff.Max"},
			{gigq.SubmitOpts{Backoff: &gigq.Backoff{Base: time.Second, Jitter: 1.5}}, "Backoff.Jitter"},
		} {
			_, err := n.Submit(testCtx(t), "anything", nil, &tc.opts)
			require.ErrorIs(t, err, gigq.ErrInvalidJob)
			require.ErrorContains(t, err, tc.want)
		}
		require.Panics(t, func() { failUntil("bad_policy", 1).WithBackoff(gigq.Backoff{Base: -time.Second}) })
	})
}

func TestRetryPolicySkipRetry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, task string
		err        error
		text       string
	}{
		{"SkipRetry", "skip_wrapped", gigq.SkipRetry(errors.New("bad input")), "bad input"},
		{"WrappedSentinel", "skip_sentinel", fmt.Errorf("no such account: %w", gigq.ErrSkipRetry), "no such account: do not retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			task := gigq.NewTask(tc.task, func(context.Context, struct{}) (string, error) { return "", tc.err })
			n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(task), Workers: 1})
			id, err := task.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 5, RetryDelay: time.Millisecond})
			require.NoError(t, err)
			j := waitJob(t, n, id)
			require.Equal(t, gigq.StatusFailed, j.Status)
			require.Equal(t, 1, j.Attempts, "the remaining attempts were not used")
			require.Equal(t, tc.text, j.Error)
			require.Len(t, j.Executions, 1)
			require.Equal(t, "failed", j.Executions[0].Status)
			require.Equal(t, tc.text, *j.Executions[0].Error)
			_, err = task.Result(testCtx(t), n, id)
			var je *gigq.JobError
			require.ErrorAs(t, err, &je)
		})
	}
	require.NoError(t, gigq.SkipRetry(nil))
	inner := errors.New("inner")
	require.ErrorIs(t, gigq.SkipRetry(inner), inner)
	require.ErrorIs(t, gigq.SkipRetry(inner), gigq.ErrSkipRetry)
}

func TestRetryPolicySnooze(t *testing.T) {
	t.Parallel()
	const snooze = 200 * time.Millisecond
	var mu sync.Mutex
	calls := 0
	task := gigq.NewTask("snoozer", func(ctx context.Context, _ struct{}) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return 0, gigq.Snooze(snooze)
		}
		jc, _ := gigq.JobFromContext(ctx)
		return jc.Attempt, nil
	})
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(task), Workers: 1})
	events, cancel := n.Subscribe(gigq.EventRetrying)
	defer cancel()
	// One attempt only: had the snooze used it, there would be no rerun.
	id, err := task.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)

	ev := eventFor(t, events, id, gigq.EventRetrying)
	require.Equal(t, gigq.StatusPending, ev.Status)
	require.Equal(t, 0, ev.Attempt, "a snooze does not use an attempt")
	require.Equal(t, "snoozed for 200ms", ev.Error)
	require.False(t, ev.RetryAfter.IsZero())

	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	require.Equal(t, 1, j.Attempts)
	got, err := task.Result(testCtx(t), n, id)
	require.NoError(t, err)
	require.Equal(t, 1, got, "the rerun is the job's first counted attempt")
	require.Len(t, j.Executions, 2)
	first, second := j.Executions[0], j.Executions[1]
	require.Equal(t, "snoozed", first.Status)
	require.Equal(t, "snoozed for 200ms", *first.Error)
	require.Equal(t, snooze, ev.RetryAfter.Sub(*first.CompletedAt))
	require.False(t, second.StartedAt.Before(ev.RetryAfter), "the rerun started before the snooze ended")
	require.Equal(t, "completed", second.Status)
}

// TestSnoozeError: a handler's test can find what Snooze returned, even
// wrapped, and read its delay.
func TestSnoozeError(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("busy upstream: %w", gigq.Snooze(time.Minute))
	var se *gigq.SnoozeError
	require.ErrorAs(t, err, &se)
	require.Equal(t, time.Minute, se.Delay)
	require.EqualError(t, se, "snoozed for 1m0s")
	require.ErrorAs(t, gigq.Snooze(-time.Second), &se)
	require.Zero(t, se.Delay, "a negative delay is none")
}

// TestRetryPolicyRemote: a worker node's SkipRetry and Snooze cross to the
// primary and do there what they do on a local worker.
func TestRetryPolicyRemote(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	joinChild(t, primary, "policy", "skip", "snooze_once")
	ctx := testCtx(t)

	skip, err := primary.Submit(ctx, "skip", nil, &gigq.SubmitOpts{MaxAttempts: 4})
	require.NoError(t, err)
	j := waitJob(t, primary, skip)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, 1, j.Attempts)
	require.Equal(t, "bad input: no retry", j.Error)

	events, cancel := primary.Subscribe(gigq.EventRetrying)
	defer cancel()
	snoozed, err := primary.Submit(ctx, "snooze_once", map[string]int{"ms": 150}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	ev := eventFor(t, events, snoozed, gigq.EventRetrying)
	require.Equal(t, 0, ev.Attempt)
	j = waitJob(t, primary, snoozed)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	require.Equal(t, 1, j.Attempts)
	require.Len(t, j.Executions, 2)
	require.Equal(t, "snoozed", j.Executions[0].Status)
	require.Equal(t, "snoozed for 150ms", *j.Executions[0].Error)
	require.Equal(t, 150*time.Millisecond, ev.RetryAfter.Sub(*j.Executions[0].CompletedAt))
	require.False(t, j.Executions[1].StartedAt.Before(ev.RetryAfter))
}
