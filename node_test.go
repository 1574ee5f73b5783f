package gigq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestOpen(t *testing.T) {
	t.Parallel()

	t.Run("RejectsBadConfigNamingTheField", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			field string
			cfg   gigq.Config
		}{
			{"Workers", gigq.Config{Workers: -1}},
			{"Sync", gigq.Config{Sync: "fast"}},
			{"WatchInterval", gigq.Config{WatchInterval: -5 * time.Millisecond}},
			{"WindowSize", gigq.Config{WindowSize: -1}},
			{"ShutdownTimeout", gigq.Config{ShutdownTimeout: -time.Second}},
			{"MaxJobs", gigq.Config{MaxJobs: -1}},
		}
		for _, c := range cases {
			c.cfg.Path = dbPath(t)
			n, err := gigq.Open(context.Background(), c.cfg)
			require.Error(t, err, c.field)
			require.Nil(t, n)
			require.Contains(t, err.Error(), c.field)
		}
	})

	t.Run("AcceptsSyncFullAndDisabledWatch", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Sync: "full", WatchInterval: -1, Registry: gigq.NewRegistry().MustAdd(addTask)})
		id, err := addTask.Submit(testCtx(t), n, addArgs{A: 1, B: 2}, nil)
		require.NoError(t, err)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	})

	t.Run("UsableAtOnce", func(t *testing.T) {
		t.Parallel()
		// Calls made right after Open returns must reach the node's actors.
		for i := range 10 {
			for _, clientOnly := range []bool{true, false} {
				cfg := gigq.Config{Path: dbPath(t), ClientOnly: clientOnly, Logger: testLogger(t),
					Registry: gigq.NewRegistry().MustAdd(noop)}
				n, err := gigq.Open(context.Background(), cfg)
				require.NoError(t, err)
				_, subErr := n.Submit(testCtx(t), "noop", nil, nil)
				closeErr := n.Close(context.Background())
				require.NoError(t, subErr, "submit right after Open (round %d, client-only %v)", i, clientOnly)
				require.NoError(t, closeErr, "close right after Open (round %d, client-only %v)", i, clientOnly)
			}
		}
	})

	t.Run("RefusesCancelledContext", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		n, err := gigq.Open(ctx, gigq.Config{Path: dbPath(t)})
		require.ErrorIs(t, err, context.Canceled)
		require.Nil(t, n)
	})

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		n := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		require.Equal(t, path, n.Path())
		host, err := os.Hostname()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("%s-%d", host, os.Getpid()), n.WorkerID())
		select {
		case <-n.Done():
			require.FailNow(t, "Done is closed on a node without MaxJobs")
		default:
		}
	})
}

