package gigq

import (
	"errors"
	"fmt"

	"github.com/gigq-go/gigq/persistence"
)

// ErrNotFound matches the error for a job id, workflow id or schedule name
// that does not exist (Node.Status, Result, Cancel, Requeue, Workflow,
// RemoveSchedule, ...).
var ErrNotFound = persistence.ErrNotFound

// ErrFull is returned by Submit (and other writes) when the database could
// not grow: the disk is full, or the file reached its size limit. Nothing of
// the failed call was written; reads keep working, and the node writes
// again, without a restart, once space returns.
var ErrFull = persistence.ErrFull

// ErrClosed is returned by calls on a node after Close, and by Wait and
// WaitWorkflow when the node closes while they wait.
var ErrClosed = errors.New("gigq: node closed")

// ErrNotFinished is returned by Result for a job that is still pending or
// running.
var ErrNotFinished = errors.New("gigq: job has not finished")

// ErrInvalidJob matches the error of a Submit refused for its input (a task
// name that is not valid, options out of range, params that are not a JSON
// object or are over Config.MaxParamsBytes): nothing was written, and the
// error says what to change. (A workflow's bad steps match
// ErrInvalidWorkflow.)
var ErrInvalidJob = errors.New("gigq: invalid job")

// invalidJob marks err as refused input (ErrInvalidJob) and keeps its text.
type invalidJob struct{ err error }

func (e *invalidJob) Error() string   { return e.err.Error() }
func (e *invalidJob) Unwrap() []error { return []error{e.err, ErrInvalidJob} }

// ErrInvalidTransition matches every *TransitionError with errors.Is: the
// job is not in a state that allows the change.
var ErrInvalidTransition = persistence.ErrInvalidTransition

// TransitionError says a change was refused because of the job's state
// (for example cancelling a completed job, or requeuing a pending one).
// Nothing was written. Node.Cancel and Node.Requeue return it; find it
// with errors.As and a *TransitionError, or match ErrInvalidTransition
// with errors.Is.
//
// Fields:
//
//	JobID JobID   the job
//	From  Status  its state when the change was refused
//	To    Status  the state the change would have moved it to
//	Op    string  the change: "cancel" or "requeue" (and for the engine's own
//	              reports "claim", "complete", "fail", "timeout", "release")
//
// Methods: Is reports whether the target is ErrInvalidTransition, so that
// errors.Is(err, ErrInvalidTransition) holds; Error reads "cannot <Op> job
// <JobID>: it is <From> (<From> -> <To> is not allowed)".
//
// A requeue refused because a job it depends on failed, timed out or was
// cancelled gives another error that matches ErrInvalidTransition too,
// and says to requeue that job instead.
type TransitionError = persistence.TransitionError

// JobError is returned by Result (and Task.Result) for a job that ended
// without a result: failed, timeout or cancelled.
type JobError struct {
	// JobID is the job.
	JobID JobID
	// Status is the state it ended in: StatusFailed, StatusTimeout or
	// StatusCancelled.
	Status Status
	// Err is the job's error text ("" when it has none, as for a job
	// cancelled by Node.Cancel).
	Err string
}

// Error reads "job <JobID> <Status>: <Err>" (without ": <Err>" when Err is
// empty).
func (e *JobError) Error() string {
	if e.Err == "" {
		return fmt.Sprintf("job %s %s", e.JobID, e.Status)
	}
	return fmt.Sprintf("job %s %s: %s", e.JobID, e.Status, e.Err)
}
