package gigq_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// A node closed while a workflow is half done leaves it in the file; the
// node that opens the file next tracks it again and runs the rest, each
// job once.
func TestWorkflowResumesAfterRestart(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	g := newGate()
	defer g.open()
	blocked := g.ctxTask("blocked")
	// The first node has no handler for "later": the workflow stops
	// there, with "mid" running when the node closes.
	n1 := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(stepTask, blocked), Workers: 2,
		ShutdownTimeout: 50 * time.Millisecond})
	wf := gigq.NewWorkflow("resume")
	first := wf.Add("first", stepOf("first"))
	mid := wf.Add("mid", blocked.Step(struct{}{}, nil), gigq.DependsOn(first))
	later := wf.Add("later", gigq.Call("later", map[string]string{"out": "later"}, nil), gigq.DependsOn(first))
	last := wf.Add("last", stepOf("last"), gigq.DependsOn(mid, later))
	id, _, err := wf.Submit(testCtx(t), n1)
	require.NoError(t, err)
	require.Equal(t, mid.ID(), g.waitStarted(t))
	closeNode(t, n1) // cancels mid's context: it goes back to pending, unfinished
	require.Equal(t, gigq.StatusPending, rawStatus(t, path, mid.ID()))

	later2 := gigq.NewTask("later", func(ctx context.Context, a struct {
		Out string `json:"out"`
	}) (stepResult, error) {
		return stepResult{Out: a.Out}, nil
	})
	unblocked := gigq.NewTask("blocked", func(context.Context, struct{}) (stepResult, error) { return stepResult{Out: "mid"}, nil })
	n2 := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(stepTask, later2, unblocked), Workers: 2})
	info := waitWorkflow(t, n2, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	for _, s := range []*gigq.Step{first, mid, later, last} {
		j := status(t, n2, s.ID())
		completed := 0
		for _, e := range j.Executions {
			if e.Status == "completed" {
				completed++
			}
		}
		require.Equal(t, 1, completed, "%s completed exactly once: %+v", s.Key(), j.Executions)
	}
	res, err := stepTask.Result(testCtx(t), n2, last.ID())
	require.NoError(t, err)
	require.Equal(t, []string{"mid", "later"}, res.Parents)
}

// rawStatus reads a job's status straight from the file.
func rawStatus(t *testing.T, path string, id gigq.JobID) gigq.Status {
	t.Helper()
	statuses := gigq.Statuses()
	for i, s := range statuses {
		if rawCount(t, path, `SELECT count(*) FROM jobs WHERE id = ? AND status = ?`, string(id), string(s)) == 1 {
			return statuses[i]
		}
	}
	t.Fatalf("job %s not found", id)
	return ""
}

// A workflow submitted by a process that only submits (ClientOnly) is run
// by a node on the same file: it hears of the jobs through the file, and
// tracks the workflow from its first change.
func TestWorkflowFromClientOnlyProcess(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	client := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	worker := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(stepTask), Workers: 2})
	wf := gigq.NewWorkflow("remote_diamond")
	a := wf.Add("a", stepOf("a"))
	b := wf.Add("b", stepOf("b"), gigq.DependsOn(a))
	c := wf.Add("c", stepOf("c"), gigq.DependsOn(a))
	d := wf.Add("d", stepOf("d"), gigq.DependsOn(b, c))
	id, _, err := wf.Submit(testCtx(t), client)
	require.NoError(t, err)
	info := waitWorkflow(t, client, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	res, err := stepTask.Result(testCtx(t), worker, d.ID())
	require.NoError(t, err)
	require.Equal(t, []string{"b", "c"}, res.Parents)
}

// Two nodes on one file, each with a task the other lacks: each runs its
// part of the workflow and releases what follows, the other hears of it
// through the file, and once the workflow ended neither keeps tracking it.
func TestWorkflowSplitAcrossNodes(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	left := gigq.NewTask("left", func(ctx context.Context, a struct {
		Out string `json:"out"`
	}) (stepResult, error) {
		return stepResult{Out: a.Out}, nil
	})
	right := gigq.NewTask("right", func(ctx context.Context, a struct {
		Out string `json:"out"`
	}) (stepResult, error) {
		return stepResult{Out: a.Out}, nil
	})
	a := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(left), Workers: 2, WatchInterval: 20 * time.Millisecond})
	b := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(right), Workers: 2, WatchInterval: 20 * time.Millisecond})
	type out = struct {
		Out string `json:"out"`
	}
	wf := gigq.NewWorkflow("split")
	s1 := wf.Add("s1", left.Step(out{"s1"}, nil))
	s2 := wf.Add("s2", right.Step(out{"s2"}, nil), gigq.DependsOn(s1))
	s3 := wf.Add("s3", left.Step(out{"s3"}, nil), gigq.DependsOn(s2))
	wf.Add("s4", right.Step(out{"s4"}, nil), gigq.DependsOn(s3))
	id, _, err := wf.Submit(testCtx(t), a)
	require.NoError(t, err)
	info := waitWorkflow(t, b, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	for _, j := range info.Jobs {
		want := map[string]string{"left": a.WorkerID(), "right": b.WorkerID()}[j.Function]
		require.Equal(t, want, status(t, a, j.ID).WorkerID, "%s ran on the node with its task", j.Name)
	}
	for _, n := range []*gigq.Node{a, b} {
		eventually(t, "the node stops tracking the ended workflow", func() bool {
			count, err := gigq.TrackedWorkflows(testCtx(t), n)
			require.NoError(t, err)
			return count == 0
		})
	}
}
