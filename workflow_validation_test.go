package gigq_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// Every mistake in a workflow is refused before anything is written, with
// an error that names the problem and the step.
func TestWorkflowValidation(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask), Workers: 1})
	other := gigq.NewWorkflow("other")
	foreign := other.Add("foreign", stepOf("x"))

	for _, tc := range []struct {
		name  string
		build func() *gigq.Workflow
		is    error
		msg   []string
	}{
		{"empty", func() *gigq.Workflow { return gigq.NewWorkflow("empty") },
			gigq.ErrInvalidWorkflow, []string{`"empty"`, "no jobs"}},
		{"no name", func() *gigq.Workflow {
			w := gigq.NewWorkflow(" ")
			w.Add("a", stepOf("a"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{"name is empty"}},
		{"duplicate step", func() *gigq.Workflow {
			w := gigq.NewWorkflow("dup")
			w.Add("a", stepOf("a"))
			w.Add("a", stepOf("a"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`duplicate step "a"`}},
		{"unknown step", func() *gigq.Workflow {
			w := gigq.NewWorkflow("unknown")
			w.Add("a", stepOf("a"), gigq.After("nope"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "a" depends on unknown step "nope"`}},
		{"cycle", func() *gigq.Workflow {
			w := gigq.NewWorkflow("cycle")
			w.Add("start", stepOf("s"))
			w.Add("a", stepOf("a"), gigq.After("start", "c"))
			w.Add("b", stepOf("b"), gigq.After("a"))
			w.Add("c", stepOf("c"), gigq.After("b"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{"dependency cycle: a -> c -> b -> a"}},
		{"self", func() *gigq.Workflow {
			w := gigq.NewWorkflow("self")
			w.Add("a", stepOf("a"), gigq.After("a"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "a" depends on itself`}},
		{"another workflow's step", func() *gigq.Workflow {
			w := gigq.NewWorkflow("mixed")
			w.Add("a", stepOf("a"), gigq.DependsOn(foreign))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "foreign" of another workflow`}},
		{"listed twice", func() *gigq.Workflow {
			w := gigq.NewWorkflow("twice")
			a := w.Add("a", stepOf("a"))
			w.Add("b", stepOf("b"), gigq.DependsOn(a), gigq.After("a"))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "b" lists the dependency step "a" twice`}},
		{"bad task name", func() *gigq.Workflow {
			w := gigq.NewWorkflow("badtask")
			w.Add("a", gigq.Call("", nil, nil))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "a"`}},
		{"params not an object", func() *gigq.Workflow {
			w := gigq.NewWorkflow("badparams")
			w.Add("a", gigq.Call("step", []int{1}, nil))
			return w
		}, gigq.ErrInvalidWorkflow, []string{`step "a"`, "JSON object"}},
		{"unknown job id", func() *gigq.Workflow {
			w := gigq.NewWorkflow("unknown_job")
			a := w.Add("a", stepOf("a"))
			w.Add("b", stepOf("b"), gigq.DependsOn(a), gigq.DependsOnJobs("01a2239d-0000-7000-8000-000000000000"))
			return w
		}, gigq.ErrUnknownDependency, []string{"depends on unknown job 01a2239d-0000-7000-8000-000000000000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.build()
			id, ids, err := w.Submit(testCtx(t), n)
			require.ErrorIs(t, err, tc.is)
			for _, m := range tc.msg {
				require.ErrorContains(t, err, m)
			}
			require.Empty(t, id)
			require.Nil(t, ids)
			if tc.is == gigq.ErrInvalidWorkflow {
				require.ErrorIs(t, w.Validate(), gigq.ErrInvalidWorkflow)
			}
		})
	}
	// Nothing of any of them was written.
	st, err := n.Stats(testCtx(t))
	require.NoError(t, err)
	require.Zero(t, st.Total)
	require.Zero(t, rawCount(t, n.Path(), `SELECT count(*) FROM workflows`))
	require.Zero(t, rawCount(t, n.Path(), `SELECT count(*) FROM job_dependencies`))
}

// Plain jobs may depend on jobs already submitted (GigQ's dependencies):
// released the same way, cancelled with their parent, revived by its
// requeue.
func TestJobDependsOn(t *testing.T) {
	t.Parallel()
	var on atomic.Bool
	flaky := switchTask("flaky", &on)
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask, flaky), Workers: 2})
	ctx := testCtx(t)

	parent, err := n.Submit(ctx, "step", map[string]string{"out": "parent"}, nil)
	require.NoError(t, err)
	other, err := n.Submit(ctx, "step", map[string]string{"out": "other"}, nil)
	require.NoError(t, err)
	child, err := n.Submit(ctx, "step", map[string]string{"out": "child"}, &gigq.SubmitOpts{DependsOn: []gigq.JobID{parent, other}})
	require.NoError(t, err)
	j := waitJob(t, n, child)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Equal(t, []gigq.JobID{parent, other}, j.Dependencies)
	res, err := stepTask.Result(ctx, n, child)
	require.NoError(t, err)
	require.Equal(t, []string{"parent", "other"}, res.Parents)

	// Unknown id: refused, nothing written.
	before, err := n.Stats(ctx)
	require.NoError(t, err)
	_, err = n.Submit(ctx, "step", nil, &gigq.SubmitOpts{DependsOn: []gigq.JobID{"no-such-job"}})
	require.ErrorIs(t, err, gigq.ErrUnknownDependency)
	require.ErrorContains(t, err, "no-such-job")
	after, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, before, after)

	// A parent that fails takes its dependents with it; requeuing it
	// brings them back, and one submitted after the failure starts
	// cancelled and comes back too.
	bad, err := n.Submit(ctx, "flaky", nil, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	waiting, err := n.Submit(ctx, "step", map[string]string{"out": "waiting"}, &gigq.SubmitOpts{DependsOn: []gigq.JobID{bad}})
	require.NoError(t, err)
	require.Equal(t, gigq.StatusFailed, waitJob(t, n, bad).Status)
	w := waitJob(t, n, waiting)
	require.Equal(t, gigq.StatusCancelled, w.Status)
	upstream := "upstream job " + string(bad) + " (flaky) failed"
	require.Equal(t, upstream, w.Error)
	late, err := n.Submit(ctx, "step", map[string]string{"out": "late"}, &gigq.SubmitOpts{DependsOn: []gigq.JobID{bad}})
	require.NoError(t, err)
	l := status(t, n, late)
	require.Equal(t, gigq.StatusCancelled, l.Status)
	require.Equal(t, upstream, l.Error)

	on.Store(true)
	require.NoError(t, n.Requeue(ctx, bad))
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, waiting).Status)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, late).Status)
}
