package persistence

import (
	"errors"
	"fmt"

	"zombiezen.com/go/sqlite"
)

// ErrNotFound means no job has the given id.
var ErrNotFound = errors.New("job not found")

// ErrBusy means another process held the database's write lock for longer
// than the busy timeout. The operation can be retried.
var ErrBusy = errors.New("database is busy")

// ErrFull means the database could not grow: the disk is full, or the
// database reached its size limit (Options.MaxPageCount). Nothing of the
// failed change was written; reads keep working, and writes succeed again
// once space returns.
var ErrFull = errors.New("database or disk is full")

// ErrRolledBack means SQLite rolled back the whole open write transaction
// after an error (it may do so on a full disk or an I/O error): nothing of
// the transaction was written, and it is no longer open.
var ErrRolledBack = errors.New("the write transaction was rolled back")

// ErrInvalidTransition matches every *TransitionError with errors.Is.
var ErrInvalidTransition = errors.New("change not allowed in the job's state")

// TransitionError is returned when a change is not allowed from the job's
// current state (the transition table in doc.go). Nothing was written.
type TransitionError struct {
	JobID JobID
	From  Status // the job's state when the change was refused
	To    Status // the state the change would have moved it to
	Op    string // the change: claim, complete, fail, timeout, cancel, requeue
}

// Is makes errors.Is(err, ErrInvalidTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s job %s: it is %s (%s -> %s is not allowed)", e.Op, e.JobID, e.From, e.From, e.To)
}

// StaleExecutionError is returned when a worker reports on an attempt that
// is no longer the job's current one (the job was reclaimed, cancelled or
// requeued meanwhile). Nothing was written.
type StaleExecutionError struct {
	JobID       JobID
	ExecutionID ExecutionID
	Current     ExecutionID
	Status      Status
}

func (e *StaleExecutionError) Error() string {
	return fmt.Sprintf("report for execution %s of job %s ignored: the job is %s with execution %q",
		e.ExecutionID, e.JobID, e.Status, e.Current)
}

// interpretError maps driver errors to this package's errors at the edge.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	switch sqlite.ErrCode(err).ToPrimary() {
	case sqlite.ResultBusy, sqlite.ResultLocked:
		return fmt.Errorf("%w: %w", ErrBusy, err)
	case sqlite.ResultFull:
		if errors.Is(err, ErrFull) {
			return err
		}
		return fmt.Errorf("%w (free disk space, or raise the database size limit): %w", ErrFull, err)
	case sqlite.ResultCorrupt, sqlite.ResultNotADB:
		return Corrupt(err)
	}
	return err
}

// IsRefusal reports whether err is a refused change that wrote nothing to
// the job (a wrong state, a stale report, an unknown job, a retry not due).
func IsRefusal(err error) bool {
	var stale *StaleExecutionError
	var dep *DependencyError
	return errors.Is(err, ErrInvalidTransition) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrNotDue) || errors.As(err, &dep) || errors.As(err, &stale)
}

// ErrUnknownDependency matches every *DependencyError with errors.Is.
var ErrUnknownDependency = errors.New("dependency on an unknown job")

// DependencyError refuses a submit whose job depends on a job id that is
// neither in the database nor earlier in the same submit. Nothing of the
// submit was written.
//
// It also refuses a job that lists a dependency twice, or itself
// (Repeated); that one does not match ErrUnknownDependency.
type DependencyError struct {
	JobID    JobID
	Name     string
	Parent   JobID
	Repeated bool
}

// Is makes errors.Is(err, ErrUnknownDependency) true for an unknown job.
func (e *DependencyError) Is(target error) bool { return target == ErrUnknownDependency && !e.Repeated }

func (e *DependencyError) Error() string {
	if e.Repeated {
		return fmt.Sprintf("job %s (%s) lists dependency %s twice, or depends on itself: list each parent once", e.JobID, e.Name, e.Parent)
	}
	return fmt.Sprintf("job %s (%s) depends on unknown job %s: submit the parent first, or check the id", e.JobID, e.Name, e.Parent)
}

// BlockedError refuses to requeue a job whose parent failed, timed out or
// was cancelled: it could never run. Requeue the parent instead, which
// revives the jobs cancelled because of it. It matches
// ErrInvalidTransition.
type BlockedError struct {
	JobID        JobID
	Parent       JobID
	ParentName   string
	ParentStatus Status
}

// Is makes errors.Is(err, ErrInvalidTransition) true.
func (e *BlockedError) Is(target error) bool { return target == ErrInvalidTransition }

func (e *BlockedError) Error() string {
	return fmt.Sprintf("cannot requeue job %s: its dependency %s (%s) is %s; requeue %s instead, which revives the jobs cancelled because of it",
		e.JobID, e.Parent, e.ParentName, e.ParentStatus, e.Parent)
}

// notFoundError names what was not found; it matches ErrNotFound.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string        { return e.what + " not found" }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }
