package persistence

import (
	"encoding/json"
	"time"
)

// JobID identifies a job: a time-ordered UUID (v7) in its text form.
type JobID string

// ExecutionID identifies one attempt of a job (a row of job_executions).
type ExecutionID string

// Status is a job's state. The values are GigQ's, lowercase.
type Status string

// The six job states.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
	StatusTimeout   Status = "timeout"
)

// DefaultQueue is the queue of a job submitted without one.
const DefaultQueue = "default"

// Statuses lists every job state in lifecycle order.
var Statuses = []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled, StatusTimeout}

// Valid reports whether s is one of the six job states.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether s is a state no worker will move the job out of
// (completed, failed, cancelled, timeout). Only a requeue leaves failed,
// cancelled and timeout.
func (s Status) Final() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled || s == StatusTimeout
}

// ExecutionStatus is the state of one attempt in job_executions.
type ExecutionStatus string

// The states of an attempt.
const (
	ExecutionRunning   ExecutionStatus = "running"
	ExecutionCompleted ExecutionStatus = "completed"
	ExecutionFailed    ExecutionStatus = "failed"
	ExecutionTimeout   ExecutionStatus = "timeout"
	// ExecutionCancelled: the job was cancelled while the attempt ran.
	ExecutionCancelled ExecutionStatus = "cancelled"
	// ExecutionSnoozed: the handler asked to run the job again later
	// (gigq.Snooze); the attempt did not count.
	ExecutionSnoozed ExecutionStatus = "snoozed"
)

// NewJob is what a submit writes: the definition of a job. Zero values are
// not defaulted here; the root package applies GigQ's defaults before it
// hands a NewJob to the store.
type NewJob struct {
	ID          JobID
	Name        string
	Function    string
	Params      json.RawMessage // a JSON object
	Priority    int
	MaxAttempts int
	Timeout     time.Duration
	RetryDelay  time.Duration
	Description string
	// Dependencies are the jobs that must complete before this one may
	// run, in dependency order: earlier jobs of the same submit, or jobs
	// already in the database.
	Dependencies []JobID
	// WorkflowID is the workflow of a workflow submit ("" for a plain job).
	WorkflowID WorkflowID
	// RunAt, when after the insert's time, delays the job: it is pending
	// but not claimable before then.
	RunAt time.Time
	// UniqueKey, when set, makes the insert return the job that holds the
	// key in one of UniqueStates (default: pending and running) instead
	// of writing this one.
	UniqueKey    string
	UniqueStates []Status
	// Backoff, when set, replaces RetryDelay: the retries wait an
	// exponential, jittered delay (see Backoff).
	Backoff *Backoff
	// Queue is the job's named queue ("" means DefaultQueue).
	Queue string
}

// Job is one row of the jobs table.
type Job struct {
	ID           JobID
	Name         string
	Function     string
	Params       json.RawMessage
	Priority     int
	Dependencies []JobID
	MaxAttempts  int
	Timeout      time.Duration
	RetryDelay   time.Duration
	Description  string
	Status       Status
	Attempts     int
	Result       json.RawMessage // nil unless completed
	Error        string
	WorkerID     string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    time.Time // zero until first claimed
	CompletedAt  time.Time // zero until final
	RetryAfter   time.Time // zero unless a retry waits for its delay
	ExecutionID  ExecutionID
	WorkflowID   WorkflowID // "" for a plain job
	// Waiting is the number of parents not completed yet.
	Waiting int
	// ParentResults are the parents' results in dependency order, read
	// by Claim for a job with dependencies.
	ParentResults []ParentResult
	// RunAt is the time a delayed job was submitted to run at (zero for
	// a job submitted to run at once); UniqueKey its unique key, if any.
	RunAt     time.Time
	UniqueKey string
	// Backoff is the job's retry policy (nil: its fixed RetryDelay).
	Backoff *Backoff
	// Progress is the last progress the handler reported (HasProgress),
	// a fraction from 0 to 1, with its message.
	HasProgress     bool
	Progress        float64
	ProgressMessage string
	Queue           string
	// ParamsTruncated, ResultTruncated and ErrorTruncated tell that a
	// listing cut the value (ListParams.ValueLimit): Params, Result or
	// Error hold its first bytes only, and Params and Result are then not
	// valid JSON on their own.
	ParamsTruncated, ResultTruncated, ErrorTruncated bool
}

