package gigq_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// switchTask fails while its switch is off, and succeeds once it is on.
func switchTask(name string, on *atomic.Bool) *gigq.Task[struct{}, stepResult] {
	return gigq.NewTask(name, func(context.Context, struct{}) (stepResult, error) {
		if !on.Load() {
			return stepResult{}, errors.New("switched off")
		}
		return stepResult{Out: name}, nil
	})
}

func TestWorkflowFailurePropagatesAndRequeueRevives(t *testing.T) {
	t.Parallel()
	var on atomic.Bool
	flaky := switchTask("flaky", &on)
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask, flaky), Workers: 2})
	events, unsubscribe := n.Subscribe(gigq.EventCancelled)
	defer unsubscribe()

	// a -> b (fails) -> c -> d -> e, and a -> side (its own branch).
	wf := gigq.NewWorkflow("propagate")
	a := wf.Add("a", stepOf("a"))
	b := wf.Add("b", flaky.Step(struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1}), gigq.DependsOn(a))
	c := wf.Add("c", stepOf("c"), gigq.DependsOn(b))
	d := wf.Add("d", stepOf("d"), gigq.DependsOn(c))
	e := wf.Add("e", stepOf("e"), gigq.DependsOn(d, a))
	side := wf.Add("side", stepOf("side"), gigq.DependsOn(a))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)

	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowFailed, info.Status)
	require.Equal(t, gigq.StatusFailed, status(t, n, b.ID()).Status)
	require.Equal(t, gigq.StatusCompleted, status(t, n, side.ID()).Status, "an independent branch still runs")
	want := fmt.Sprintf("upstream job %s (b) failed", b.ID())
	for _, s := range []*gigq.Step{c, d, e} {
		j := status(t, n, s.ID())
		require.Equal(t, gigq.StatusCancelled, j.Status, s.Key())
		require.Equal(t, want, j.Error, s.Key())
		require.Empty(t, j.Executions, "%s never ran", s.Key())
		ev := eventFor(t, events, s.ID(), gigq.EventCancelled)
		require.Equal(t, want, ev.Error)
		require.Equal(t, id, ev.WorkflowID)
	}
	require.Equal(t, gigq.Stats{Completed: 2, Failed: 1, Cancelled: 3, Total: 6}, info.Counts)

	// Requeuing a cancelled descendant alone is refused: its parent failed.
	err = n.Requeue(testCtx(t), d.ID())
	require.ErrorIs(t, err, gigq.ErrInvalidTransition)
	require.ErrorContains(t, err, string(b.ID()))

	on.Store(true)
	require.NoError(t, n.Requeue(testCtx(t), b.ID()))
	w, err := n.Workflow(testCtx(t), id)
	require.NoError(t, err)
	require.Equal(t, gigq.WorkflowRunning, w.Status, "a requeue brings the workflow back")
	info = waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	require.Equal(t, 6, info.Counts.Completed)
	res, err := stepTask.Result(testCtx(t), n, e.ID())
	require.NoError(t, err)
	require.Equal(t, []string{"d", "a"}, res.Parents)
	for _, s := range []*gigq.Step{c, d, e} {
		j := status(t, n, s.ID())
		require.Len(t, j.Executions, 1, "%s ran once, after the revival", s.Key())
		require.Empty(t, j.Error)
	}
}

func TestWorkflowTimeoutAndCancelPropagate(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	blocked := g.ctxTask("blocked")
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask, blocked), Workers: 2})

	// A timeout ends the first branch; a user's cancel ends the second.
	wf := gigq.NewWorkflow("ends")
	slow := wf.Add("slow", blocked.Step(struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1, Timeout: 50 * time.Millisecond}))
	afterSlow := wf.Add("after_slow", stepOf("x"), gigq.DependsOn(slow))
	wait := wf.Add("wait", stepOf("wait"), gigq.DependsOn(afterSlow))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowFailed, info.Status)
	require.Equal(t, gigq.StatusTimeout, status(t, n, slow.ID()).Status)
	for _, s := range []*gigq.Step{afterSlow, wait} {
		j := status(t, n, s.ID())
		require.Equal(t, gigq.StatusCancelled, j.Status)
		require.Equal(t, fmt.Sprintf("upstream job %s (slow) timeout", slow.ID()), j.Error)
	}

	// Cancel a waiting job of a running workflow: it and its dependents
	// end; the workflow is cancelled once nothing runs.
	wf2 := gigq.NewWorkflow("cancel")
	hold := wf2.Add("hold", blocked.Step(struct{}{}, nil))
	mid := wf2.Add("mid", stepOf("mid"), gigq.DependsOn(hold))
	last := wf2.Add("last", stepOf("last"), gigq.DependsOn(mid))
	id2, _, err := wf2.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Equal(t, slow.ID(), g.waitStarted(t)) // from the first workflow
	require.Equal(t, hold.ID(), g.waitStarted(t))
	require.NoError(t, n.Cancel(testCtx(t), mid.ID()))
	j := status(t, n, last.ID())
	require.Equal(t, gigq.StatusCancelled, j.Status)
	require.Equal(t, fmt.Sprintf("upstream job %s (mid) cancelled", mid.ID()), j.Error)
	w, err := n.Workflow(testCtx(t), id2)
	require.NoError(t, err)
	require.Equal(t, gigq.WorkflowRunning, w.Status, "hold still runs")
	g.open()
	info = waitWorkflow(t, n, id2)
	require.Equal(t, gigq.WorkflowCancelled, info.Status)
	require.Equal(t, gigq.Stats{Completed: 1, Cancelled: 2, Total: 3}, info.Counts)
}

func TestCancelWorkflow(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	blocked := g.ctxTask("blocked")
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(stepTask, blocked), Workers: 2})
	wf := gigq.NewWorkflow("to_cancel")
	first := wf.Add("first", blocked.Step(struct{}{}, nil))
	second := wf.Add("second", stepOf("second"), gigq.DependsOn(first))
	wf.Add("third", stepOf("third"), gigq.DependsOn(second))
	id, _, err := wf.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Equal(t, first.ID(), g.waitStarted(t))
	// A plain job outside the workflow that waits for one of its jobs.
	outside, err := n.Submit(testCtx(t), "step", map[string]string{"out": "outside"}, &gigq.SubmitOpts{DependsOn: []gigq.JobID{second.ID()}})
	require.NoError(t, err)

	count, err := n.CancelWorkflow(testCtx(t), id)
	require.NoError(t, err)
	require.Equal(t, 3, count, "second, third and the job outside that depends on second")
	require.Equal(t, gigq.StatusCancelled, status(t, n, outside).Status)
	require.Equal(t, gigq.StatusRunning, status(t, n, first.ID()).Status, "a running job finishes")
	g.open()
	info := waitWorkflow(t, n, id)
	require.Equal(t, gigq.WorkflowCancelled, info.Status)

	_, err = n.CancelWorkflow(testCtx(t), "no-such-workflow")
	require.ErrorIs(t, err, gigq.ErrNotFound)
	_, err = n.Workflow(testCtx(t), "no-such-workflow")
	require.ErrorIs(t, err, gigq.ErrNotFound)
}