func TestClose(t *testing.T) {
	t.Parallel()

	t.Run("IsIdempotent", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(noop)})
		require.NoError(t, n.Close(context.Background()))
		require.NoError(t, n.Close(context.Background()))
	})

	t.Run("CallsAfterCloseReturnErrClosed", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask)})
		ctx := testCtx(t)
		id, err := addTask.Submit(ctx, n, addArgs{A: 1, B: 1}, nil)
		require.NoError(t, err)
		waitJob(t, n, id)
		closeNode(t, n)

		_, err = n.Submit(ctx, "add", nil, nil)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = addTask.Submit(ctx, n, addArgs{}, nil)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.Status(ctx, id)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.Wait(ctx, id)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.Result(ctx, id)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = addTask.Result(ctx, n, id)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.List(ctx, nil)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.Stats(ctx)
		require.ErrorIs(t, err, gigq.ErrClosed)
		_, err = n.BatchStats(ctx)
		require.ErrorIs(t, err, gigq.ErrClosed)
		require.ErrorIs(t, n.Cancel(ctx, id), gigq.ErrClosed)
		require.ErrorIs(t, n.Requeue(ctx, id), gigq.ErrClosed)
		_, err = n.ClearCompleted(ctx, time.Time{})
		require.ErrorIs(t, err, gigq.ErrClosed)

		events, cancel := n.Subscribe()
		defer cancel()
		_, ok := <-events
		require.False(t, ok, "a subscription made after Close is closed")
	})

	t.Run("EndsSubscriptions", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		events, cancel := n.Subscribe()
		defer cancel()
		closeNode(t, n)
		select {
		case _, ok := <-events:
			require.False(t, ok)
		case <-time.After(waitTimeout):
			require.FailNow(t, "subscription not closed by Close")
		}
		cancel() // after Close: harmless
	})

	t.Run("LetsRunningJobsFinish", func(t *testing.T) {
		t.Parallel()
		g := newGate()
		defer g.open()
		blocked := g.task("blocked")
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(blocked), Workers: 1})
		path := n.Path()
		id, err := blocked.Submit(testCtx(t), n, struct{}{}, nil)
		require.NoError(t, err)
		require.Equal(t, id, g.waitStarted(t))

		closed := make(chan error, 1)
		go func() { closed <- n.Close(context.Background()) }()
		// Close has begun once the node refuses calls; the job still runs.
		eventually(t, "Close to begin", func() bool {
			_, err := n.Stats(context.Background())
			return errors.Is(err, gigq.ErrClosed)
		})
		select {
		case err := <-closed:
			require.FailNow(t, "Close returned while a job was running", "err: %v", err)
		default:
		}
		g.open()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(waitTimeout):
			require.FailNow(t, "Close did not return after the job finished")
		}

		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		j := status(t, c, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.JSONEq(t, `"released"`, string(j.Result))
	})

	t.Run("CancelsJobsAfterShutdownTimeout", func(t *testing.T) {
		t.Parallel()
		g := newGate()
		defer g.open()
		blocked := g.ctxTask("blocked_ctx")
		reg := gigq.NewRegistry().MustAdd(blocked)
		n := openNode(t, gigq.Config{Registry: reg, Workers: 1, ShutdownTimeout: 50 * time.Millisecond})
		path := n.Path()
		id, err := blocked.Submit(testCtx(t), n, struct{}{}, nil)
		require.NoError(t, err)
		require.Equal(t, id, g.waitStarted(t))
		closeNode(t, n)

		// The cancelled attempt was reported before Close returned: the
		// job is not left running, and its attempt is recorded.
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		j := status(t, c, id)
		require.NotEqual(t, gigq.StatusRunning, j.Status)
		require.Len(t, j.Executions, 1)
		require.NotEqual(t, "running", j.Executions[0].Status)
		require.NotNil(t, j.Executions[0].Error)
		require.Contains(t, *j.Executions[0].Error, "context canceled")
		require.Equal(t, gigq.StatusPending, j.Status, "the interrupted job is back to pending")
		require.Equal(t, 0, j.Attempts, "an attempt interrupted by shutdown does not count")
		closeNode(t, c)

		// A node opened later runs it to completion.
		m := openNode(t, gigq.Config{Path: path, Registry: reg, Workers: 1})
		require.Equal(t, id, g.waitStarted(t))
		g.open()
		j = waitJob(t, m, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, 1, j.Attempts)
		require.Len(t, j.Executions, 2)
	})
}

func TestRegistry(t *testing.T) {
	t.Parallel()

	t.Run("AddRefusesDuplicates", func(t *testing.T) {
		t.Parallel()
		r := gigq.NewRegistry()
		require.NoError(t, r.Add(addTask))
		err := r.Add(addTask)
		require.ErrorIs(t, err, gigq.ErrDuplicateTask)
		require.Contains(t, err.Error(), `"add"`)

		// A duplicate anywhere in the call registers none of the tasks.
		require.ErrorIs(t, r.Add(noop, addTask), gigq.ErrDuplicateTask)
		require.ErrorIs(t, r.Add(noop, noop), gigq.ErrDuplicateTask)
		require.Equal(t, []string{"add"}, r.Names())

		other := gigq.NewTask("add", func(context.Context, struct{}) (string, error) { return "", nil })
		require.ErrorIs(t, r.Add(other), gigq.ErrDuplicateTask, "the name is the identity, not the Go type")
		require.Panics(t, func() { r.MustAdd(addTask) })
	})

	t.Run("NamesAreSorted", func(t *testing.T) {
		t.Parallel()
		r := gigq.NewRegistry().MustAdd(noop, failing, addTask)
		require.Equal(t, []string{"add", "always_fail", "noop"}, r.Names())
		var nilReg *gigq.Registry
		require.Empty(t, nilReg.Names())
	})

	t.Run("NewTaskValidatesName", func(t *testing.T) {
		t.Parallel()
		fn := func(context.Context, struct{}) (int, error) { return 0, nil }
		for _, name := range []string{"a", "resize_image", "a.b-c_1", "x" + strings.Repeat("y", 127)} {
			require.NotPanics(t, func() { gigq.NewTask(name, fn) }, name)
			require.Equal(t, name, gigq.NewTask(name, fn).Name())
		}
		for _, name := range []string{"", "Greet", "1abc", "_a", "a b", "a/b", "é", "x" + strings.Repeat("y", 128)} {
			require.Panics(t, func() { gigq.NewTask(name, fn) }, name)
		}
		require.Panics(t, func() { gigq.NewTask[struct{}, int]("nil_fn", nil) })
	})
}

