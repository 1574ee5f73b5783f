package gigq_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// bigParams are params that need new pages in the file (overflow pages),
// so submitting them fails while the database cannot grow.
func bigParams() json.RawMessage {
	return json.RawMessage(`{"pad":"` + strings.Repeat("p", 64<<10) + `"}`)
}

// TestDiskFull: with the database held at its size (the same SQLite error
// as a full disk):
//   - Submit fails at once with an error that matches gigq.ErrFull and says
//     so, and nothing of it is written;
//   - Status, List and Stats keep working;
//   - a job that was running when the disk filled, whose report needs
//     space, is not lost: the report is kept and retried, and the job
//     completes once space returns;
//   - once space returns the same node, without a restart, accepts
//     submits and runs them.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	log := zerolog.New(&logs).Level(zerolog.WarnLevel)
	release := make(chan struct{})
	started := make(chan gigq.JobID, 1)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	// big returns a result that needs new pages too, once released.
	big := gigq.NewTask("big_result", func(ctx context.Context, _ struct{}) (string, error) {
		jc, _ := gigq.JobFromContext(ctx)
		started <- jc.ID
		<-release
		return strings.Repeat("r", 64<<10), nil
	})
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(big).MustAdd(noop), Workers: 2, Logger: &log})
	ctx := testCtx(t)

	running, err := n.Submit(ctx, "big_result", nil, nil)
	require.NoError(t, err)
	select {
	case id := <-started:
		require.Equal(t, running, id)
	case <-ctx.Done():
		t.Fatal("the job did not start")
	}
	done, err := n.Submit(ctx, "noop", nil, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, done).Status)
	before, err := n.Stats(ctx)
	require.NoError(t, err)

	gigq.SetMaxPageCount(n, 1) // the file cannot grow from now on

	// Submit fails fast, says why, and writes nothing.
	for range 3 {
		_, err = n.Submit(ctx, "noop", bigParams(), &gigq.SubmitOpts{Name: "while full"})
		require.ErrorIs(t, err, gigq.ErrFull)
		require.Contains(t, err.Error(), "full")
	}
	// Reads keep working, and show nothing of the failed submits.
	stats, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, before, stats)
	jobs, err := n.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	for _, j := range jobs {
		require.NotEqual(t, "while full", j.Name)
	}
	require.Equal(t, gigq.StatusRunning, status(t, n, running).Status)

	// The running job ends; its report cannot be written yet. It is kept,
	// not dropped: the job stays running meanwhile.
	close(release)
	eventually(t, "the store to keep the report", func() bool {
		return strings.Contains(logs.String(), "attempt report kept")
	})
	j := status(t, n, running)
	require.Equal(t, gigq.StatusRunning, j.Status)
	require.Len(t, j.Executions, 1)

	// Space returns: the kept report commits, and new submits run.
	gigq.SetMaxPageCount(n, 0)
	j = waitJob(t, n, running)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Equal(t, 1, j.Attempts)
	require.Len(t, j.Executions, 1)
	require.Equal(t, "completed", j.Executions[0].Status)
	var result string
	require.NoError(t, json.Unmarshal(j.Result, &result))
	require.Len(t, result, 64<<10)

	after, err := n.Submit(ctx, "noop", bigParams(), nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, after).Status)
	stats, err = n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, stats.Completed)
	require.Zero(t, stats.Running)
	require.Zero(t, stats.Pending)
}

// TestDiskFullClaim: a claim that cannot be written for want of space
// fails, the job stays pending, and it runs once space returns, on the
// same node. A long worker id makes every claim and report need new pages.
func TestDiskFullClaim(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	log := zerolog.New(&logs).Level(zerolog.WarnLevel)
	g := newGate()
	defer g.open()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(g.task("gated")).MustAdd(noop), Workers: 1,
		WorkerID: strings.Repeat("w", 16<<10), Logger: &log})
	ctx := testCtx(t)

	first, err := n.Submit(ctx, "gated", nil, nil)
	require.NoError(t, err)
	require.Equal(t, first, g.waitStarted(t))
	second, err := n.Submit(ctx, "noop", nil, nil) // waits for the only worker
	require.NoError(t, err)

	gigq.SetMaxPageCount(n, 1)
	g.open()
	eventually(t, "the claim of the second job to fail", func() bool {
		return strings.Contains(logs.String(), `"claims_failed":1`)
	})
	require.Equal(t, gigq.StatusPending, status(t, n, second).Status)

	gigq.SetMaxPageCount(n, 0)
	for _, id := range []gigq.JobID{first, second} {
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Len(t, j.Executions, 1)
	}
}
