package actors

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// graphFails is a store whose first WorkflowGraph fails: the workflow
// actor that asked fails with it, and supervision restarts it.
type graphFails struct {
	*persistence.Store
	failed atomic.Bool
}

func (g *graphFails) WorkflowGraph(id persistence.WorkflowID) (*persistence.WorkflowGraph, error) {
	if g.failed.CompareAndSwap(false, true) {
		return nil, errors.New("injected failure")
	}
	return g.Store.WorkflowGraph(id)
}

// A workflow actor that fails is restarted and rebuilds its state from the
// database: the workflow still completes, each job once.
func TestWorkflowActorRebuildsAfterRestart(t *testing.T) {
	t.Parallel()
	s, err := persistence.Open(filepath.Join(t.TempDir(), "gigq.db"), persistence.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	store := &graphFails{Store: s}
	events := make(chan *messages.JobEvent, 1024)
	noop := func(context.Context, *persistence.Job) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	sys, err := Start(Deps{Store: store, Reader: s, Handlers: map[string]Handler{"noop": noop}, Workers: 2,
		WorkerID: "test", Logger: zerolog.Nop(),
		Publish: func(evs []*messages.JobEvent) {
			for _, e := range evs {
				events <- e
			}
		}})
	require.NoError(t, err)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, sys.Drain(ctx))
		require.NoError(t, sys.Stop(ctx))
	}()

	wf := persistence.NewWorkflow{ID: "wf-1", Name: "restart"}
	job := func(id persistence.JobID, deps ...persistence.JobID) persistence.NewJob {
		return persistence.NewJob{ID: id, Name: string(id), Function: "noop", Params: json.RawMessage(`{}`),
			MaxAttempts: 1, Timeout: time.Minute, Dependencies: deps, WorkflowID: wf.ID}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, sys.SubmitWorkflow(ctx, wf, []persistence.NewJob{job("a"), job("b", "a"), job("c", "b")}))

	completed := map[persistence.JobID]int{}
	for {
		select {
		case e := <-events:
			if e.Kind == messages.EventCompleted {
				completed[e.JobID]++
			}
			if e.Kind != messages.EventWorkflow {
				continue
			}
			require.Equal(t, persistence.WorkflowCompleted, e.WorkflowStatus)
			require.True(t, store.failed.Load(), "the first load failed")
			require.Equal(t, map[persistence.JobID]int{"a": 1, "b": 1, "c": 1}, completed)
			return
		case <-ctx.Done():
			t.Fatalf("workflow not completed after the actor's restart; completed: %v", completed)
		}
	}
}