func TestSubmit(t *testing.T) {
	t.Parallel()

	t.Run("RefusesParamsThatAreNotAJSONObject", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		ctx := testCtx(t)
		for _, p := range []any{
			[]int{1, 2},
			"hello",
			42,
			true,
			json.RawMessage(`[1]`),
			json.RawMessage(`null`),
			json.RawMessage(`{"a":`),
			[]byte(`"x"`),
		} {
			id, err := n.Submit(ctx, "noop", p, nil)
			require.Error(t, err, "params %#v", p)
			require.Empty(t, id)
			require.Contains(t, err.Error(), "params must be a JSON object", "params %#v", p)
		}
		_, err := n.Submit(ctx, "noop", map[string]any{"ch": make(chan int)}, nil)
		require.ErrorContains(t, err, "params")

		st, err := n.Stats(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Total, "a refused submit writes nothing")

		for _, p := range []any{nil, map[string]int{"a": 1}, addArgs{A: 1}, json.RawMessage(`{"x":[1]}`), []byte(`{}`)} {
			_, err := n.Submit(ctx, "noop", p, nil)
			require.NoError(t, err, "params %#v", p)
		}
	})

	t.Run("RefusesNegativeOptionsNamingTheField", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		ctx := testCtx(t)
		for field, opts := range map[string]*gigq.SubmitOpts{
			"MaxAttempts": {MaxAttempts: -1},
			"Timeout":     {Timeout: -time.Second},
			"RetryDelay":  {RetryDelay: -time.Millisecond},
		} {
			_, err := n.Submit(ctx, "noop", nil, opts)
			require.Error(t, err, field)
			require.Contains(t, err.Error(), field)
		}
		st, err := n.Stats(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Total)
	})

	t.Run("RefusesInvalidTaskName", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		for _, name := range []string{"", "Bad Name", "9lives", "a;drop table jobs"} {
			_, err := n.Submit(testCtx(t), name, nil, nil)
			require.Error(t, err, name)
			require.Contains(t, err.Error(), "task name")
		}
	})

	t.Run("AppliesDefaults", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		before := time.Now()
		id, err := n.Submit(testCtx(t), "noop", nil, nil)
		require.NoError(t, err)
		require.NotEmpty(t, id)
		j := status(t, n, id)
		require.Equal(t, id, j.ID)
		require.Equal(t, "noop", j.Name)
		require.Equal(t, "noop", j.Function)
		require.JSONEq(t, `{}`, string(j.Params))
		require.Zero(t, j.Priority)
		require.Empty(t, j.Dependencies)
		require.Equal(t, gigq.DefaultMaxAttempts, j.MaxAttempts)
		require.Equal(t, 3, j.MaxAttempts)
		require.Equal(t, gigq.DefaultTimeout, j.Timeout)
		require.Equal(t, 300*time.Second, j.Timeout)
		require.Zero(t, j.RetryDelay)
		require.Empty(t, j.Description)
		require.Equal(t, gigq.StatusPending, j.Status)
		require.Zero(t, j.Attempts)
		require.Nil(t, j.Result)
		require.Empty(t, j.Error)
		require.Empty(t, j.WorkerID)
		require.False(t, j.CreatedAt.Before(before.Truncate(time.Microsecond)), "created_at %s before %s", j.CreatedAt, before)
		require.Equal(t, time.UTC, j.CreatedAt.Location())
		require.True(t, j.UpdatedAt.Equal(j.CreatedAt))
		require.True(t, j.StartedAt.IsZero())
		require.True(t, j.CompletedAt.IsZero())
		require.Empty(t, j.Executions)
	})

	t.Run("StoresOptions", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		id, err := addTask.Submit(testCtx(t), n, addArgs{A: 2, B: 3}, &gigq.SubmitOpts{
			Name: "two plus three", Priority: -7, MaxAttempts: 9, Timeout: 1500 * time.Millisecond,
			RetryDelay: 2500 * time.Millisecond, Description: "adds\nnumbers",
		})
		require.NoError(t, err)
		j := status(t, n, id)
		require.Equal(t, "two plus three", j.Name)
		require.Equal(t, "add", j.Function)
		require.JSONEq(t, `{"a":2,"b":3}`, string(j.Params))
		require.Equal(t, -7, j.Priority)
		require.Equal(t, 9, j.MaxAttempts)
		require.Equal(t, 1500*time.Millisecond, j.Timeout)
		require.Equal(t, 2500*time.Millisecond, j.RetryDelay)
		require.Equal(t, "adds\nnumbers", j.Description)
	})

	t.Run("IDsAreUniqueAndTimeOrdered", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		var ids []string
		for range 20 {
			id, err := n.Submit(testCtx(t), "noop", nil, nil)
			require.NoError(t, err)
			ids = append(ids, string(id))
		}
		require.True(t, sort.StringsAreSorted(ids), "ids of sequential submits sort in submission order: %v", ids)
	})
}

