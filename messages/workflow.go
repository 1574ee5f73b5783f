package messages

import "github.com/gigq-go/gigq/persistence"

// WorkflowChanged is sent by the store actor, after a commit, to the
// supervisor, which hands it to the actor that tracks the workflow
// (spawning one when there is none). It lists the jobs of that workflow
// whose state changed, and the parents outside it that completed. Seq
// orders it against a WorkflowLoaded snapshot: a tracker ignores changes
// its snapshot already holds. No reply.
type WorkflowChanged struct {
	WorkflowID persistence.WorkflowID
	Seq        int64
	Jobs       []JobChange
	// Status is set when the workflow's status changed: in this batch, or
	// in another process (whose jobs' changes do not reach this node; then
	// Jobs is empty). The tracker ends when it ended, and loads the
	// workflow again when another process brought it back.
	Status persistence.WorkflowStatus
}

// JobChange is one job's new state. Remaining (for a pending job) is its
// number of parents not completed, as the database has it after the
// change: for a job requeued or revived, and for each child a completion
// counted down (the tracker checks its own count against it).
type JobChange struct {
	JobID     persistence.JobID
	Status    persistence.Status
	Remaining int
	// Back marks a job requeued or revived: pending again, from a final
	// state, whatever the tracker last knew of it.
	Back bool
}

// LoadWorkflow is sent by a workflow actor to the store actor. Reply:
// *WorkflowLoaded, read on the write connection between transactions.
type LoadWorkflow struct {
	WorkflowID persistence.WorkflowID
}

// WorkflowLoaded answers LoadWorkflow: the workflow's graph as committed,
// and the Seq of the last WorkflowChanged sent before it was read.
type WorkflowLoaded struct {
	Graph *persistence.WorkflowGraph
	Seq   int64
	Err   error
}
