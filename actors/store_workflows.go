package actors

import (
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// The store actor's part in workflows and dependencies. The database
// holds the truth: each job's count of parents not completed is updated
// in the transaction that ends a parent, and a failure cancels the jobs
// below it in that same transaction. After COMMIT the store says who must
// hear about it:
//   - a plain job (no workflow) that became claimable goes to the
//     dispatcher, as a fresh job does;
//   - a change to a job of a workflow, or a completion that a workflow's
//     job waits for, goes (through the supervisor) to the actor that
//     tracks that workflow; that actor hands the workflow's jobs to the
//     dispatcher.

// submitted records what a committed submit made ready and tells.
func (fx *effects) submitted(m *messages.SubmitJobs, ins []persistence.Inserted, now time.Time) {
	if m.Workflow != nil {
		fx.touch(m.Workflow.ID) // its actor starts from the committed graph
	}
	for i, j := range m.Jobs {
		if ins[i].Existing != "" {
			continue // a duplicate of a unique key: nothing was written
		}
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventSubmitted, JobID: j.ID, Name: j.Name,
			Function: j.Function, Status: persistence.StatusPending, MaxAttempts: j.MaxAttempts, WorkflowID: j.WorkflowID, At: now})
		if ins[i].Status == persistence.StatusCancelled {
			fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventCancelled, JobID: j.ID, Name: j.Name,
				Function: j.Function, Status: persistence.StatusCancelled, Error: ins[i].Error, WorkflowID: j.WorkflowID, At: now})
			continue
		}
		if j.WorkflowID == "" && ins[i].Waiting == 0 {
			r := persistence.ReadyJob{ID: j.ID, Function: j.Function, Priority: j.Priority, CreatedAt: now, Queue: j.Queue}
			if r.Queue == "" {
				r.Queue = persistence.DefaultQueue
			}
			if j.RunAt.After(now) {
				r.RetryAfter = j.RunAt // delayed: the scheduler's
				fx.delayed = append(fx.delayed, r)
				continue
			}
			fx.ready = append(fx.ready, r)
		}
	}
}

// cascade records what a job's change did to the jobs that depend on it:
// children released, descendants cancelled, dependents revived.
func (fx *effects) cascade(id persistence.JobID, c persistence.Cascade, now time.Time) {
	for _, d := range c.Released {
		if d.WorkflowID == "" {
			if d.Remaining == 0 {
				fx.ready = append(fx.ready, d.Job)
			}
			continue
		}
		if d.WorkflowID != c.WorkflowID && fx.once(d.WorkflowID, id) {
			// A job of another workflow waits for this one: its actor
			// counts the completion (once per workflow).
			fx.change(d.WorkflowID, messages.JobChange{JobID: id, Status: persistence.StatusCompleted})
		}
		// The child's count as the database has it, for the actor to
		// check its own against (another process may have completed
		// some of its parents).
		fx.change(d.WorkflowID, messages.JobChange{JobID: d.Job.ID, Status: persistence.StatusPending, Remaining: d.Remaining})
	}
	for _, d := range c.Cancelled {
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventCancelled, JobID: d.Job.ID, Name: d.Name,
			Function: d.Job.Function, Status: persistence.StatusCancelled, Error: d.Error, WorkflowID: d.WorkflowID, At: now})
		if d.WorkflowID != "" {
			fx.change(d.WorkflowID, messages.JobChange{JobID: d.Job.ID, Status: persistence.StatusCancelled})
		}
	}
	for _, d := range c.Revived {
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventRequeued, JobID: d.Job.ID, Name: d.Name,
			Function: d.Job.Function, Status: persistence.StatusPending, WorkflowID: d.WorkflowID, At: now})
		fx.pending(d)
	}
}

// pending records a job that is pending again after a requeue: a plain
// one goes to the dispatcher once it waits for nothing; a workflow's job
// goes to its actor.
func (fx *effects) pending(d persistence.Dependent) {
	if d.WorkflowID != "" {
		fx.change(d.WorkflowID, messages.JobChange{JobID: d.Job.ID, Status: persistence.StatusPending, Remaining: d.Remaining, Back: true})
		return
	}
	if d.Remaining == 0 {
		fx.ready = append(fx.ready, d.Job)
	}
}

// once reports whether the parent's completion is not yet recorded for the
// workflow's actor in this batch, and records it.
func (fx *effects) once(w persistence.WorkflowID, parent persistence.JobID) bool {
	k := workflowJob{w, parent}
	if fx.told[k] {
		return false
	}
	if fx.told == nil {
		fx.told = map[workflowJob]bool{}
	}
	fx.told[k] = true
	return true
}

// workflowJob is a job as told to a workflow's actor.
type workflowJob struct {
	workflow persistence.WorkflowID
	job      persistence.JobID
}

// change records a job change for a workflow's actor.
func (fx *effects) change(w persistence.WorkflowID, c messages.JobChange) {
	fx.touch(w)
	fx.workflows[w] = append(fx.workflows[w], c)
}

// touch makes sure the workflow's actor hears from this batch.
func (fx *effects) touch(w persistence.WorkflowID) {
	if fx.workflows == nil {
		fx.workflows = map[persistence.WorkflowID][]messages.JobChange{}
	}
	if _, ok := fx.workflows[w]; !ok {
		fx.workflows[w] = nil
		fx.wfOrder = append(fx.wfOrder, w)
	}
}