func TestResult(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	blocked := g.task("blocked")
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask, failing, blocked), Workers: 2})
	ctx := testCtx(t)

	t.Run("Completed", func(t *testing.T) {
		id, err := addTask.Submit(ctx, n, addArgs{A: 20, B: 22}, nil)
		require.NoError(t, err)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
		sum, err := addTask.Result(ctx, n, id)
		require.NoError(t, err)
		require.Equal(t, 42, sum)
		raw, err := n.Result(ctx, id)
		require.NoError(t, err)
		require.JSONEq(t, `42`, string(raw))

		// Decoding into the wrong type is an error, not a zero value.
		wrong := gigq.NewTask("add", func(context.Context, struct{}) (struct{ X string }, error) { return struct{ X string }{}, nil })
		_, err = wrong.Result(ctx, n, id)
		require.ErrorContains(t, err, "decode result")
	})

	t.Run("Failed", func(t *testing.T) {
		id, err := n.Submit(ctx, "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 1})
		require.NoError(t, err)
		require.Equal(t, gigq.StatusFailed, waitJob(t, n, id).Status)
		_, err = failing.Result(ctx, n, id)
		var je *gigq.JobError
		require.ErrorAs(t, err, &je)
		require.Equal(t, id, je.JobID)
		require.Equal(t, gigq.StatusFailed, je.Status)
		require.Equal(t, "attempt 1 failed", je.Err)
		require.Contains(t, je.Error(), string(id))
		require.Contains(t, je.Error(), "failed")
		require.Contains(t, je.Error(), "attempt 1 failed")
		_, err = n.Result(ctx, id)
		require.ErrorAs(t, err, &je)
	})

	t.Run("PendingRunningCancelled", func(t *testing.T) {
		// Occupy both workers so the next job stays pending.
		b1, err := blocked.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		b2, err := blocked.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		g.waitStarted(t)
		g.waitStarted(t)

		_, err = blocked.Result(ctx, n, b1)
		require.ErrorIs(t, err, gigq.ErrNotFinished, "running")

		p, err := addTask.Submit(ctx, n, addArgs{}, &gigq.SubmitOpts{Priority: -1})
		require.NoError(t, err)
		_, err = addTask.Result(ctx, n, p)
		require.ErrorIs(t, err, gigq.ErrNotFinished, "pending")
		_, err = n.Result(ctx, p)
		require.ErrorIs(t, err, gigq.ErrNotFinished)

		require.NoError(t, n.Cancel(ctx, p))
		_, err = addTask.Result(ctx, n, p)
		var je *gigq.JobError
		require.ErrorAs(t, err, &je)
		require.Equal(t, gigq.StatusCancelled, je.Status)

		g.open()
		waitJob(t, n, b1)
		waitJob(t, n, b2)
		s, err := blocked.Result(ctx, n, b2)
		require.NoError(t, err)
		require.Equal(t, "released", s)
	})

	t.Run("Unknown", func(t *testing.T) {
		_, err := addTask.Result(ctx, n, "no-such-job")
		require.ErrorIs(t, err, gigq.ErrNotFound)
		_, err = n.Status(ctx, "no-such-job")
		require.ErrorIs(t, err, gigq.ErrNotFound)
		_, err = n.Wait(ctx, "no-such-job")
		require.ErrorIs(t, err, gigq.ErrNotFound)
	})
}

