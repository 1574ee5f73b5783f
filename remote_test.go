package gigq_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/messages"
)

type echoArgs struct {
	N int `json:"n"`
}

// echoTask returns its argument and the worker it ran on.
func echoTask(name string) *gigq.Task[echoArgs, map[string]any] {
	return gigq.NewTask(name, func(ctx context.Context, a echoArgs) (map[string]any, error) {
		j, _ := gigq.JobFromContext(ctx)
		return map[string]any{"n": a.N, "worker": j.WorkerID}, nil
	})
}

// openPrimary opens a node that accepts worker nodes (on a free loopback
// port unless cfg.Remote says otherwise) and runs no jobs itself.
func openPrimary(t testing.TB, cfg gigq.Config) *gigq.Node {
	t.Helper()
	if cfg.Remote == nil {
		cfg.Remote = &gigq.RemoteConfig{Listen: "127.0.0.1:0"}
	}
	if cfg.Workers == 0 {
		cfg.Workers = gigq.NoWorkers
	}
	n := openNode(t, cfg)
	require.NotEmpty(t, n.RemoteAddress())
	return n
}

// joinChild starts a worker node child with tasks and waits until it joined.
func joinChild(t testing.TB, primary *gigq.Node, id string, tasks ...string) *child {
	t.Helper()
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: id, Tasks: tasks, Concurrency: 4})
	c.expect("joined")
	return c
}

