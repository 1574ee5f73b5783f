package gigq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// stepTask records the parents' results it saw and returns its own name.
var stepTask = gigq.NewTask("step", func(ctx context.Context, args struct {
	Out string `json:"out"`
}) (stepResult, error) {
	parents := gigq.ParentResults(ctx)
	r := stepResult{Out: args.Out}
	for _, p := range parents {
		var pr stepResult
		if err := json.Unmarshal(p.Result, &pr); err != nil {
			return r, err
		}
		r.Parents = append(r.Parents, pr.Out)
	}
	return r, nil
})

type stepResult struct {
	Out     string   `json:"out"`
	Parents []string `json:"parents"`
}

func stepOf(out string) gigq.StepSpec {
	return stepTask.Step(struct {
		Out string `json:"out"`
	}{out}, nil)
}

// waitWorkflow waits for a workflow to reach a final status.
func waitWorkflow(t testing.TB, n *gigq.Node, id gigq.WorkflowID) *gigq.WorkflowInfo {
	t.Helper()
	return waitWorkflowFor(t, n, id, waitTimeout)
}

// bigWorkflowTimeout bounds the wait for the 1,000-job workflows: under
// -race the pure-Go SQLite runs about 15 times slower (a 1,000-step chain
// takes 10 s alone on 2 cores), and the other packages' tests run beside
// it.
const bigWorkflowTimeout = 3 * time.Minute

func waitWorkflowFor(t testing.TB, n *gigq.Node, id gigq.WorkflowID, d time.Duration) *gigq.WorkflowInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	info, err := n.WaitWorkflow(ctx, id)
	require.NoError(t, err)
	return info
}

func TestWorkflowDiamond(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask), Workers: 4})
	wf := gigq.NewWorkflow("data_pipeline")
	download := wf.Add("download", stepOf("download"))
	process := wf.Add("process", stepOf("process"), gigq.DependsOn(download))
	report := wf.Add("report", stepOf("report"), gigq.DependsOn(process))
	notify := wf.Add("notify", stepOf("notify"), gigq.DependsOn(process))
	archive := wf.Add("archive", stepOf("archive"), gigq.DependsOn(report, notify))
	id, ids, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Len(t, ids, 5)
	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	require.Equal(t, 5, info.Counts.Completed)

	jobs := map[string]*gigq.Job{}
	for _, s := range []*gigq.Step{download, process, report, notify, archive} {
		jobs[s.Key()] = status(t, n, s.ID())
	}
	after := func(child string, parents ...string) {
		for _, p := range parents {
			require.False(t, jobs[child].StartedAt.Before(jobs[p].CompletedAt),
				"%s started at %s, before its parent %s completed at %s", child, jobs[child].StartedAt, p, jobs[p].CompletedAt)
		}
	}
	after("process", "download")
	after("report", "process")
	after("notify", "process")
	after("archive", "report", "notify")
	res, err := stepTask.Result(testCtx(t), n, archive.ID())
	require.NoError(t, err)
	require.Equal(t, []string{"report", "notify"}, res.Parents)
	require.Equal(t, []gigq.JobID{report.ID(), notify.ID()}, jobs["archive"].Dependencies)
}

// chain builds a workflow of n steps, each depending on the one before.
func chain(name string, n int, spec func(i int) gigq.StepSpec) (*gigq.Workflow, []*gigq.Step) {
	wf := gigq.NewWorkflow(name)
	steps := make([]*gigq.Step, n)
	for i := range n {
		var opts []gigq.StepOption
		if i > 0 {
			opts = append(opts, gigq.DependsOn(steps[i-1]))
		}
		steps[i] = wf.Add(fmt.Sprintf("s%04d", i), spec(i), opts...)
	}
	return wf, steps
}

func noopStep(int) gigq.StepSpec { return noop.Step(struct{}{}, nil) }

func TestWorkflowChain1000(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(noop), Workers: 4})
	before := gigq.ReleasedDependents(n)
	wf, steps := chain("chain", 1000, noopStep)
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	info := waitWorkflowFor(t, n, id, bigWorkflowTimeout)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	require.Equal(t, 1000, info.Counts.Completed)
	// Each completion touched exactly its one child: the release path
	// reads the parent's edges, never the table.
	require.Equal(t, int64(999), gigq.ReleasedDependents(n)-before)
	for i := 1; i < len(steps); i += 97 {
		prev, cur := status(t, n, steps[i-1].ID()), status(t, n, steps[i].ID())
		require.False(t, cur.StartedAt.Before(prev.CompletedAt), "step %d started before step %d completed", i, i-1)
	}
}

func TestWorkflowFanOutFanIn1000(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask), Workers: 4})
	wf := gigq.NewWorkflow("fan")
	root := wf.Add("root", stepOf("root"))
	mids := make([]*gigq.Step, 1000)
	for i := range mids {
		mids[i] = wf.Add(fmt.Sprintf("m%04d", i), stepOf(fmt.Sprintf("m%04d", i)), gigq.DependsOn(root))
	}
	sink := wf.Add("sink", stepOf("sink"), gigq.DependsOn(mids...))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	info := waitWorkflowFor(t, n, id, bigWorkflowTimeout)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	require.Equal(t, 1002, info.Counts.Completed)
	res, err := stepTask.Result(testCtx(t), n, sink.ID())
	require.NoError(t, err)
	require.Len(t, res.Parents, 1000)
	for i, p := range res.Parents {
		require.Equal(t, fmt.Sprintf("m%04d", i), p, "parent results in dependency order")
	}
	s := status(t, n, sink.ID())
	for _, m := range mids {
		require.False(t, s.StartedAt.Before(status(t, n, m.ID()).CompletedAt))
	}
}

// The transaction that ends a workflow's last job sets its final status:
// once that job's event arrives, the status is final, with no wait (a
// worker that exits after that job leaves no workflow running).
func TestWorkflowStatusSetWithLastJob(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask), Workers: 2})
	events, cancel := n.Subscribe(gigq.EventCompleted, gigq.EventWorkflow)
	defer cancel()
	wf := gigq.NewWorkflow("final")
	a := wf.Add("a", stepOf("a"))
	last := wf.Add("last", stepOf("last"), gigq.DependsOn(a))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	eventFor(t, events, last.ID(), gigq.EventCompleted)
	info, err := n.Workflow(testCtx(t), id)
	require.NoError(t, err)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	ev := nextEvent(t, events)
	require.Equal(t, gigq.EventWorkflow, ev.Kind, "published with the last job's commit")
	require.Equal(t, id, ev.WorkflowID)
	require.Equal(t, gigq.WorkflowCompleted, ev.WorkflowStatus)
}
