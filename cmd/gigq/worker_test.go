package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestWorkerOnceRunsOneJob(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	low := submit(t, db, "echo", "-p", "n=1")
	high := submit(t, db, "echo", "-p", "n=2", "--priority", "5")
	r := workOnce(t, db)
	require.Empty(t, r.stdout, "the worker logs to stderr only")
	require.Equal(t, gigq.Stats{Pending: 1, Completed: 1, Total: 2}, stats(t, db))
	require.Equal(t, gigq.StatusCompleted, status(t, db, high).Status, "the higher priority runs first")
	require.Equal(t, gigq.StatusPending, status(t, db, low).Status)

	lines := logLines(t, r.stderr)
	require.True(t, hasLog(lines, "job started", high), r.stderr)
	require.True(t, hasLog(lines, "job completed", high), r.stderr)
	require.False(t, hasLog(lines, "job started", low), r.stderr)
	for _, m := range lines {
		if m["message"] == "job completed" {
			require.Equal(t, "echo", m["task"])
			require.EqualValues(t, 1, m["attempt"])
			require.Equal(t, "info", m["level"])
		}
	}

	workOnce(t, db)
	require.Equal(t, gigq.Stats{Completed: 2, Total: 2}, stats(t, db))
}

func TestWorkerOnceEmptyDB(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"worker", "--once", "--db", db}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.NoError(t, ctx.Err(), "worker --once must exit by itself when nothing is ready")
	require.Equal(t, gigq.Stats{}, stats(t, db))
}

func TestWorkerOnceSkipsUnknownHandlers(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	other := submit(t, db, "resize-image", "--priority", "9")
	echo := submit(t, db, "echo")
	workOnce(t, db)
	require.Equal(t, gigq.StatusPending, status(t, db, other).Status, "no built-in handler: it waits for a node that has one")
	require.Equal(t, gigq.StatusCompleted, status(t, db, echo).Status)
	workOnce(t, db) // nothing this worker can run: exits at once
	require.Equal(t, gigq.StatusPending, status(t, db, other).Status)
}

func TestEchoHandler(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo", "-p", `nested={"a":[1,2,{"b":null}]}`, "-p", "s=text", "-p", "n=4.5")
	workOnce(t, db)
	j := status(t, db, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.JSONEq(t, `{"nested":{"a":[1,2,{"b":null}]},"s":"text","n":4.5}`, string(j.Result))
	require.Len(t, j.Executions, 1)
	require.JSONEq(t, string(j.Result), string(j.Executions[0].Result))

	empty := submit(t, db, "echo")
	workOnce(t, db)
	require.JSONEq(t, `{}`, string(status(t, db, empty).Result))
}

func TestSleepHandler(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "sleep", "-p", "seconds=0.05")
	workOnce(t, db)
	j := status(t, db, id)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	require.JSONEq(t, `{"slept":0.05}`, string(j.Result))
	require.GreaterOrEqual(t, j.Executions[0].CompletedAt.Sub(j.Executions[0].StartedAt), 50*time.Millisecond)

	bad := submit(t, db, "sleep", "-p", "seconds=-1", "--max-attempts", "1")
	workOnce(t, db)
	j = status(t, db, bad)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, "invalid seconds")
}

func TestSleepHandlerStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := sleepHandler(ctx, sleepArgs{Seconds: 3600})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), time.Minute)
	require.Contains(t, err.Error(), "sleep interrupted")

	res, err := sleepHandler(context.Background(), sleepArgs{Seconds: 0})
	require.NoError(t, err)
	require.Equal(t, sleepResult{Slept: 0}, res)
}

func TestFailHandler(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	plain := submit(t, db, "fail", "--max-attempts", "2", "--priority", "2")
	msg := submit(t, db, "fail", "-p", "message=disk on fire", "--max-attempts", "1", "--priority", "1")
	workOnce(t, db)
	workOnce(t, db)
	workOnce(t, db)

	j := status(t, db, plain)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, 2, j.Attempts)
	require.Equal(t, "fail handler", j.Error)
	require.Len(t, j.Executions, 2)
	for _, e := range j.Executions {
		require.Equal(t, "failed", e.Status)
		require.NotNil(t, e.Error)
		require.Equal(t, "fail handler", *e.Error)
	}
	j = status(t, db, msg)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, "disk on fire", j.Error)
	require.JSONEq(t, `null`, string(statusFields(t, db, msg)["result"]))
}

func TestFailHandlerTimesThenCompletes(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "fail", "-p", "times=1", "--max-attempts", "3")
	r := workOnce(t, db)
	require.True(t, hasLog(logLines(t, r.stderr), "job retrying", id), r.stderr)
	j := status(t, db, id)
	require.Equal(t, gigq.StatusPending, j.Status, "retried: attempts remain")
	require.Equal(t, 1, j.Attempts)

	workOnce(t, db)
	f := statusFields(t, db, id)
	require.JSONEq(t, `"completed"`, string(f["status"]))
	require.JSONEq(t, `2`, string(f["attempts"]))
	require.JSONEq(t, `{"attempts":2}`, string(f["result"]))
	j = status(t, db, id)
	require.Len(t, j.Executions, 2)
	require.Equal(t, "failed", j.Executions[0].Status)
	require.Equal(t, "fail handler", *j.Executions[0].Error)
	require.Equal(t, "completed", j.Executions[1].Status)
	require.JSONEq(t, `{"attempts":2}`, string(j.Executions[1].Result))

	zero := submit(t, db, "fail", "-p", "times=0")
	workOnce(t, db)
	require.JSONEq(t, `{"attempts":1}`, string(status(t, db, zero).Result))
}