func TestJobJSON(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
	ctx := testCtx(t)

	jobFields := []string{"id", "name", "function", "params", "priority", "dependencies", "workflow_id", "max_attempts", "timeout",
		"retry_delay", "description", "status", "attempts", "result", "error", "worker_id", "created_at",
		"updated_at", "started_at", "completed_at", "run_at", "unique_key", "progress", "queue"}
	execFields := []string{"id", "job_id", "worker_id", "status", "started_at", "completed_at", "result", "error"}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	rfc3339UTC := func(t *testing.T, raw json.RawMessage) time.Time {
		t.Helper()
		var s string
		require.NoError(t, json.Unmarshal(raw, &s), "time %s", raw)
		require.True(t, strings.HasSuffix(s, "Z"), "time %q is not UTC", s)
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm
	}

	t.Run("Pending", func(t *testing.T) {
		c := openNode(t, gigq.Config{ClientOnly: true})
		id, err := c.Submit(ctx, "elsewhere", map[string]any{"x": 1}, &gigq.SubmitOpts{RetryDelay: 1500 * time.Millisecond})
		require.NoError(t, err)
		j := status(t, c, id)
		b, err := json.Marshal(j)
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &m))
		require.ElementsMatch(t, append(jobFields, "executions"), keys(m), "%s", b)
		require.JSONEq(t, `[]`, string(m["executions"]))
		require.JSONEq(t, `"pending"`, string(m["status"]))
		require.JSONEq(t, `{"x":1}`, string(m["params"]))
		require.JSONEq(t, `[]`, string(m["dependencies"]))
		require.JSONEq(t, `300`, string(m["timeout"]))
		require.JSONEq(t, `1.5`, string(m["retry_delay"]))
		require.JSONEq(t, `3`, string(m["max_attempts"]))
		require.JSONEq(t, `0`, string(m["attempts"]))
		for _, f := range []string{"result", "error", "worker_id", "started_at", "completed_at"} {
			require.Equal(t, "null", string(m[f]), f)
		}
		require.True(t, rfc3339UTC(t, m["created_at"]).Equal(j.CreatedAt))
		rfc3339UTC(t, m["updated_at"])
	})

	t.Run("CompletedWithExecutions", func(t *testing.T) {
		id, err := addTask.Submit(ctx, n, addArgs{A: 1, B: 2}, &gigq.SubmitOpts{Name: "sum", Description: "d", Priority: 4})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		b, err := json.Marshal(j)
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &m))
		require.ElementsMatch(t, append(jobFields, "executions"), keys(m), "%s", b)
		require.JSONEq(t, `"completed"`, string(m["status"]))
		require.JSONEq(t, `3`, string(m["result"]))
		require.JSONEq(t, `"sum"`, string(m["name"]))
		require.JSONEq(t, `"add"`, string(m["function"]))
		require.JSONEq(t, `4`, string(m["priority"]))
		require.JSONEq(t, `1`, string(m["attempts"]))
		require.Equal(t, "null", string(m["error"]))
		var wid string
		require.NoError(t, json.Unmarshal(m["worker_id"], &wid))
		require.Equal(t, n.WorkerID(), wid)
		rfc3339UTC(t, m["started_at"])
		rfc3339UTC(t, m["completed_at"])

		var execs []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(m["executions"], &execs))
		require.Len(t, execs, 1)
		require.ElementsMatch(t, execFields, keys(execs[0]))
		require.JSONEq(t, `"completed"`, string(execs[0]["status"]))
		require.JSONEq(t, `3`, string(execs[0]["result"]))
		require.Equal(t, "null", string(execs[0]["error"]))
		require.JSONEq(t, fmt.Sprintf("%q", id), string(execs[0]["job_id"]))
		rfc3339UTC(t, execs[0]["started_at"])
		rfc3339UTC(t, execs[0]["completed_at"])

		// The JSON form reads back into the same job.
		var back gigq.Job
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, j.ID, back.ID)
		require.Equal(t, j.Name, back.Name)
		require.Equal(t, j.Status, back.Status)
		require.Equal(t, j.Timeout, back.Timeout)
		require.Equal(t, j.RetryDelay, back.RetryDelay)
		require.Equal(t, j.WorkerID, back.WorkerID)
		require.True(t, j.CreatedAt.Equal(back.CreatedAt))
		require.True(t, j.StartedAt.Equal(back.StartedAt))
		require.True(t, j.CompletedAt.Equal(back.CompletedAt))
		require.JSONEq(t, string(j.Result), string(back.Result))
		require.Len(t, back.Executions, 1)
		require.Equal(t, j.Executions[0].ID, back.Executions[0].ID)

		// List leaves executions out, and so does its JSON.
		list, err := n.List(ctx, nil)
		require.NoError(t, err)
		require.NotEmpty(t, list)
		require.Nil(t, list[0].Executions)
		b, err = json.Marshal(list[0])
		require.NoError(t, err)
		m = nil
		require.NoError(t, json.Unmarshal(b, &m))
		require.ElementsMatch(t, jobFields, keys(m), "%s", b)
	})
}

