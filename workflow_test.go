package gigq_test

import (
	"context"
	"encoding/json"
	"testing"

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
	var info *gigq.WorkflowInfo
	eventually(t, "workflow "+string(id)+" ends", func() bool {
		var err error
		info, err = n.Workflow(testCtx(t), id)
		require.NoError(t, err)
		return info.Status != gigq.WorkflowRunning
	})
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
