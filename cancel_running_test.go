package gigq_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestCancelRunningJob(t *testing.T) {
	t.Parallel()
	gate := newGate()
	defer gate.open()
	events := make(chan *gigq.Event, 256)
	node := openNode(t, gigq.Config{Workers: 1, Events: events,
		Registry: gigq.NewRegistry().MustAdd(gate.ctxTask("honours"), gate.task("ignores"), noopRegistryTask())})

	for _, task := range []string{"honours", "ignores"} {
		t.Run(task, func(t *testing.T) {
			id, err := node.Submit(testCtx(t), task, nil, nil)
			require.NoError(t, err)
			child, err := node.Submit(testCtx(t), "noop", nil, &gigq.SubmitOpts{DependsOn: []gigq.JobID{id}})
			require.NoError(t, err)
			require.Equal(t, id, gate.waitStarted(t))

			require.NoError(t, node.Cancel(testCtx(t), id))
			j := status(t, node, id)
			require.Equal(t, gigq.StatusCancelled, j.Status)
			require.Equal(t, "cancelled while running", j.Error)
			require.Len(t, j.Executions, 1)
			require.Equal(t, "cancelled", j.Executions[0].Status)
			require.NotNil(t, j.Executions[0].CompletedAt)
			c := status(t, node, child)
			require.Equal(t, gigq.StatusCancelled, c.Status, "its dependents are cancelled too")
			require.Contains(t, c.Error, string(id))
			eventFor(t, events, id, gigq.EventCancelled)

			// The only worker is free again at once, even when the
			// handler ignores its context.
			next, err := node.Submit(testCtx(t), "noop", nil, nil)
			require.NoError(t, err)
			require.Equal(t, gigq.StatusCompleted, waitJob(t, node, next).Status)
		})
	}
}

// noopRegistryTask is the noop task of noopRegistry.
func noopRegistryTask() gigq.TaskDef {
	return gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
}
