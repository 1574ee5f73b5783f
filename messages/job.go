package messages

import (
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// SubmitJobs is sent by the node (root package) to the store actor to write
// new pending jobs. Reply: *SubmitJobsReply, sent only after COMMIT.
type SubmitJobs struct {
	Jobs []persistence.NewJob
	// Workflow, when set, is written first, in the same transaction; the
	// jobs carry its id.
	Workflow *persistence.NewWorkflow
}

// SubmitJobsReply answers SubmitJobs. Err is nil when every job is durable;
// Inserted says, per job, what the insert made of it.
type SubmitJobsReply struct {
	Inserted []persistence.Inserted
	Err      error
}

// ClaimJobs is sent by the dispatcher to the store actor to move ready jobs
// to running, one attempt each. Reply: *ClaimJobsReply after COMMIT.
type ClaimJobs struct {
	Claims []persistence.Claim
}

// ClaimJobsReply answers ClaimJobs: the jobs now running, and the claims
// that changed no row (the job was cancelled, claimed elsewhere, or is not
// due), each with the reason.
type ClaimJobsReply struct {
	Claimed []*persistence.Job
	Refused []ClaimRefused
}

// ClaimRefused is one claim that did not happen.
type ClaimRefused struct {
	Claim persistence.Claim
	Err   error
}

// RunAttempt is sent by the dispatcher to an idle worker: run this claimed
// job. No reply; the worker reports with FinishAttempt and WorkerIdle.
type RunAttempt struct {
	Job *persistence.Job
}

// FinishAttempt is sent by a worker to the store actor when an attempt
// ended. No reply; a report about a stale execution is logged and ignored.
type FinishAttempt struct {
	Finish   persistence.Finish
	Function string
	Elapsed  time.Duration
}

// WorkerIdle is sent by a worker to the dispatcher (as a request, so the
// sender is the worker) when it can take a job: after it started, and after
// each attempt. ExecutionID is the attempt it just finished, if any. No
// reply.
type WorkerIdle struct {
	ExecutionID persistence.ExecutionID
	// Slot is set by a slot that is not one of the node's own workers, when
	// it first announces itself.
	Slot *Slot
}

// JobsReady is sent to the dispatcher by the store actor (after a commit
// that made jobs claimable, or after it noticed another process's writes)
// and by the scheduler (retries whose delay has passed). No reply.
type JobsReady struct {
	Jobs []persistence.ReadyJob
}

// RetriesScheduled is sent by the store actor to the scheduler for pending
// jobs that may not run before their RetryAfter. No reply.
type RetriesScheduled struct {
	Jobs []persistence.ReadyJob
}

// ChangeOp is a user's change to a job.
type ChangeOp int

// The changes a user can ask for.
const (
	OpCancel ChangeOp = iota + 1
	OpRequeue
	OpClearCompleted
	OpCancelWorkflow
)

// ChangeJobs is sent by the node to the store actor: cancel or requeue a
// job, or clear finished jobs. Reply: *ChangeJobsReply after COMMIT.
type ChangeJobs struct {
	Op         ChangeOp
	JobID      persistence.JobID      // cancel, requeue
	Before     time.Time              // clear: only jobs finished before this (zero: all)
	WorkflowID persistence.WorkflowID // cancel workflow
}

// ChangeJobsReply answers ChangeJobs. Count is the number of jobs changed
// or deleted.
type ChangeJobsReply struct {
	Count int
	Err   error
}

// EventKind names a change in a job's life.
type EventKind string

// The kinds of job events.
const (
	EventSubmitted EventKind = "submitted"
	EventStarted   EventKind = "started"
	EventCompleted EventKind = "completed"
	EventRetrying  EventKind = "retrying" // an attempt failed or timed out; the job is pending again
	EventFailed    EventKind = "failed"
	EventTimeout   EventKind = "timeout"
	EventCancelled EventKind = "cancelled"
	EventRequeued  EventKind = "requeued"
	// EventProgress: a running handler reported progress (Progress,
	// ProgressMessage).
	EventProgress EventKind = "progress"
	// EventWorkflow: a workflow's status changed (WorkflowID and
	// WorkflowStatus; no job).
	EventWorkflow EventKind = "workflow"
)

// JobEvent describes one committed change of a job. The store actor
// publishes it after COMMIT, through the publish function it was started
// with (the node fans it out to subscribers).
type JobEvent struct {
	Kind        EventKind
	JobID       persistence.JobID
	Name        string
	Function    string
	Status      persistence.Status
	Attempt     int
	MaxAttempts int
	ExecutionID persistence.ExecutionID
	Error       string
	Elapsed     time.Duration // for the end of an attempt
	RetryAfter  time.Time     // for a retry that waits
	WorkflowID  persistence.WorkflowID
	// WorkflowStatus is the workflow's new status, for EventWorkflow.
	WorkflowStatus persistence.WorkflowStatus
	// Progress (0 to 1) and ProgressMessage, for EventProgress.
	Progress        float64
	ProgressMessage string
	At              time.Time
}

// ReportProgress is sent to the store actor (by a handler's progress
// reporter, or a worker node's actor on the primary) with the progress a
// running attempt reported. No reply; a report about an attempt that is no
// longer current changes nothing.
type ReportProgress struct {
	JobID       persistence.JobID
	ExecutionID persistence.ExecutionID
	Fraction    float64
	Message     string
}

// StopAttempts is sent to the dispatcher: stop these attempts, whose jobs
// no longer run (a user cancelled them). The store sends it after the
// COMMIT of a cancel; the dispatcher also finds such attempts itself after
// another process's writes. No reply.
type StopAttempts struct {
	Attempts []AttemptCancelled
}

// AttemptCancelled names an attempt that must stop.
type AttemptCancelled struct {
	JobID       persistence.JobID
	ExecutionID persistence.ExecutionID
}

// StopAttempt is sent by the dispatcher to the worker (or remote slot)
// that runs the attempt: cancel its handler's context and end the attempt
// without reporting it (the store already ended it); then say it is idle.
type StopAttempt struct {
	ExecutionID persistence.ExecutionID
	Reason      string
}

// OtherWrites is sent by the store actor to the dispatcher when it saw
// another process commit (PRAGMA data_version moved): the dispatcher
// checks that the jobs its slots run are still running. No reply.
type OtherWrites struct{}