// TestWorkerRunsJobSubmittedByAnotherProcess runs "gigq worker" in this
// process while a separate process submits a job with "gigq submit": the
// worker notices the other process's write and runs the job.
func TestWorkerRunsJobSubmittedByAnotherProcess(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	// A client node of the test's own: it waits for the job (Wait checks
	// the database for other processes' changes).
	client, err := gigq.Open(ctx, gigq.Config{Path: db, ClientOnly: true})
	require.NoError(t, err)
	defer client.Close(context.Background())

	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	var wout, werr bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(workerCtx, []string{"worker", "--db", db, "--concurrency", "2", "--worker-id", "w1"}, &wout, &werr)
	}()

	out, err := helperCmd(ctx, "submit", "echo", "-p", "from=helper", "--json", "--db", db).Output()
	require.NoError(t, err, "helper process: %s", stderrOf(err))
	var sub struct {
		ID gigq.JobID `json:"id"`
	}
	require.NoError(t, json.Unmarshal(out, &sub), string(out))

	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	j, err := client.Wait(wctx, sub.ID)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	require.JSONEq(t, `{"from":"helper"}`, string(j.Result))
	require.Equal(t, "w1", j.WorkerID)

	// The other process reads the result too.
	out, err = helperCmd(ctx, "status", string(sub.ID), "--json", "--db", db).Output()
	require.NoError(t, err, "helper process: %s", stderrOf(err))
	var seen gigq.Job
	require.NoError(t, json.Unmarshal(out, &seen), string(out))
	require.Equal(t, gigq.StatusCompleted, seen.Status)

	stopWorker() // SIGINT/SIGTERM in main
	select {
	case code := <-exited:
		require.Equal(t, 0, code, werr.String())
	case <-ctx.Done():
		t.Fatal("worker did not stop after its context was cancelled")
	}
	require.Empty(t, wout.String())
	lines := logLines(t, werr.String())
	require.True(t, hasLog(lines, "job started", sub.ID), werr.String())
	require.True(t, hasLog(lines, "job completed", sub.ID), werr.String())
	require.Contains(t, werr.String(), "shutting down")
}

func TestHelperProcessExitCodes(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := helperCmd(ctx, "status", "no-such-job", "--db", db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.Error(t, err)
	require.Equal(t, 1, cmd.ProcessState.ExitCode(), stderr.String())
	require.True(t, strings.HasPrefix(stderr.String(), "gigq: "), stderr.String())

	cmd = helperCmd(ctx, "submit", "echo", "-p", "oops", "--db", db)
	require.Error(t, cmd.Run())
	require.Equal(t, 2, cmd.ProcessState.ExitCode())
}

func TestDemo(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	start := time.Now()
	r := runCLI(t, "demo", "--db", db)
	require.Equal(t, 0, r.code, "stdout %s\nstderr %s", r.stdout, r.stderr)
	require.Less(t, time.Since(start), 15*time.Second)
	for _, want := range []string{"submitted", "started", "completed", "retrying", "failed for good", "attempt 2/3",
		"STATUS", "COUNT", "total", "gigq list", "--show-executions", "All 6 demo jobs finished",
		"workflow data_pipeline, after report and notify", "Workflow data_pipeline completed: 5 of 5 jobs completed.",
		`report {"format":"pdf",…}, notify {"channel":"email",…}`, "gigq workflow status "} {
		require.Contains(t, r.stdout, want)
	}
	section := r.stdout[strings.Index(r.stdout, "Workflow data_pipeline, its jobs"):]
	require.Regexp(t, `(?s)download .*process .*(report|notify) .*(report|notify) .*archive .*Workflow data_pipeline completed`,
		section, "the workflow's jobs in the order they ran")
	require.Equal(t, gigq.Stats{Completed: 10, Failed: 1, Total: 11}, stats(t, db))
	require.Regexp(t, `(?m)^completed\s+10$`, r.stdout)
	require.Regexp(t, `(?m)^failed\s+1$`, r.stdout)

	// The hint names the retried job: it completed on its second attempt.
	m := strings.Fields(r.stdout[strings.Index(r.stdout, "gigq status "):])
	j := status(t, db, gigq.JobID(m[2]))
	require.Equal(t, "flaky", j.Name)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Len(t, j.Executions, 2)
	require.GreaterOrEqual(t, j.Executions[1].StartedAt.Sub(*j.Executions[0].CompletedAt), 500*time.Millisecond,
		"the retry waits for its retry delay")
}
