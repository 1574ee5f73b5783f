package gigq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// strandWorkflowJob makes a workflow's first job look like a node called
// owner was running it, as strandJob does for a plain job.
func strandWorkflowJob(t *testing.T, path string, id gigq.JobID, owner string) {
	t.Helper()
	now := sqlTime(time.Now())
	rawSQL(t, path, `UPDATE jobs SET status = 'running', attempts = 1, worker_id = ?, execution_id = ?, started_at = ?
		WHERE id = ?`, owner, "exec-"+owner, now, string(id))
	rawSQL(t, path, `INSERT INTO job_executions (id, job_id, worker_id, status, started_at) VALUES (?, ?, ?, 'running', ?)`,
		"exec-"+owner, string(id), owner, now)
}

// A job of a workflow that a lost node was running is reclaimed like any
// attempt: it fails for good, what depends on it is cancelled, and the
// workflow ends failed in that same commit. Requeuing the job runs the
// rest.
func TestWorkflowJobReclaimedFromLostNode(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	client := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	wf := gigq.NewWorkflow("reclaimed")
	a := wf.Add("a", noop.Step(struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1}))
	b := wf.Add("b", noop.Step(struct{}{}, nil), gigq.DependsOn(a))
	id, _, err := wf.Submit(testCtx(t), client)
	require.NoError(t, err)
	closeNode(t, client)
	strandWorkflowJob(t, path, a.ID(), "vanished") // a node with no row: lost at once

	n := openNode(t, gigq.Config{Path: path, Registry: noopRegistry(), Workers: 1, WorkerID: "live"})
	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowFailed, info.Status)
	require.Equal(t, "node vanished lost", status(t, n, a.ID()).Error)
	require.Equal(t, "upstream job "+string(a.ID())+" (a) failed", status(t, n, b.ID()).Error)

	require.NoError(t, n.Requeue(testCtx(t), a.ID()))
	info = waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	eventually(t, "the node stops tracking the ended workflow", func() bool {
		count, err := gigq.TrackedWorkflows(testCtx(t), n)
		require.NoError(t, err)
		return count == 0
	})
}

// A workflow whose jobs are all cancelled as they are written (their
// parent had been cancelled) has ended: cancelled, at once.
func TestWorkflowCancelledAtSubmit(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: noopRegistry(), Workers: 1})
	ctx := testCtx(t)
	parent, err := n.Submit(ctx, "nobody_runs_this", nil, nil)
	require.NoError(t, err)
	require.NoError(t, n.Cancel(ctx, parent))
	wf := gigq.NewWorkflow("stillborn")
	only := wf.Add("only", noop.Step(struct{}{}, nil), gigq.DependsOnJobs(parent))
	id, _, err := wf.Submit(ctx, n)
	require.NoError(t, err)
	info, err := n.Workflow(ctx, id)
	require.NoError(t, err)
	require.Equal(t, gigq.WorkflowCancelled, info.Status)
	require.Equal(t, "upstream job "+string(parent)+" (nobody_runs_this) cancelled", status(t, n, only.ID()).Error)
}

// A cancel made by another process (gigq cancel in a shell) is heard by
// the node that tracks the workflow once the workflow ends; a later
// requeue of the cancelled job runs it.
func TestWorkflowCancelledByAnotherProcess(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	g := newGate()
	defer g.open()
	blocked := g.task("blocked")
	n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(blocked, noop), Workers: 2})
	wf := gigq.NewWorkflow("cancelled_elsewhere")
	x := wf.Add("x", blocked.Step(struct{}{}, nil))
	y := wf.Add("y", noop.Step(struct{}{}, nil), gigq.DependsOn(x))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Equal(t, x.ID(), g.waitStarted(t))
	shell := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	require.NoError(t, shell.Cancel(testCtx(t), y.ID()))
	closeNode(t, shell)
	g.open()
	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowCancelled, info.Status)
	eventually(t, "the node stops tracking the ended workflow", func() bool {
		count, err := gigq.TrackedWorkflows(testCtx(t), n)
		require.NoError(t, err)
		return count == 0
	})
	require.NoError(t, n.Requeue(testCtx(t), y.ID()))
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, y.ID()).Status)
	require.Equal(t, gigq.WorkflowCompleted, waitWorkflow(t, n, id).Status)
}

// ClearCompleted removes a whole cancelled chain in one call.
func TestClearCompletedRemovesCancelledChain(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{ClientOnly: true})
	ctx := testCtx(t)
	a, err := n.Submit(ctx, "noop", nil, nil)
	require.NoError(t, err)
	b, err := n.Submit(ctx, "noop", nil, &gigq.SubmitOpts{DependsOn: []gigq.JobID{a}})
	require.NoError(t, err)
	_, err = n.Submit(ctx, "noop", nil, &gigq.SubmitOpts{DependsOn: []gigq.JobID{b}})
	require.NoError(t, err)
	require.NoError(t, n.Cancel(ctx, a))
	cleared, err := n.ClearCompleted(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 3, cleared)
}

// The params limit names the step whose params are too big, whatever the
// order the steps run in.
func TestWorkflowParamsLimitNamesStep(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{ClientOnly: true, MaxParamsBytes: 64})
	wf := gigq.NewWorkflow("big")
	wf.Add("small", gigq.Call("noop", nil, nil), gigq.After("big"))
	wf.Add("big", gigq.Call("noop", map[string]string{"blob": strings.Repeat("x", 100)}, nil))
	_, _, err := wf.Submit(testCtx(t), n)
	require.ErrorIs(t, err, gigq.ErrInvalidWorkflow)
	require.ErrorContains(t, err, `step "big": params of 111 bytes are over the limit of 64 bytes`)
	_, err = n.Workflow(context.Background(), "no-such-workflow")
	require.ErrorIs(t, err, gigq.ErrNotFound)
	require.EqualError(t, err, "workflow no-such-workflow not found")
}

// A step of one workflow may wait for a job of another: the other
// workflow's completion releases it, and its result is a parent result.
func TestWorkflowDependsOnAnotherWorkflow(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	blocked := g.task("blocked")
	// relay returns its params, whatever its parents returned.
	relay := gigq.NewTask("relay", func(_ context.Context, a stepResult) (stepResult, error) { return a, nil })
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask, blocked, relay), Workers: 2})
	first := gigq.NewWorkflow("first")
	hold := first.Add("hold", blocked.Step(struct{}{}, nil))
	out := first.Add("out", relay.Step(stepResult{Out: "from-first"}, nil), gigq.DependsOn(hold))
	firstID, _, err := first.Submit(testCtx(t), n)
	require.NoError(t, err)

	second := gigq.NewWorkflow("second")
	in := second.Add("in", stepOf("in"), gigq.DependsOnJobs(out.ID()))
	secondID, _, err := second.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Equal(t, hold.ID(), g.waitStarted(t))
	require.Equal(t, gigq.StatusPending, status(t, n, in.ID()).Status)
	g.open()

	require.Equal(t, gigq.WorkflowCompleted, waitWorkflow(t, n, firstID).Status)
	require.Equal(t, gigq.WorkflowCompleted, waitWorkflow(t, n, secondID).Status)
	res, err := stepTask.Result(testCtx(t), n, in.ID())
	require.NoError(t, err)
	require.Equal(t, []string{"from-first"}, res.Parents)
}
