package gigq_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq"
)

// sqlTime is the stored time format (UTC, nine fractional digits).
func sqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }

// rawSQL runs statements on the file through a connection of its own, as
// another process would (setup and assertions only).
func rawSQL(t *testing.T, path string, query string, args ...any) {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetBusyTimeout(5 * time.Second)
	require.NoError(t, sqlitex.Execute(conn, query, &sqlitex.ExecOptions{Args: args}))
}

func rawCount(t *testing.T, path string, query string, args ...any) int {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadOnly)
	require.NoError(t, err)
	defer conn.Close()
	n := -1
	require.NoError(t, sqlitex.Execute(conn, query, &sqlitex.ExecOptions{Args: args,
		ResultFunc: func(s *sqlite.Stmt) error { n = s.ColumnInt(0); return nil }}))
	return n
}

// strandJob submits a job and makes it look like a node called owner was
// running it: status running, one attempt, an open execution row.
func strandJob(t *testing.T, path, owner string) gigq.JobID {
	t.Helper()
	c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	id, err := c.Submit(context.Background(), "noop", nil, nil)
	require.NoError(t, err)
	closeNode(t, c)
	now := sqlTime(time.Now())
	rawSQL(t, path, `UPDATE jobs SET status = 'running', attempts = 1, worker_id = ?, execution_id = ?, started_at = ?
		WHERE id = ?`, owner, "exec-"+owner, now, string(id))
	rawSQL(t, path, `INSERT INTO job_executions (id, job_id, worker_id, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
		"exec-"+owner, string(id), owner, now)
	return id
}

func noopRegistry() *gigq.Registry {
	return gigq.NewRegistry().MustAdd(gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) {
		return struct{}{}, nil
	}))
}

// requireReclaimed checks that the stranded attempt was closed as failed
// with "node <owner> lost" and the job then completed on the live node.
func requireReclaimed(t *testing.T, n *gigq.Node, id gigq.JobID, owner string) {
	t.Helper()
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Len(t, j.Executions, 2)
	require.Equal(t, "failed", j.Executions[0].Status)
	require.NotNil(t, j.Executions[0].Error)
	require.Equal(t, "node "+owner+" lost", *j.Executions[0].Error)
	require.Equal(t, "completed", j.Executions[1].Status)
	require.Equal(t, 2, j.Attempts)
}

// TestReclaimAfterLease: a node on another host stops heartbeating; once
// its lease has passed, a live node reclaims the job it was running.
func TestReclaimAfterLease(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	id := strandJob(t, path, "ghost")
	now := sqlTime(time.Now())
	rawSQL(t, path, `INSERT INTO nodes (id, host, pid, started_at, last_seen) VALUES ('ghost', 'elsewhere', 1, ?, ?)`, now, now)

	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "live",
		HeartbeatInterval: 20 * time.Millisecond, Lease: 300 * time.Millisecond})
	requireReclaimed(t, n, id, "ghost")
	require.Equal(t, 0, rawCount(t, path, `SELECT count(*) FROM nodes WHERE id = 'ghost'`), "the lost node's row is removed")
	require.Equal(t, 1, rawCount(t, path, `SELECT count(*) FROM nodes WHERE id = 'live'`), "the live node has a row")
}

// TestReclaimDeadProcessAtStart: a node row of this host whose process is
// gone (kill -9) is lost at once, without waiting for the lease.
func TestReclaimDeadProcessAtStart(t *testing.T) {
	t.Parallel()
	dead := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, dead.Run())
	host, err := os.Hostname()
	require.NoError(t, err)

	path := dbPath(t)
	id := strandJob(t, path, "crashed")
	now := sqlTime(time.Now())
	rawSQL(t, path, `INSERT INTO nodes (id, host, pid, started_at, last_seen) VALUES ('crashed', ?, ?, ?, ?)`,
		host, dead.ProcessState.Pid(), now, now)

	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "restarted",
		Lease: time.Hour})
	requireReclaimed(t, n, id, "crashed")
}

// TestReclaimJobWithoutNode: a running job whose worker id has no node row
// (its node left without finishing it) is reclaimed at once.
func TestReclaimJobWithoutNode(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	id := strandJob(t, path, "vanished")
	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "live", Lease: time.Hour})
	requireReclaimed(t, n, id, "vanished")
}

// TestNodeRow: a working node has a row while it runs and removes it on
// Close; a client-only node has none.
func TestNodeRow(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	c := openNode(t, gigq.Config{Path: path, ClientOnly: true, WorkerID: "client"})
	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "worker-a"})
	eventually(t, "the node row", func() bool {
		return rawCount(t, path, `SELECT count(*) FROM nodes WHERE id = 'worker-a' AND handlers = '["noop"]'`) == 1
	})
	closeNode(t, n)
	require.Equal(t, 0, rawCount(t, path, `SELECT count(*) FROM nodes`))
	closeNode(t, c)
}

// TestMaxJobsRunsAReclaimedJob: a node opened with MaxJobs (gigq worker
// --once) runs a job it reclaims at start, and is Done only after it.
func TestMaxJobsRunsAReclaimedJob(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	id := strandJob(t, path, "gone")
	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "once", MaxJobs: 1})
	select {
	case <-n.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the node did not finish its one job")
	}
	j, err := n.Status(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, j.Status, "Done came only after the reclaimed job ran")
}
