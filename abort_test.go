package gigq_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq"
)

// TestAbortReleasesRunningJobs: Abort on a node running two jobs (a third
// waits) puts both back to pending in one write, without counting the
// attempt, their executions saying interrupted; it cancels their
// handlers, claims nothing more, and removes the node's row. A node opened
// afterwards runs all three as their first counted attempt.
func TestAbortReleasesRunningJobs(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	path := dbPath(t)
	gated := g.ctxTask("gated")
	n := openNode(t, gigq.Config{Path: path, Workers: 2, Registry: gigq.NewRegistry().MustAdd(gated),
		ShutdownTimeout: time.Minute})
	ctx := testCtx(t)
	var ids []gigq.JobID
	for range 3 {
		id, err := n.Submit(ctx, "gated", nil, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	running := []gigq.JobID{g.waitStarted(t), g.waitStarted(t)}
	nodes, err := n.Nodes(ctx)
	require.NoError(t, err)
	require.Len(t, nodes, 1)

	actx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	require.NoError(t, n.Abort(actx))
	for _, id := range running {
		j := status(t, n, id)
		require.Equal(t, gigq.StatusPending, j.Status)
		require.Zero(t, j.Attempts, "the attempt is not counted")
		require.Len(t, j.Executions, 1)
		require.NotNil(t, j.Executions[0].Error)
		require.Contains(t, *j.Executions[0].Error, "interrupted")
		require.Contains(t, *j.Executions[0].Error, "stopped at once")
	}
	nodes, err = n.Nodes(ctx)
	require.NoError(t, err)
	require.Empty(t, nodes, "the node's row went in the same write")
	// The handlers were cancelled (the gate stays shut): Close returns
	// without the minute of grace, and the waiting job never started.
	closeNode(t, n)
	select {
	case id := <-g.started:
		t.Fatalf("job %s started after Abort", id)
	default:
	}
	reader := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	st, err := reader.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Pending: 3, Total: 3}, st)
	closeNode(t, reader)
	again := openNode(t, gigq.Config{Path: path, Workers: 3, Registry: gigq.NewRegistry().MustAdd(gated)})
	for range 3 {
		g.waitStarted(t)
	}
	g.open()
	for _, id := range ids {
		j := waitJob(t, again, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, 1, j.Attempts, "completed as its first counted attempt")
	}
}

// TestAbortReleasesWorkerNodeJobs: Abort on a primary puts the jobs its
// worker nodes run back to pending too, without counting the attempt, and
// the worker node cancels their handlers.
func TestAbortReleasesWorkerNodeJobs(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	primary := openPrimary(t, gigq.Config{Path: path, ShutdownTimeout: time.Minute})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "w", Tasks: []string{"sleep"}, Concurrency: 1})
	c.expect("joined")
	ctx := testCtx(t)
	id, err := primary.Submit(ctx, "sleep", map[string]int{"ms": 60_000}, nil)
	require.NoError(t, err)
	c.expect("sleep started")
	actx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	require.NoError(t, primary.Abort(actx))
	c.expect("sleep cancelled")
	j := status(t, primary, id)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.Zero(t, j.Attempts)
	require.Len(t, j.Executions, 1)
	require.Equal(t, "w", j.Executions[0].WorkerID)
	require.Contains(t, *j.Executions[0].Error, "interrupted")
	closeNode(t, primary)
}

// TestAbortBounded: when the write lock is held by another process, Abort
// gives up when its context ends and says what that means for the
// running jobs.
func TestAbortBounded(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	path := dbPath(t)
	n := openNode(t, gigq.Config{Path: path, Workers: 1, Registry: gigq.NewRegistry().MustAdd(g.ctxTask("gated"))})
	ctx := testCtx(t)
	_, err := n.Submit(ctx, "gated", nil, nil)
	require.NoError(t, err)
	g.waitStarted(t)

	other, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	defer func() { require.NoError(t, other.Close()) }()
	require.NoError(t, sqlitex.ExecuteTransient(other, `BEGIN IMMEDIATE`, nil))
	actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = n.Abort(actx)
	require.Less(t, time.Since(start), 2*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "not put back to pending in time")
	require.NoError(t, sqlitex.ExecuteTransient(other, `ROLLBACK`, nil))
}
