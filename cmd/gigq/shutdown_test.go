package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestWorkerSIGTERMLetsJobsFinish: SIGTERM while two sleep jobs run, with
// a grace longer than they need: the worker process waits for them, both
// complete, and it exits 0.
func TestWorkerSIGTERMLetsJobsFinish(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	w := startWorker(t, bin, db, "--concurrency", "2", "--shutdown-grace", "10s", "--log-level", "info")
	ids := []gigq.JobID{
		binSubmit(t, bin, db, "sleep", "-p", "seconds=1.5"),
		binSubmit(t, bin, db, "sleep", "-p", "seconds=1.5"),
	}
	waitStats(t, bin, db, 30*time.Second, "both jobs running", func(st gigq.Stats) bool { return st.Running == 2 })
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	signalled := time.Now()
	require.Equal(t, 0, w.wait(t, 20*time.Second), w.stderr.String())
	require.Contains(t, w.stderr.String(), "shutting down")
	for _, id := range ids {
		j := binStatus(t, bin, db, id)
		require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
		require.Equal(t, 1, j.Attempts)
		require.Len(t, j.Executions, 1)
		require.Equal(t, "completed", j.Executions[0].Status)
		require.True(t, j.CompletedAt.After(signalled), "the job finished after SIGTERM, within the grace")
	}
	require.Zero(t, queryInt(t, openRO(t, db), `SELECT count(*) FROM nodes`), "node row left behind")
}

// TestWorkerSIGTERMShortGrace: SIGTERM while two 30 s sleeps run, with a
// 200ms grace: the worker process exits 0 promptly and both jobs are back
// to PENDING without using an attempt, their execution saying interrupted.
func TestWorkerSIGTERMShortGrace(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	w := startWorker(t, bin, db, "--concurrency", "2", "--shutdown-grace", "200ms")
	ids := []gigq.JobID{
		binSubmit(t, bin, db, "sleep", "-p", "seconds=30"),
		binSubmit(t, bin, db, "sleep", "-p", "seconds=30"),
	}
	waitStats(t, bin, db, 30*time.Second, "both jobs running", func(st gigq.Stats) bool { return st.Running == 2 })
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	start := time.Now()
	require.Equal(t, 0, w.wait(t, 20*time.Second), w.stderr.String())
	require.Less(t, time.Since(start), 10*time.Second, "exit after the 200ms grace")
	for _, id := range ids {
		j := binStatus(t, bin, db, id)
		require.Equal(t, gigq.StatusPending, j.Status)
		require.Zero(t, j.Attempts, "an interrupted attempt is not counted")
		require.Len(t, j.Executions, 1)
		e := j.Executions[0]
		require.NotNil(t, e.Error)
		require.Contains(t, *e.Error, "interrupted")
		require.NotNil(t, e.CompletedAt)
		require.NotEqual(t, "running", e.Status)
	}
	require.Equal(t, gigq.Stats{Pending: 2, Total: 2}, binStats(t, bin, db))
	require.Zero(t, queryInt(t, openRO(t, db), `SELECT count(*) FROM nodes`), "node row left behind")
	require.False(t, strings.Contains(w.stderr.String(), `"level":"error"`), w.stderr.String())
}

// TestWorkerSecondSignalReleasesJobs: SIGTERM, then SIGTERM again while
// three long jobs run with a long grace: the worker exits at once (130),
// having put the three jobs back to pending in one write, their attempts
// not counted and their executions saying interrupted, and its node row
// gone. A new worker then completes each as its first attempt.
func TestWorkerSecondSignalReleasesJobs(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	w := startWorker(t, bin, db, "--concurrency", "3", "--shutdown-grace", "60s", "--log-level", "info")
	var ids []gigq.JobID
	for range 3 {
		ids = append(ids, binSubmit(t, bin, db, "sleep", "-p", "seconds=4"))
	}
	waitStats(t, bin, db, 30*time.Second, "three jobs running", func(st gigq.Stats) bool { return st.Running == 3 })
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	eventuallyCLI(t, "the first signal to be handled", func() bool { return strings.Contains(w.stderr.String(), "shutting down") })
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGTERM))
	start := time.Now()
	require.Equal(t, 130, w.wait(t, 10*time.Second), w.stderr.String())
	require.Less(t, time.Since(start), 3*time.Second, "the second signal exits at once")
	require.Contains(t, w.stderr.String(), "second signal: running jobs put back to pending")

	conn := openRO(t, db)
	for _, id := range ids {
		j := binStatus(t, bin, db, id)
		require.Equal(t, gigq.StatusPending, j.Status, w.stderr.String())
		require.Zero(t, j.Attempts, "the interrupted attempt is not counted")
		require.Len(t, j.Executions, 1)
		e := j.Executions[0]
		require.NotEqual(t, "running", e.Status)
		require.NotNil(t, e.Error)
		require.Contains(t, *e.Error, "interrupted")
		require.NotNil(t, e.CompletedAt)
	}
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM nodes`), "node row left behind")
	// One write put the three back: the node logged one release of 3.
	released := false
	for _, l := range procLog(w) {
		if l.msg() == "stopping at once: running jobs put back to pending (attempts not counted)" {
			require.False(t, released, "one release")
			require.EqualValues(t, 3, l["jobs"])
			released = true
		}
	}
	require.True(t, released, w.stderr.String())

	w2 := startWorker(t, bin, db, "--concurrency", "3", "--shutdown-grace", "60s")
	waitStats(t, bin, db, 30*time.Second, "the jobs completed", func(st gigq.Stats) bool { return st.Completed == 3 })
	require.NoError(t, w2.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, w2.wait(t, 20*time.Second), w2.stderr.String())
	for _, id := range ids {
		j := binStatus(t, bin, db, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, 1, j.Attempts, "completed on its first counted attempt")
		require.Len(t, j.Executions, 2)
		require.Equal(t, "completed", j.Executions[1].Status)
	}
}

// eventuallyCLI polls cond until it holds, failing the test at testTimeout.
func eventuallyCLI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(10 * time.Millisecond)
	}
}