func TestMaxJobs(t *testing.T) {
	t.Parallel()

	t.Run("RunsExactlyThatManyThenDone", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		low, err := c.Submit(testCtx(t), "counted", nil, nil)
		require.NoError(t, err)
		high, err := c.Submit(testCtx(t), "counted", nil, &gigq.SubmitOpts{Priority: 5})
		require.NoError(t, err)
		closeNode(t, c)

		var runs atomic.Int32
		counted := gigq.NewTask("counted", func(context.Context, struct{}) (int, error) { return int(runs.Add(1)), nil })
		// Two workers: without the limit both jobs would be claimed at once.
		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(counted), Workers: 2, MaxJobs: 1})
		select {
		case <-n.Done():
		case <-time.After(waitTimeout):
			require.FailNow(t, "Done not closed after MaxJobs jobs")
		}
		require.EqualValues(t, 1, runs.Load())
		closeNode(t, n)
		require.EqualValues(t, 1, runs.Load())

		c = openNode(t, gigq.Config{Path: path, ClientOnly: true})
		require.Equal(t, gigq.StatusCompleted, status(t, c, high).Status, "the best job ran")
		require.Equal(t, gigq.StatusPending, status(t, c, low).Status)
		st, err := c.Stats(testCtx(t))
		require.NoError(t, err)
		require.Equal(t, gigq.Stats{Pending: 1, Completed: 1, Total: 2}, st)
	})

	t.Run("DoneAfterTheOutcomeIsCommitted", func(t *testing.T) {
		t.Parallel()
		// When Done is closed, the jobs the node ran have finished: their
		// outcome is in the database (as `gigq worker --once` followed by
		// `gigq status` expects), not still running.
		path := dbPath(t)
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		id, err := addTask.Submit(testCtx(t), c, addArgs{A: 1, B: 1}, nil)
		require.NoError(t, err)
		closeNode(t, c)

		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(addTask), MaxJobs: 1})
		select {
		case <-n.Done():
		case <-time.After(waitTimeout):
			require.FailNow(t, "Done not closed after MaxJobs jobs")
		}
		j := status(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status, "Done closed before the job's outcome was committed")
	})

	t.Run("DoneWhenNothingIsReady", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		// A job for a task this node lacks is not ready for it.
		other, err := c.Submit(testCtx(t), "other_task", nil, nil)
		require.NoError(t, err)
		closeNode(t, c)

		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), MaxJobs: 1})
		select {
		case <-n.Done():
		case <-time.After(waitTimeout):
			require.FailNow(t, "Done not closed with nothing ready")
		}
		require.Equal(t, gigq.StatusPending, status(t, n, other).Status)
	})

	t.Run("DoneWhenEmpty", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(noop), MaxJobs: 3})
		select {
		case <-n.Done():
		case <-time.After(waitTimeout):
			require.FailNow(t, "Done not closed on an empty database")
		}
	})
}

func TestListAndStats(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{ClientOnly: true})
	ctx := testCtx(t)
	var ids []gigq.JobID
	for i := range 5 {
		id, err := n.Submit(ctx, "noop", map[string]int{"i": i}, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.NoError(t, n.Cancel(ctx, ids[1]))

	all, err := n.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, all, 5)
	for i, j := range all {
		require.Equal(t, ids[len(ids)-1-i], j.ID, "newest first")
	}

	two, err := n.List(ctx, &gigq.ListParams{Limit: 2})
	require.NoError(t, err)
	require.Len(t, two, 2)
	require.Equal(t, ids[4], two[0].ID)
	require.Equal(t, ids[3], two[1].ID)

	next, err := n.List(ctx, &gigq.ListParams{Limit: 2, Before: two[1].ID})
	require.NoError(t, err)
	require.Equal(t, []gigq.JobID{ids[2], ids[1]}, []gigq.JobID{next[0].ID, next[1].ID}, "the next page follows the last id")
	last, err := n.List(ctx, &gigq.ListParams{Status: gigq.StatusPending, Before: ids[2]})
	require.NoError(t, err)
	require.Len(t, last, 1, "paging within a state: ids[1] is cancelled")
	require.Equal(t, ids[0], last[0].ID)

	cancelled, err := n.List(ctx, &gigq.ListParams{Status: gigq.StatusCancelled})
	require.NoError(t, err)
	require.Len(t, cancelled, 1)
	require.Equal(t, ids[1], cancelled[0].ID)

	none, err := n.List(ctx, &gigq.ListParams{Status: gigq.StatusFailed})
	require.NoError(t, err)
	require.Empty(t, none)

	_, err = n.List(ctx, &gigq.ListParams{Status: "bogus"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "bogus")
	for _, s := range gigq.Statuses() {
		require.Contains(t, err.Error(), string(s), "the error lists the valid states")
	}

	st, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Pending: 4, Cancelled: 1, Total: 5}, st)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.JSONEq(t, `{"pending":4,"running":0,"completed":0,"failed":0,"cancelled":1,"timeout":0,"total":5}`, string(b))

	require.Equal(t, []gigq.Status{"pending", "running", "completed", "failed", "cancelled", "timeout"}, gigq.Statuses())
	s := gigq.Statuses()
	s[0] = "mutated"
	require.Equal(t, gigq.StatusPending, gigq.Statuses()[0], "Statuses returns a copy")
}