// submitAll submits n jobs of task from 8 goroutines, so that many are
// ready at once.
func submitAll(t testing.TB, node *gigq.Node, task string, n int, params func(i int) any) []gigq.JobID {
	t.Helper()
	ids := make([]gigq.JobID, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				id, err := node.Submit(context.Background(), task, params(i), nil)
				if err != nil {
					errs <- err
					return
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(t, <-errs)
	return ids
}

// waitRunningOn waits until a job runs on the worker node.
func waitRunningOn(t testing.TB, node *gigq.Node, worker string) {
	t.Helper()
	eventually(t, worker+" runs a job", func() bool {
		running, err := node.List(testCtx(t), &gigq.ListParams{Status: gigq.StatusRunning})
		require.NoError(t, err)
		for _, j := range running {
			if j.WorkerID == worker {
				return true
			}
		}
		return false
	})
}

// completedOnce checks that the job completed with exactly one completed
// execution, and returns the worker it ran on.
func completedOnce(t testing.TB, node *gigq.Node, id gigq.JobID) string {
	t.Helper()
	j := waitJob(t, node, id)
	require.Equal(t, gigq.StatusCompleted, j.Status, "job %s: %s", id, j.Error)
	j = status(t, node, id)
	completed := 0
	for _, e := range j.Executions {
		if e.Status == "completed" {
			completed++
			require.Equal(t, j.WorkerID, e.WorkerID)
		}
	}
	require.Equal(t, 1, completed, "job %s has one completed execution: %+v", id, j.Executions)
	return j.WorkerID
}

func TestRemoteWorkerNodesRunJobs(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	joinChild(t, primary, "w0", "echo", "fail", "sum")
	joinChild(t, primary, "w1", "echo", "fail", "sum")

	ids := submitAll(t, primary, "echo", 200, func(i int) any { return echoArgs{N: i} })
	ran := map[string]int{}
	echo := echoTask("echo")
	for i, id := range ids {
		worker := completedOnce(t, primary, id)
		res, err := echo.Result(testCtx(t), primary, id)
		require.NoError(t, err)
		require.EqualValues(t, i, res["n"], "the result came back from the worker node")
		require.Equal(t, worker, res["worker"], "the handler saw its worker node's id")
		ran[worker]++
	}
	require.Len(t, ran, 2, "jobs ran on both worker nodes: %v", ran)

	t.Run("NodesTable", func(t *testing.T) {
		infos, err := primary.Nodes(testCtx(t))
		require.NoError(t, err)
		byID := map[string]gigq.NodeInfo{}
		for _, i := range infos {
			byID[i.ID] = i
		}
		for _, id := range []string{"w0", "w1"} {
			info, ok := byID[id]
			require.True(t, ok, "worker node %s is in the nodes table: %+v", id, infos)
			require.Equal(t, primary.WorkerID(), info.Primary)
			require.Equal(t, 4, info.Concurrency)
			require.Equal(t, []string{"echo", "fail", "sum"}, info.Handlers)
		}
	})

	t.Run("FailuresRetryAsLocally", func(t *testing.T) {
		id, err := primary.Submit(testCtx(t), "fail", struct{}{}, &gigq.SubmitOpts{MaxAttempts: 2})
		require.NoError(t, err)
		j := waitJob(t, primary, id)
		require.Equal(t, gigq.StatusFailed, j.Status)
		require.Equal(t, "failing on purpose", j.Error)
		require.Len(t, status(t, primary, id).Executions, 2)
	})

	t.Run("ParentResultsCross", func(t *testing.T) {
		wf := gigq.NewWorkflow("remote-sum")
		a := wf.Add("a", echo.Step(echoArgs{N: 2}, nil))
		b := wf.Add("b", echo.Step(echoArgs{N: 3}, nil))
		s := wf.Add("s", gigq.NewTask("sum", func(context.Context, struct{}) (int, error) { return 0, nil }).Step(struct{}{}, nil), gigq.DependsOn(a, b))
		_, _, err := wf.Submit(testCtx(t), primary)
		require.NoError(t, err)
		j := waitJob(t, primary, s.ID())
		require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
		require.JSONEq(t, "5", string(j.Result))
	})
}

func TestRemoteProgress(t *testing.T) {
	t.Parallel()
	events := make(chan *gigq.Event, 256)
	primary := openPrimary(t, gigq.Config{Events: events})
	joinChild(t, primary, "w", "halfway")
	id, err := primary.Submit(testCtx(t), "halfway", nil, nil)
	require.NoError(t, err)
	e := eventFor(t, events, id, gigq.EventProgress)
	require.InDelta(t, 0.5, e.Progress, 1e-9)
	require.Equal(t, "halfway there", e.ProgressMessage)
	require.Equal(t, "w", completedOnce(t, primary, id))
	require.Equal(t, &gigq.JobProgress{Fraction: 0.5, Message: "halfway there"}, status(t, primary, id).Progress)
}

func TestRemoteJobsGoOnlyToNodesWithTheirHandler(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	joinChild(t, primary, "plain", "echo")
	joinChild(t, primary, "special", "echo", "only")
	ids := submitAll(t, primary, "only", 40, func(i int) any { return echoArgs{N: i} })
	for _, id := range ids {
		require.Equal(t, "special", completedOnce(t, primary, id))
	}
	// A job no connected node can run stays pending.
	id, err := primary.Submit(testCtx(t), "nobody", struct{}{}, nil)
	require.NoError(t, err)
	done := submitAll(t, primary, "echo", 20, func(i int) any { return echoArgs{N: i} })
	for _, d := range done {
		completedOnce(t, primary, d)
	}
	require.Equal(t, gigq.StatusPending, status(t, primary, id).Status)
}

// rightSecret is a primary's secret in the tests (openssl rand -hex 16).
const rightSecret = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"

func TestRemoteWrongSecretRefused(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", Secret: rightSecret}})
	bad := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "bad", Secret: "wrong-secret-of-32-bytes-0123456", Tasks: []string{"echo"}})
	require.Contains(t, bad.expect("refused"), "wrong secret")
	good := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "good", Secret: rightSecret, Tasks: []string{"echo"}})
	good.expect("joined")
	infos, err := primary.Nodes(testCtx(t))
	require.NoError(t, err)
	for _, i := range infos {
		require.NotEqual(t, "bad", i.ID, "a refused worker node is not recorded")
	}
}

func TestRemoteOtherProtocolRefused(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "future", Protocol: 99, Tasks: []string{"echo"}})
	line := c.expect("refused")
	require.Contains(t, line, "protocol 99")
	require.Contains(t, line, fmt.Sprintf("speaks %d", messages.RemoteProtocol))
}

func TestRemoteRefusesPublicListenWithoutSecret(t *testing.T) {
	t.Parallel()
	_, err := gigq.Open(context.Background(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers,
		Remote: &gigq.RemoteConfig{Listen: "10.1.2.3:7420"}})
	require.ErrorContains(t, err, "without a secret")
	_, err = gigq.Open(context.Background(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers,
		Remote: &gigq.RemoteConfig{Listen: "0.0.0.0:7420", Secret: rightSecret}})
	require.ErrorContains(t, err, "Advertise")
	_, err = gigq.Open(context.Background(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers})
	require.ErrorContains(t, err, "NoWorkers")
}