// workflowStatus is a workflow whose status a change moved.
type workflowStatus struct {
	id     persistence.WorkflowID
	status persistence.WorkflowStatus
}

// settleWorkflows keeps the status of the workflows a change touched in
// step with their jobs, in the change's transaction: a workflow ends in the
// commit that ends its last job, and a requeue brings it back to running
// in its own. (So a node that tracks no workflow, without workers, keeps
// their status right too.) It returns the workflows whose status moved,
// for the caller to announce once its command succeeded.
func (s *store) settleWorkflows(c persistence.Cascade) ([]workflowStatus, error) {
	if c.WorkflowID == "" && len(c.Cancelled) == 0 && len(c.Revived) == 0 {
		return nil, nil // a plain job, alone: the usual case
	}
	var out []workflowStatus
	seen := map[persistence.WorkflowID]bool{"": true}
	settle := func(w persistence.WorkflowID) error {
		if seen[w] {
			return nil
		}
		seen[w] = true
		status, changed, err := s.deps.Store.SettleWorkflow(w)
		if err == nil && changed {
			out = append(out, workflowStatus{id: w, status: status})
		}
		return err
	}
	if err := settle(c.WorkflowID); err != nil {
		return nil, err
	}
	for _, ds := range [][]persistence.Dependent{c.Cancelled, c.Revived} {
		for _, d := range ds {
			if err := settle(d.WorkflowID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// changeAndSettle runs a change (in s.do) and settles the workflows its
// cascade touched, in the same savepoint; their new statuses are recorded
// only once the change succeeded.
func (s *store) changeAndSettle(fx *effects, now time.Time, change func() (persistence.Cascade, error)) error {
	var settled []workflowStatus
	err := s.do(func() error {
		c, err := change()
		if err != nil {
			return err
		}
		settled, err = s.settleWorkflows(c)
		return err
	})
	if err == nil {
		fx.statuses(settled, now)
	}
	return err
}

// settleEnded settles the workflows an attempt's end touched, when the job
// ended for good (a retry leaves every workflow as it was).
func (s *store) settleEnded(out persistence.Finished) ([]workflowStatus, error) {
	if !out.Status.Final() {
		return nil, nil
	}
	return s.settleWorkflows(out.Cascade)
}

// ended records what the end of an attempt did: the job's event (and its
// retry), its change for its workflow's actor, and what it did to the jobs
// that depend on it.
func (fx *effects) ended(f persistence.Finish, out persistence.Finished, elapsed time.Duration, now time.Time) {
	fx.finished(f, out, elapsed, now)
	if out.Cascade.WorkflowID != "" {
		fx.change(out.Cascade.WorkflowID, messages.JobChange{JobID: f.JobID, Status: out.Status})
	}
	fx.cascade(f.JobID, out.Cascade, now)
}

// statuses records workflows whose status moved: an event for the
// subscribers, and the new status for each one's actor (which ends when
// its workflow did).
func (fx *effects) statuses(ws []workflowStatus, now time.Time) {
	for _, w := range ws {
		fx.wfEvents = append(fx.wfEvents, &messages.JobEvent{Kind: messages.EventWorkflow, WorkflowID: w.id,
			WorkflowStatus: w.status, At: now})
		fx.touch(w.id)
		if fx.wfStatus == nil {
			fx.wfStatus = map[persistence.WorkflowID]persistence.WorkflowStatus{}
		}
		fx.wfStatus[w.id] = w.status
	}
}

// handleLoadWorkflow answers a workflow actor with its graph as committed.
// The store applies batches within one message, so no transaction is open
// here; every change committed before this read was announced with a
// smaller Seq.
func (s *store) handleLoadWorkflow(ctx actor.Context, m *messages.LoadWorkflow) {
	g, err := s.deps.Store.WorkflowGraph(m.WorkflowID)
	ctx.Respond(&messages.WorkflowLoaded{Graph: g, Seq: s.deps.wfSeq.Load(), Err: err})
}

// routeExternalWorkflows tells the actors of the workflows whose status
// another process changed.
func (s *store) routeExternalWorkflows(ctx actor.Context) {
	if s.deps.dispatcher == nil {
		return
	}
	changes, err := s.deps.Store.ExternalWorkflowChanges()
	if err != nil {
		s.deps.unlessDamaged(s.log.Warn(), err).Err(err).Msg("read workflows changed by other processes")
		return
	}
	for _, c := range changes {
		ctx.Send(s.deps.supervisor, &messages.WorkflowChanged{WorkflowID: c.ID, Seq: s.deps.wfSeq.Add(1), Status: c.Status})
	}
}

// announceWorkflows hands each touched workflow's changes to the
// supervisor, which routes them to the workflow's actor.
func (s *store) announceWorkflows(ctx actor.Context, fx *effects) {
	if s.deps.dispatcher == nil {
		return // no workers here: this node tracks no workflow
	}
	for _, w := range fx.wfOrder {
		ctx.Send(s.deps.supervisor, &messages.WorkflowChanged{WorkflowID: w, Seq: s.deps.wfSeq.Add(1), Jobs: fx.workflows[w],
			Status: fx.wfStatus[w]})
	}
}
