package main

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestSubmitDelayed(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	before := time.Now()
	id := submit(t, db, "echo", "--delay", "1h")
	j := status(t, db, id)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.WithinRange(t, j.RunAt, before.Add(time.Hour).Add(-time.Second), time.Now().Add(time.Hour))
	out := gigqOK(t, db, "status", string(id))
	require.Regexp(t, `Run at:\s+\S+`, out)
	require.Contains(t, out, "Waiting: delayed until ")

	at := "2030-01-02T03:04:05Z"
	id = submit(t, db, "echo", "--run-at", at)
	require.JSONEq(t, `"`+at+`"`, string(statusFields(t, db, id)["run_at"]))

	for _, args := range [][]string{
		{"--delay", "-1s"}, {"--run-at", "tomorrow"}, {"--delay", "1m", "--run-at", at},
	} {
		r := runCLI(t, append([]string{"submit", "echo", "--db", db}, args...)...)
		require.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
}

func TestSubmitUniqueKey(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	first := submit(t, db, "echo", "--unique-key", "nightly")
	out := gigqOK(t, db, "submit", "echo", "--unique-key", "nightly", "--json")
	var r struct {
		ID        gigq.JobID `json:"id"`
		Duplicate bool       `json:"duplicate"`
		Status    string     `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Equal(t, first, r.ID)
	require.True(t, r.Duplicate)
	require.Equal(t, "pending", r.Status)
	text := gigqOK(t, db, "submit", "echo", "--unique-key", "nightly")
	require.Regexp(t, regexp.MustCompile(`^Duplicate: job `+string(first)+` \(pending\) holds unique key "nightly"; nothing submitted\n$`), text)
	require.JSONEq(t, `"nightly"`, string(statusFields(t, db, first)["unique_key"]))
	other := submit(t, db, "echo", "--unique-key", "weekly")
	require.NotEqual(t, first, other)

	r2 := runCLI(t, "submit", "echo", "--db", db, "--unique-key", "k", "--unique-states", "pending,bogus")
	require.Equal(t, 1, r2.code, r2.stderr)
	require.Contains(t, r2.stderr, `"bogus" is not a job state`)
}

// TestSleepReportsProgress: the sleep handler reports progress each
// second, and gigq status shows it while the job runs.
func TestSleepReportsProgress(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	w := startWorker(t, bin, db)
	id := binSubmit(t, bin, db, "sleep", "-p", "seconds=2.5")
	deadline := time.Now().Add(testTimeout)
	for {
		if p := binStatus(t, bin, db, id).Progress; p != nil {
			require.Greater(t, p.Fraction, 0.0)
			require.Contains(t, p.Message, "slept ")
			break
		}
		require.True(t, time.Now().Before(deadline), "no progress on the running sleep job; the worker said:\n%s", w.stderr.String())
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	require.Contains(t, string(binOutput(t, bin, "status", string(id), "--db", db)), "Progress:")
}

// TestCancelRunningFromAnotherProcess: gigq cancel on a job a worker
// process runs: the job ends cancelled, the worker stops the handler and
// runs the next job.
func TestCancelRunningFromAnotherProcess(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	startWorker(t, bin, db, "--concurrency", "1")
	id := binSubmit(t, bin, db, "sleep", "-p", "seconds=60")
	waitStats(t, bin, db, testTimeout, "the job running", func(st gigq.Stats) bool { return st.Running == 1 })
	binOutput(t, bin, "cancel", string(id), "--db", db)
	j := binStatus(t, bin, db, id)
	require.Equal(t, gigq.StatusCancelled, j.Status)
	require.Equal(t, "cancelled", j.Executions[0].Status)
	next := binSubmit(t, bin, db, "echo")
	waitStats(t, bin, db, testTimeout, "the next job done", func(st gigq.Stats) bool { return st.Completed == 1 })
	require.Equal(t, gigq.StatusCompleted, binStatus(t, bin, db, next).Status)
}

func TestQueueFlags(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	reports := binSubmit(t, bin, db, "echo", "--queue", "reports")
	mail := binSubmit(t, bin, db, "echo", "--queue", "mail")
	plain := binSubmit(t, bin, db, "echo")
	require.Equal(t, "reports", binStatus(t, bin, db, reports).Queue)
	require.Equal(t, gigq.DefaultQueue, binStatus(t, bin, db, plain).Queue)
	require.Contains(t, string(binOutput(t, bin, "status", string(reports), "--db", db)), "Queue:")

	// A worker of the reports queue (at most 1 at once) runs only that one.
	startWorker(t, bin, db, "--queues", "reports", "--queue-limit", "reports=1", "--concurrency", "2")
	waitStats(t, bin, db, testTimeout, "the reports job done", func(st gigq.Stats) bool { return st.Completed == 1 })
	require.Equal(t, gigq.StatusCompleted, binStatus(t, bin, db, reports).Status)
	require.Equal(t, gigq.StatusPending, binStatus(t, bin, db, mail).Status)

	var st gigq.Stats
	require.NoError(t, json.Unmarshal(binOutput(t, bin, "stats", "--queue", "mail", "--json", "--db", db), &st))
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
	var listed []gigq.Job
	require.NoError(t, json.Unmarshal(binOutput(t, bin, "list", "--queue", "reports", "--json", "--db", db), &listed))
	require.Len(t, listed, 1)
	require.Equal(t, reports, listed[0].ID)

	r := runCLI(t, "worker", "--db", db, "--queue-limit", "reports=0")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "--queue-limit")
}