func TestSubscribe(t *testing.T) {
	t.Parallel()

	t.Run("DeliversTheLifeOfAJob", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1, WorkerID: "w-sub"})
		events, cancel := n.Subscribe()
		defer cancel()
		id, err := addTask.Submit(testCtx(t), n, addArgs{A: 1}, &gigq.SubmitOpts{Name: "one", MaxAttempts: 2})
		require.NoError(t, err)
		var kinds []gigq.EventKind
		var got []*gigq.Event
		for len(kinds) == 0 || kinds[len(kinds)-1] != gigq.EventCompleted {
			e := nextEvent(t, events)
			require.Equal(t, id, e.JobID)
			kinds = append(kinds, e.Kind)
			got = append(got, e)
		}
		require.Equal(t, []gigq.EventKind{gigq.EventSubmitted, gigq.EventStarted, gigq.EventCompleted}, kinds)
		j := status(t, n, id)
		for _, e := range got {
			require.Equal(t, "one", e.Name)
			require.Equal(t, "add", e.Function)
			require.Equal(t, 2, e.MaxAttempts)
			require.False(t, e.At.IsZero())
		}
		require.Equal(t, gigq.StatusPending, got[0].Status)
		require.Equal(t, gigq.StatusRunning, got[1].Status)
		require.Equal(t, 1, got[1].Attempt)
		require.Equal(t, j.Executions[0].ID, got[1].ExecutionID)
		require.Equal(t, gigq.StatusCompleted, got[2].Status)
		require.Equal(t, j.Executions[0].ID, got[2].ExecutionID)
	})

	t.Run("FiltersByKind", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask, failing), Workers: 1})
		events, cancel := n.Subscribe(gigq.EventCompleted, gigq.EventFailed)
		defer cancel()
		a, err := addTask.Submit(testCtx(t), n, addArgs{}, nil)
		require.NoError(t, err)
		e := nextEvent(t, events)
		require.Equal(t, gigq.EventCompleted, e.Kind)
		require.Equal(t, a, e.JobID)
		f, err := n.Submit(testCtx(t), "always_fail", nil, &gigq.SubmitOpts{MaxAttempts: 1})
		require.NoError(t, err)
		e = nextEvent(t, events)
		require.Equal(t, gigq.EventFailed, e.Kind)
		require.Equal(t, f, e.JobID)
		require.Equal(t, "attempt 1 failed", e.Error)
	})

	t.Run("CancelEndsTheSubscription", func(t *testing.T) {
		t.Parallel()
		n := openNode(t, gigq.Config{ClientOnly: true})
		events, cancel := n.Subscribe()
		cancel()
		cancel()
		_, ok := <-events
		require.False(t, ok)
		// Other subscriptions still work.
		events2, cancel2 := n.Subscribe(gigq.EventSubmitted)
		defer cancel2()
		id, err := n.Submit(testCtx(t), "noop", nil, nil)
		require.NoError(t, err)
		require.Equal(t, id, nextEvent(t, events2).JobID)
	})
}

