package gigq

import (
	"errors"
	"fmt"

	"github.com/gigq-go/gigq/persistence"
)

// ErrNotFound is returned for a job id that does not exist.
var ErrNotFound = persistence.ErrNotFound

// ErrFull is returned by Submit (and other writes) when the database could
// not grow: the disk is full, or the file reached its size limit. Nothing of
// the failed call was written; reads keep working, and the node writes
// again, without a restart, once space returns.
var ErrFull = persistence.ErrFull

// ErrClosed is returned by calls on a node after Close.
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
// (for example cancelling a running job, or requeuing a completed one). It
// names the job, its state and the change. Nothing was written.
type TransitionError = persistence.TransitionError

// JobError is returned by Result for a job that ended without a result
// (failed, timeout or cancelled); Err is the job's error text.
type JobError struct {
	JobID  JobID
	Status Status
	Err    string
}

func (e *JobError) Error() string {
	if e.Err == "" {
		return fmt.Sprintf("job %s %s", e.JobID, e.Status)
	}
	return fmt.Sprintf("job %s %s: %s", e.JobID, e.Status, e.Err)
}