// TestRemoteRefusesShortSecret: a secret shorter than 16 bytes, or blank,
// is refused by Open and by StartWorkerNode, saying how to make one;
// nothing listens.
func TestRemoteRefusesShortSecret(t *testing.T) {
	t.Parallel()
	reg := gigq.NewRegistry().MustAdd(echoTask("echo"))
	for _, tc := range []struct{ secret, want string }{
		{"s3cret", "6 bytes long: use at least 16"},
		{"0123456789abcde", "15 bytes long"},
		{"                    ", "blank"},
	} {
		_, err := gigq.Open(context.Background(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers,
			Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", Secret: tc.secret}})
		require.ErrorContains(t, err, "Remote.Secret is "+tc.want, "%q", tc.secret)
		require.ErrorContains(t, err, "openssl rand -hex 32")
		_, err = gigq.StartWorkerNode(context.Background(), gigq.WorkerNodeConfig{Join: "127.0.0.1:7420", Registry: reg,
			Secret: tc.secret})
		require.ErrorContains(t, err, "worker node Secret is "+tc.want, "%q", tc.secret)
		require.ErrorContains(t, err, "openssl rand -hex 32")
	}
}

func TestRemoteNodeLossRequeuesItsJobs(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", HeartbeatTimeout: 3 * time.Second}})
	victim := joinChild(t, primary, "victim", "sleep")
	joinChild(t, primary, "survivor", "sleep")
	ids := submitAll(t, primary, "sleep", 12, func(int) any { return map[string]int{"ms": 700} })
	waitRunningOn(t, primary, "victim")
	victim.kill()
	lost := 0
	for _, id := range ids {
		worker := completedOnce(t, primary, id)
		for _, e := range status(t, primary, id).Executions {
			if e.Status == "failed" {
				require.Equal(t, "victim", e.WorkerID)
				require.NotNil(t, e.Error)
				require.Contains(t, *e.Error, "node victim lost")
				require.Equal(t, "survivor", worker, "a job the victim was running finished on the survivor")
				lost++
			}
		}
	}
	require.Positive(t, lost, "the victim's running attempts were failed as lost")
}

// TestRemotePrimaryCloseReleasesRemoteJobs: a primary that closes while a
// worker node runs a job past its ShutdownTimeout has the worker node
// cancel it; the job goes back to pending without using an attempt.
func TestRemotePrimaryCloseReleasesRemoteJobs(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	primary := openPrimary(t, gigq.Config{Path: path, ShutdownTimeout: 50 * time.Millisecond})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "w", Tasks: []string{"sleep"}, Concurrency: 1})
	c.expect("joined")
	id, err := primary.Submit(testCtx(t), "sleep", map[string]int{"ms": 60_000}, nil)
	require.NoError(t, err)
	waitRunningOn(t, primary, "w")
	closeNode(t, primary)
	c.expect("sleep cancelled")

	reader := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	j := status(t, reader, id)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.Zero(t, j.Attempts, "a released attempt is not counted")
	require.Len(t, j.Executions, 1)
	require.Contains(t, *j.Executions[0].Error, "interrupted: primary")
}

// TestRemoteWorkerNodeCancelsAfterGrace: the primary dies (kill -9) while
// a worker node runs a job; past its grace period the worker node cancels
// the attempt it can no longer report, and keeps trying to join.
func TestRemoteWorkerNodeCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	path, addr := dbPath(t), freePort(t)
	p := startChild(t, childEnv{Primary: true, DB: path, Join: addr, ID: "primary"})
	p.expect("listening")
	c := startChild(t, childEnv{Join: addr, ID: "orphan", Tasks: []string{"sleep"}, Concurrency: 1, GraceMS: 500})
	c.expect("joined")
	client := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	_, err := client.Submit(testCtx(t), "sleep", map[string]int{"ms": 60_000}, nil)
	require.NoError(t, err)
	c.expect("sleep started") // running on the worker node, not only claimed
	p.kill()
	c.expect("sleep cancelled")
}

// TestRemoteCancelRunningJob: cancelling a job that runs on a worker node
// stops its handler there and frees the slot.
func TestRemoteCancelRunningJob(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "w", Tasks: []string{"sleep", "echo"}, Concurrency: 1})
	c.expect("joined")
	id, err := primary.Submit(testCtx(t), "sleep", map[string]int{"ms": 60_000}, nil)
	require.NoError(t, err)
	waitRunningOn(t, primary, "w")
	require.NoError(t, primary.Cancel(testCtx(t), id))
	c.expect("sleep cancelled")
	j := status(t, primary, id)
	require.Equal(t, gigq.StatusCancelled, j.Status)
	require.Equal(t, "cancelled", j.Executions[0].Status)
	next, err := primary.Submit(testCtx(t), "echo", echoArgs{N: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, "w", completedOnce(t, primary, next), "the worker node's only slot is free again")
}