func TestJobFromContext(t *testing.T) {
	t.Parallel()
	_, ok := gigq.JobFromContext(context.Background())
	require.False(t, ok)

	seen := make(chan gigq.JobContext, 1)
	probe := gigq.NewTask("probe", func(ctx context.Context, _ struct{}) (bool, error) {
		jc, ok := gigq.JobFromContext(ctx)
		if ok {
			seen <- *jc
		}
		return ok, nil
	})
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(probe), Workers: 1, WorkerID: "w-ctx"})
	id, err := probe.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{Name: "probing", MaxAttempts: 5})
	require.NoError(t, err)
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.JSONEq(t, `true`, string(j.Result))
	jc := <-seen
	require.Equal(t, gigq.JobContext{ID: id, Name: "probing", Function: "probe", Attempt: 1, MaxAttempts: 5,
		ExecutionID: j.Executions[0].ID, WorkerID: "w-ctx", Queue: gigq.DefaultQueue}, jc)
	require.Equal(t, "w-ctx", j.WorkerID)
	require.Equal(t, "w-ctx", j.Executions[0].WorkerID)
}

func TestUnregisteredTaskStaysPending(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
	ctx := testCtx(t)
	other, err := n.Submit(ctx, "not_here", nil, &gigq.SubmitOpts{Priority: 10})
	require.NoError(t, err)
	id, err := addTask.Submit(ctx, n, addArgs{A: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	j := status(t, n, other)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.Empty(t, j.Executions)
}

// TestOpenCloseRepeatedly starts and stops a node with many workers again
// and again: actors must not message siblings whose mailbox is not ready
// (protoactor registers a PID before its mailbox is set up), and every
// start must leave a working node.
func TestOpenCloseRepeatedly(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	noop := gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
	for i := range 40 {
		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: 8})
		if i%10 == 0 {
			id, err := n.Submit(context.Background(), "noop", nil, nil)
			require.NoError(t, err)
			require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
		}
		closeNode(t, n)
	}
}

// TestConfigEvents: Config.Events sees the start of jobs that were queued
// before Open, which a Subscribe after Open can miss.
func TestConfigEvents(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	noop := gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
	c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	id, err := c.Submit(context.Background(), "noop", nil, nil)
	require.NoError(t, err)
	closeNode(t, c)

	events := make(chan *gigq.Event, 64)
	n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: 1, Events: events})
	var kinds []gigq.EventKind
	timeout := time.After(10 * time.Second)
	for len(kinds) < 2 {
		select {
		case e := <-events:
			require.Equal(t, id, e.JobID)
			kinds = append(kinds, e.Kind)
		case <-timeout:
			t.Fatalf("events so far: %v", kinds)
		}
	}
	require.Equal(t, []gigq.EventKind{gigq.EventStarted, gigq.EventCompleted}, kinds)
	closeNode(t, n)
	close(events) // Close sends nothing more, so the owner may close it
}

// TestParamsSizeLimit: params over Config.MaxParamsBytes are refused at
// submit with the limit named, and nothing is written; that and the other
// refused inputs match ErrInvalidJob.
func TestParamsSizeLimit(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Path: dbPath(t), ClientOnly: true, MaxParamsBytes: 64})
	defer closeNode(t, n)
	ctx := context.Background()
	_, err := n.Submit(ctx, "noop", map[string]string{"blob": strings.Repeat("x", 100)}, nil)
	require.ErrorContains(t, err, "over the limit of 64 bytes")
	require.ErrorIs(t, err, gigq.ErrInvalidJob)
	_, err = n.Submit(ctx, "noop", map[string]string{"small": "ok"}, nil)
	require.NoError(t, err)
	for _, bad := range []func() error{
		func() error { _, err := n.Submit(ctx, "", nil, nil); return err },
		func() error { _, err := n.Submit(ctx, "noop", []int{1}, nil); return err },
		func() error { _, err := n.Submit(ctx, "noop", nil, &gigq.SubmitOpts{MaxAttempts: -1}); return err },
	} {
		err := bad()
		require.ErrorIs(t, err, gigq.ErrInvalidJob, "refused input: %v", err)
		require.NotContains(t, err.Error(), "invalid job", "the error keeps its own text")
	}
	st, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Total)

	_, err = gigq.Open(ctx, gigq.Config{Path: dbPath(t), MaxParamsBytes: -2})
	require.ErrorContains(t, err, "MaxParamsBytes")
}

// TestUnencodableResult: a result that cannot be encoded as JSON fails the
// attempt with an error that says so; the node keeps working.
func TestUnencodableResult(t *testing.T) {
	t.Parallel()
	bad := gigq.NewTask("bad_result", func(context.Context, struct{}) (chan int, error) { return make(chan int), nil })
	n := openNode(t, gigq.Config{Path: dbPath(t), Registry: gigq.NewRegistry().MustAdd(bad), Workers: 1})
	defer closeNode(t, n)
	id, err := bad.Submit(context.Background(), n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, "encode result of job")
	require.Contains(t, j.Error, "unsupported type")
}
