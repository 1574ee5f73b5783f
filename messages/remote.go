package messages

//go:generate protoc -I . --go_out=. --go_opt=paths=source_relative gigq_remote.proto

import (
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// RemoteProtocol is the version of the messages in gigq_remote.proto. A primary
// and a worker node must speak the same one; bump it with any change that
// an older peer would misread or could not decode.
//
// 2: protoactor's own messages and its gRPC service moved to the proto
// packages gigq.protoactor.actor and gigq.protoactor.remote
// (internal/protoactor/PATCHES.md). A worker node of protocol 1 cannot reach
// a primary of protocol 2 at all (gRPC answers "unknown service"), so it
// never gets as far as Hello: run the same gigq version on both.
const RemoteProtocol = 2

// ToRemoteJob is what a worker node needs of a claimed job.
func ToRemoteJob(j *persistence.Job) *RemoteJob {
	r := &RemoteJob{
		Id: string(j.ID), Name: j.Name, Function: j.Function, Params: j.Params,
		Attempts: int32(j.Attempts), MaxAttempts: int32(j.MaxAttempts), TimeoutMs: j.Timeout.Milliseconds(),
		ExecutionId: string(j.ExecutionID), WorkerId: j.WorkerID, WorkflowId: string(j.WorkflowID), Queue: j.Queue,
	}
	for _, d := range j.Dependencies {
		r.Dependencies = append(r.Dependencies, string(d))
	}
	for _, p := range j.ParentResults {
		r.Parents = append(r.Parents, &RemoteParent{JobId: string(p.JobID), Name: p.Name, Result: p.Result})
	}
	return r
}

// Job is the claimed job a RemoteJob describes, for a handler.
func (r *RemoteJob) Job() *persistence.Job {
	j := &persistence.Job{
		ID: persistence.JobID(r.Id), Name: r.Name, Function: r.Function, Params: r.Params,
		Attempts: int(r.Attempts), MaxAttempts: int(r.MaxAttempts), Timeout: time.Duration(r.TimeoutMs) * time.Millisecond,
		ExecutionID: persistence.ExecutionID(r.ExecutionId), WorkerID: r.WorkerId, WorkflowID: persistence.WorkflowID(r.WorkflowId),
		Status: persistence.StatusRunning, Queue: r.Queue,
	}
	for _, d := range r.Dependencies {
		j.Dependencies = append(j.Dependencies, persistence.JobID(d))
	}
	for _, p := range r.Parents {
		j.ParentResults = append(j.ParentResults, persistence.ParentResult{JobID: persistence.JobID(p.JobId), Name: p.Name, Result: p.Result})
	}
	return j
}

// ToOutcome is the wire form of an attempt's outcome.
func ToOutcome(o persistence.Outcome) Outcome {
	switch o {
	case persistence.OutcomeCompleted:
		return Outcome_OUTCOME_COMPLETED
	case persistence.OutcomeFailed:
		return Outcome_OUTCOME_FAILED
	case persistence.OutcomeTimeout:
		return Outcome_OUTCOME_TIMEOUT
	case persistence.OutcomeReleased:
		return Outcome_OUTCOME_RELEASED
	case persistence.OutcomeSkipRetry:
		return Outcome_OUTCOME_SKIP_RETRY
	case persistence.OutcomeSnoozed:
		return Outcome_OUTCOME_SNOOZED
	}
	return Outcome_OUTCOME_UNSPECIFIED
}

// Persistence is the store's form of an outcome; ok is false for a value
// this version does not know.
func (o Outcome) Persistence() (persistence.Outcome, bool) {
	switch o {
	case Outcome_OUTCOME_COMPLETED:
		return persistence.OutcomeCompleted, true
	case Outcome_OUTCOME_FAILED:
		return persistence.OutcomeFailed, true
	case Outcome_OUTCOME_TIMEOUT:
		return persistence.OutcomeTimeout, true
	case Outcome_OUTCOME_RELEASED:
		return persistence.OutcomeReleased, true
	case Outcome_OUTCOME_SKIP_RETRY:
		return persistence.OutcomeSkipRetry, true
	case Outcome_OUTCOME_SNOOZED:
		return persistence.OutcomeSnoozed, true
	}
	return 0, false
}

// The local messages of remote worker nodes, between the primary's actors.

// Slot describes a worker slot that is not one of the node's own workers:
// a remote worker node's slot. Its claims carry Node as worker_id, and it
// runs only Functions.
type Slot struct {
	Node      string
	Functions []string
}

// WorkersGone is sent to the dispatcher when worker slots leave the pool
// (their worker node was lost or left). Slots are named by their actors'
// ids. Claims in flight for them are released when they commit. No reply.
type WorkersGone struct {
	Slots []string
}

// JoinNode is sent by a worker node's actor on the primary to the store
// actor when the worker node joined: it writes the node's row and fails
// the node's running attempts that are not in Keep (the worker node no
// longer has them). Reply: *JoinNodeReply after COMMIT.
type JoinNode struct {
	Node persistence.Node
	Keep []persistence.ExecutionID
}

// JoinNodeReply answers JoinNode; Failed is the number of attempts failed.
type JoinNodeReply struct {
	Failed int
	Err    error
}

// TouchNode is sent by a worker node's actor on the primary to the store
// actor on every heartbeat interval, while the worker node answers: it
// refreshes the node's row (writing it again if another process took the
// node for lost). No reply.
type TouchNode struct {
	Node persistence.Node
}

// NodeGone is sent by a worker node's actor on the primary to the store
// actor when the worker node was lost or left: its running attempts fail
// with Reason (and are retried while attempts remain) and its row is
// deleted. No reply.
type NodeGone struct {
	ID     string
	Reason string
}