// Execution is one row of job_executions: one attempt of a job.
type Execution struct {
	ID          ExecutionID
	JobID       JobID
	WorkerID    string
	Status      ExecutionStatus
	StartedAt   time.Time
	CompletedAt time.Time // zero while running
	Result      json.RawMessage
	Error       string
}

// ReadyJob is the part of a pending job the dispatcher orders by: priority
// DESC, then created_at ASC, then id ASC; with its task and queue, which
// decide who may run it.
type ReadyJob struct {
	ID         JobID
	Function   string
	Queue      string
	Priority   int
	CreatedAt  time.Time
	RetryAfter time.Time // zero when claimable now
}

// Less reports whether a should run before b.
func (a ReadyJob) Less(b ReadyJob) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// Claim asks to move a pending job to running for one attempt.
type Claim struct {
	JobID       JobID
	ExecutionID ExecutionID
	WorkerID    string
}

// Outcome is how an attempt ended, as the worker reports it.
type Outcome int

// The outcomes of an attempt.
const (
	OutcomeCompleted Outcome = iota + 1
	OutcomeFailed
	OutcomeTimeout
	// OutcomeReleased: the node stopped the attempt as it shut down. The
	// job goes back to pending and the attempt does not count (its
	// execution row is closed as failed with the reason).
	OutcomeReleased
	// OutcomeSkipRetry: the handler failed and asked for no retry
	// (ErrSkipRetry): the job fails at once, whatever attempts remain.
	OutcomeSkipRetry
	// OutcomeSnoozed: the handler asked to run again later (SnoozeError):
	// the job goes back to pending, not claimable for Finish.Snooze, and
	// the attempt does not count (its execution row is closed as failed
	// with "snoozed for <d>").
	OutcomeSnoozed
)

// Finish reports the end of one attempt. The store applies it only while
// ExecutionID is the job's current execution; a stale report is refused.
type Finish struct {
	JobID       JobID
	ExecutionID ExecutionID
	Outcome     Outcome
	Result      json.RawMessage // with OutcomeCompleted
	Error       string          // with OutcomeFailed or OutcomeTimeout
	// Snooze is how long a snoozed job waits (OutcomeSnoozed), from the
	// store's clock when it applies the report.
	Snooze time.Duration
	// Claimed is the job as its claim returned it, when the reporter has
	// it. A completion then takes the job's name, function, ordering key,
	// attempts and workflow from it instead of reading the row back: none
	// of them changes while the attempt runs (the UPDATE is guarded by
	// the execution id).
	Claimed *Job
}

// Finished says what a Finish did to the job.
type Finished struct {
	Job         ReadyJob // the job's ordering key and retry_after, for a retry
	Status      Status   // the job's new state: completed, pending (retry), failed or timeout
	Attempts    int
	MaxAttempts int
	Name        string
	// Cascade is what the job's end did to its dependents: children
	// released on completion, or descendants cancelled on a final failure
	// or timeout.
	Cascade Cascade

	workerID  string    // the attempt's worker, for its execution row
	startedAt time.Time // the attempt's start
}

// Stats counts jobs by state.
type Stats struct {
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	Timeout   int `json:"timeout"`
	Total     int `json:"total"`
}

// Add counts one job in the given state.
func (st *Stats) Add(s Status) { st.AddN(s, 1) }

// AddN counts n jobs in the given state.
func (st *Stats) AddN(s Status, n int) {
	switch s {
	case StatusPending:
		st.Pending += n
	case StatusRunning:
		st.Running += n
	case StatusCompleted:
		st.Completed += n
	case StatusFailed:
		st.Failed += n
	case StatusCancelled:
		st.Cancelled += n
	case StatusTimeout:
		st.Timeout += n
	default:
		return
	}
	st.Total += n
}

// ListParams filters a listing of jobs. The zero value lists the newest 100
// jobs in every state.
type ListParams struct {
	Status Status // empty: every state
	Limit  int    // <= 0: 100
	Before JobID  // only jobs with a smaller id (the next page after it)
	Queue  string // empty: every queue
	// ValueLimit, when positive, cuts each job's params, result and error
	// to their first ValueLimit bytes (back to a UTF-8 boundary) in the
	// query, so a large value is never read whole; the Job's *Truncated
	// flags tell which were cut. Zero or less: whole values.
	ValueLimit int
}
