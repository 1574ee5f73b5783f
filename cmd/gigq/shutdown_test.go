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
