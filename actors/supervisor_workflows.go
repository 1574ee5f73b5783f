package actors

import (
	"context"
	"fmt"
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// The supervisor is the parent of the workflow actors: it starts one per
// unfinished workflow when the node starts, routes the store's changes to
// them (starting one for a workflow that has none: a new workflow, or one
// a requeue brought back), and stops one when its workflow ended. Because
// routing and stopping happen in this one actor, a change is never sent
// to an actor that was already told to stop: after workflowEnded, the next
// change starts a fresh actor, which loads the workflow as committed.

// startWorkflows is sent by the supervisor to itself once its children
// exist: start the actors of the workflows left unfinished.
type startWorkflows struct{}

func (s *supervisor) startWorkflows(ctx actor.Context) {
	rctx, cancel := context.WithTimeout(s.deps.BaseContext, 30*time.Second)
	defer cancel()
	ids, err := s.deps.Reader.UnfinishedWorkflows(rctx)
	if err != nil {
		// The workflows stay in the database; each gets its actor at its
		// next change, and its claimable jobs are in the ready index.
		s.deps.unlessDamaged(s.log.Error(), err).Err(err).Msg("list unfinished workflows; they are tracked again at their next change")
		return
	}
	for _, id := range ids {
		s.workflowActor(ctx, id)
	}
	if len(ids) > 0 {
		s.log.Debug().Int("workflows", len(ids)).Msg("tracking unfinished workflows")
	}
}

// routeWorkflow hands a change to the workflow's actor. A new actor loads
// the workflow as committed, which holds this change already.
func (s *supervisor) routeWorkflow(ctx actor.Context, msg *messages.WorkflowChanged) {
	if pid, ok := s.workflows[msg.WorkflowID]; ok {
		ctx.Send(pid, msg)
		return
	}
	if msg.Status != "" && msg.Status != persistence.WorkflowRunning {
		return // ended elsewhere, and not tracked here: nothing to do
	}
	s.workflowActor(ctx, msg.WorkflowID)
}

func (s *supervisor) workflowActor(ctx actor.Context, id persistence.WorkflowID) {
	if _, ok := s.workflows[id]; ok {
		return
	}
	if s.workflows == nil {
		s.workflows = map[persistence.WorkflowID]*actor.PID{}
		s.workflowPIDs = map[string]persistence.WorkflowID{}
	}
	s.spawned++
	pid, err := ctx.SpawnNamed(newWorkflowProps(s.deps, id), fmt.Sprintf("%s%s-%d", workflowPrefix, id, s.spawned))
	if err != nil {
		s.deps.unlessDamaged(s.log.Error(), err).Err(err).Str("workflow_id", string(id)).Msg("start workflow actor")
		return
	}
	s.workflows[id] = pid
	s.workflowPIDs[pid.Id] = id
}

// endWorkflow stops the actor of a workflow that ended. Poison lets it
// take the changes already routed to it first.
func (s *supervisor) endWorkflow(ctx actor.Context, msg *workflowEnded) {
	s.forgetWorkflow(msg.pid)
	ctx.Poison(msg.pid)
}

// forgetWorkflow drops a workflow actor that ended or stopped (for good,
// after too many failures); the workflow's next change starts a new one.
func (s *supervisor) forgetWorkflow(pid *actor.PID) {
	id, ok := s.workflowPIDs[pid.Id]
	if !ok {
		return
	}
	delete(s.workflowPIDs, pid.Id)
	if p := s.workflows[id]; p != nil && p.Id == pid.Id {
		delete(s.workflows, id)
	}
}

// countWorkflows asks the supervisor how many workflows it tracks. Reply:
// *workflowCount.
type countWorkflows struct{}

// workflowCount answers countWorkflows.
type workflowCount struct{ n int }
