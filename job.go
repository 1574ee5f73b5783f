package gigq

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// JobID identifies a job: a UUIDv7 in its text form (36 characters, e.g.
// "01900000-0000-7000-8000-000000000000"), time-ordered, so that ids sort
// in the order jobs were submitted. It is a string type (an alias of the
// engine's): gigq.JobID(s) and string(id) convert.
type JobID = persistence.JobID

// ExecutionID identifies one attempt of a job (Execution.ID,
// JobContext.ExecutionID): a UUIDv7 in its text form, made when a worker
// claims the job. It is a string type (an alias of the engine's).
type ExecutionID = persistence.ExecutionID

// Status is a job's state, a string type (an alias of the engine's) whose
// values are GigQ's, lowercase: StatusPending ("pending"), StatusRunning
// ("running"), StatusCompleted ("completed"), StatusFailed ("failed"),
// StatusCancelled ("cancelled") and StatusTimeout ("timeout"); Statuses
// lists them. See "Job states" in the package documentation for the
// changes between them.
//
// Methods: Valid reports whether the value is one of the six states;
// Final reports whether it is completed, failed, cancelled or timeout,
// states no worker moves a job out of (only a requeue leaves the last
// three).
type Status = persistence.Status

// The six job states (GigQ's, lowercase): a job waits pending (ready,
// delayed, or waiting for a retry or for its dependencies), is running
// while an attempt runs, and ends completed, failed (its last attempt
// failed, or its handler skipped the retries), timeout (its last attempt
// timed out) or cancelled (by Cancel, or because a job it depends on
// ended badly).
const (
	StatusPending   = persistence.StatusPending
	StatusRunning   = persistence.StatusRunning
	StatusCompleted = persistence.StatusCompleted
	StatusFailed    = persistence.StatusFailed
	StatusCancelled = persistence.StatusCancelled
	StatusTimeout   = persistence.StatusTimeout
)

// Statuses lists the six job states in lifecycle order.
func Statuses() []Status { return append([]Status(nil), persistence.Statuses...) }

// Job is a job as stored: its definition and its state, as Node.Status,
// Node.List and Node.Wait return it. Its JSON form is the one the CLI
// prints with --json (snake_case fields, times in UTC RFC 3339, timeout
// and retry_delay in seconds, null for times not reached).
//
// Node.List cuts Params, Result and Error to their first bytes
// (ListParams.ValueLimit) and sets ParamsTruncated, ResultTruncated and
// ErrorTruncated for the values it cut; Node.Status and Node.Result give
// the whole values. In the JSON form a cut params or result is a JSON
// string holding the first bytes of the value's JSON text (which are not
// valid JSON on their own), flagged "params_truncated": true or
// "result_truncated": true; a cut error is flagged "error_truncated":
// true. The flags are present only when true.
type Job struct {
	ID       JobID  // the job's id
	Name     string // its human-readable name (SubmitOpts.Name; default: the task's name)
	Function string // the name of the task that runs it
	// Params are its params, a JSON object; when ParamsTruncated, only the
	// first bytes of their JSON text (not valid JSON on their own).
	Params json.RawMessage
	// ParamsTruncated tells that a listing cut Params (see
	// ListParams.ValueLimit); Node.Status gives them whole.
	ParamsTruncated bool
	Priority        int        // higher runs first among ready jobs
	Dependencies    []JobID    // the jobs it waits for, in order (SubmitOpts.DependsOn, a workflow's edges)
	WorkflowID      WorkflowID // "" for a job outside any workflow
	// Queue is the job's named queue (DefaultQueue unless submitted to
	// another).
	Queue string
	// RunAt is the time a delayed job was submitted to run at (zero: at
	// once).
	RunAt time.Time
	// UniqueKey is the job's unique key (SubmitOpts.UniqueKey; "" for
	// none).
	UniqueKey string
	// Progress is the last progress its handler reported (nil: none).
	Progress    *JobProgress
	MaxAttempts int           // how many attempts it may use
	Timeout     time.Duration // the bound of one attempt
	RetryDelay  time.Duration // the fixed wait before a retry (when Backoff is nil)
	// Backoff is the job's retry policy (nil: the fixed RetryDelay).
	Backoff *Backoff
	// RetryAfter is when a pending job waiting for a retry delay, a
	// backoff, a snooze or its RunAt becomes claimable (zero: not
	// waiting).
	RetryAfter  time.Time
	Description string // free text (SubmitOpts.Description)
	Status      Status // its state now
	Attempts    int    // the attempts used (a snoozed or released attempt does not count)
	// Result is its handler's result, nil unless completed; when
	// ResultTruncated, only the first bytes of its JSON text (not valid
	// JSON on its own).
	Result json.RawMessage
	// ResultTruncated tells that a listing cut Result (see
	// ListParams.ValueLimit); Node.Result and Node.Status give it whole.
	ResultTruncated bool
	// Error is the error that ended it, or its last attempt's ("" for
	// none); when ErrorTruncated, only its first bytes.
	Error string
	// ErrorTruncated tells that a listing cut Error (see
	// ListParams.ValueLimit); Node.Status gives it whole.
	ErrorTruncated bool
	WorkerID       string    // the worker that ran its last attempt ("" until claimed)
	CreatedAt      time.Time // when it was submitted
	UpdatedAt      time.Time // when its row last changed
	StartedAt      time.Time // zero until first claimed
	CompletedAt    time.Time // zero until the job ended
	// Executions are the attempts, oldest first. Status fills them; List
	// leaves them nil.
	Executions []Execution
}

// Execution is one attempt of a job (a row of job_executions), as
// Job.Executions lists them.
type Execution struct {
	ID          ExecutionID     `json:"id"`           // the attempt's id
	JobID       JobID           `json:"job_id"`       // its job
	WorkerID    string          `json:"worker_id"`    // the worker (Config.WorkerID, WorkerNodeConfig.ID) that ran it
	Status      string          `json:"status"`       // running, completed, failed, timeout, cancelled or snoozed
	StartedAt   time.Time       `json:"started_at"`   // when it was claimed
	CompletedAt *time.Time      `json:"completed_at"` // when it ended; nil while it runs
	Result      json.RawMessage `json:"result"`       // the handler's result, for a completed attempt
	Error       *string         `json:"error"`        // the attempt's error; nil for none
}

// jobJSON is Job's wire form.
type jobJSON struct {
	ID           JobID           `json:"id"`
	Name         string          `json:"name"`
	Function     string          `json:"function"`
	Params       json.RawMessage `json:"params"`
	ParamsCut    bool            `json:"params_truncated,omitempty"`
	Priority     int             `json:"priority"`
	Dependencies []JobID         `json:"dependencies"`
	WorkflowID   *WorkflowID     `json:"workflow_id"`
	Queue        string          `json:"queue"`
	RunAt        *time.Time      `json:"run_at"`
	UniqueKey    *string         `json:"unique_key"`
	Progress     *JobProgress    `json:"progress"`
	MaxAttempts  int             `json:"max_attempts"`
	Timeout      float64         `json:"timeout"`
	RetryDelay   float64         `json:"retry_delay"`
	Backoff      *backoffJSON    `json:"backoff,omitempty"`     // only for a job with a policy
	RetryAfter   *time.Time      `json:"retry_after,omitempty"` // only while it waits
	Description  string          `json:"description"`
	Status       Status          `json:"status"`
	Attempts     int             `json:"attempts"`
	Result       json.RawMessage `json:"result"`
	ResultCut    bool            `json:"result_truncated,omitempty"`
	Error        *string         `json:"error"`
	ErrorCut     bool            `json:"error_truncated,omitempty"`
	WorkerID     *string         `json:"worker_id"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	StartedAt    *time.Time      `json:"started_at"`
	CompletedAt  *time.Time      `json:"completed_at"`
	Executions   []Execution     `json:"executions,omitzero"`
}

// MarshalJSON writes the job in the CLI's --json shape.
func (j *Job) MarshalJSON() ([]byte, error) {
	w := jobJSON{
		ID: j.ID, Name: j.Name, Function: j.Function, Params: j.Params, Priority: j.Priority,
		Dependencies: j.Dependencies, MaxAttempts: j.MaxAttempts, Timeout: j.Timeout.Seconds(),
		RetryDelay: j.RetryDelay.Seconds(), Backoff: toBackoffJSON(j.Backoff), RetryAfter: timeOrNil(j.RetryAfter), Description: j.Description, Status: j.Status, Attempts: j.Attempts,
		Result: j.Result, Error: strOrNil(j.Error), WorkerID: strOrNil(j.WorkerID),
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, StartedAt: timeOrNil(j.StartedAt),
		CompletedAt: timeOrNil(j.CompletedAt), Executions: j.Executions,
		RunAt: timeOrNil(j.RunAt), UniqueKey: strOrNil(j.UniqueKey), Progress: j.Progress, Queue: j.Queue,
	}
	if w.Dependencies == nil {
		w.Dependencies = []JobID{}
	}
	if j.WorkflowID != "" {
		w.WorkflowID = &j.WorkflowID
	}
	if len(w.Params) == 0 && !j.ParamsTruncated {
		w.Params = json.RawMessage("{}")
	}
	var err error
	if w.Params, w.ParamsCut, err = cutValueJSON(j.Params, j.ParamsTruncated, w.Params); err != nil {
		return nil, err
	}
	if w.Result, w.ResultCut, err = cutValueJSON(j.Result, j.ResultTruncated, w.Result); err != nil {
		return nil, err
	}
	w.ErrorCut = j.ErrorTruncated
	return json.Marshal(w)
}

// cutValueJSON is the JSON form of a params or result value: whole, it is
// the value itself; cut, a JSON string of its first bytes, since they are
// not valid JSON.
func cutValueJSON(raw json.RawMessage, cut bool, whole json.RawMessage) (json.RawMessage, bool, error) {
	if !cut {
		return whole, false, nil
	}
	s, err := json.Marshal(string(raw))
	return s, true, err
}

// uncutValue reads a params or result value of the JSON form back: a cut
// one is the string cutValueJSON made of its first bytes.
func uncutValue(v json.RawMessage, cut bool) (json.RawMessage, error) {
	if !cut {
		return v, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("a cut value must be a JSON string of its first bytes: %w", err)
	}
	return json.RawMessage(s), nil
}

// UnmarshalJSON reads the CLI's --json shape.
func (j *Job) UnmarshalJSON(b []byte) error {
	var w jobJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*j = Job{
		ID: w.ID, Name: w.Name, Function: w.Function, Params: w.Params, Priority: w.Priority,
		Dependencies: w.Dependencies, MaxAttempts: w.MaxAttempts, Timeout: secondsToDuration(w.Timeout),
		RetryDelay: secondsToDuration(w.RetryDelay), Backoff: w.Backoff.backoff(), Description: w.Description, Status: w.Status,
		Attempts: w.Attempts, Result: w.Result, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
		Executions: w.Executions,
	}
	if string(j.Result) == "null" {
		j.Result = nil
	}
	var err error
	if j.Params, err = uncutValue(j.Params, w.ParamsCut); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if j.Result, err = uncutValue(j.Result, w.ResultCut); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	j.ParamsTruncated, j.ResultTruncated, j.ErrorTruncated = w.ParamsCut, w.ResultCut, w.ErrorCut
	if w.Error != nil {
		j.Error = *w.Error
	}
	if w.WorkflowID != nil {
		j.WorkflowID = *w.WorkflowID
	}
	if w.WorkerID != nil {
		j.WorkerID = *w.WorkerID
	}
	if w.RunAt != nil {
		j.RunAt = *w.RunAt
	}
	if w.UniqueKey != nil {
		j.UniqueKey = *w.UniqueKey
	}
	j.Progress = w.Progress
	j.Queue = w.Queue
	if w.StartedAt != nil {
		j.StartedAt = *w.StartedAt
	}
	if w.RetryAfter != nil {
		j.RetryAfter = *w.RetryAfter
	}
	if w.CompletedAt != nil {
		j.CompletedAt = *w.CompletedAt
	}
	return nil
}

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func jobFromRow(r *persistence.Job) *Job {
	j := &Job{
		ID: r.ID, Name: r.Name, Function: r.Function, Params: r.Params, Priority: r.Priority,
		Dependencies: r.Dependencies, WorkflowID: r.WorkflowID, MaxAttempts: r.MaxAttempts, Timeout: r.Timeout, RetryDelay: r.RetryDelay, Backoff: backoffOf(r.Backoff), RetryAfter: r.RetryAfter,
		Description: r.Description, Status: r.Status, Attempts: r.Attempts, Result: r.Result, Error: r.Error,
		WorkerID: r.WorkerID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, StartedAt: r.StartedAt,
		CompletedAt: r.CompletedAt, RunAt: r.RunAt, UniqueKey: r.UniqueKey, Queue: r.Queue,
		ParamsTruncated: r.ParamsTruncated, ResultTruncated: r.ResultTruncated, ErrorTruncated: r.ErrorTruncated,
	}
	if r.HasProgress {
		j.Progress = &JobProgress{Fraction: r.Progress, Message: r.ProgressMessage}
	}
	return j
}

func executionFromRow(r persistence.Execution) Execution {
	e := Execution{ID: r.ID, JobID: r.JobID, WorkerID: r.WorkerID, Status: string(r.Status), StartedAt: r.StartedAt,
		CompletedAt: timeOrNil(r.CompletedAt), Result: r.Result, Error: strOrNil(r.Error)}
	return e
}

// Stats counts jobs by state, as Node.Stats, Node.QueueStats and
// WorkflowInfo.Counts give them. Its JSON form is the CLI's stats --json.
type Stats struct {
	// Pending counts the jobs waiting to run: ready, delayed, waiting for
	// a retry or for the jobs they depend on.
	Pending int `json:"pending"`
	// Running counts the jobs an attempt runs now.
	Running int `json:"running"`
	// Completed counts the jobs that completed.
	Completed int `json:"completed"`
	// Failed counts the jobs that failed for good.
	Failed int `json:"failed"`
	// Cancelled counts the cancelled jobs.
	Cancelled int `json:"cancelled"`
	// Timeout counts the jobs whose last attempt timed out.
	Timeout int `json:"timeout"`
	// Total is the sum of the six counts.
	Total int `json:"total"`
}

// statsOf is the public form of the store's counts (the same fields).
func statsOf(st persistence.Stats) Stats { return Stats(st) }

// ListParams filters Node.List. The zero value (or nil) lists the newest
// 100 jobs in every state.
type ListParams struct {
	Status Status // empty: every state
	Limit  int    // <= 0: 100
	// Before pages: only jobs older than this one (ids are time-ordered),
	// so the next page starts after the last id of the one before.
	Before JobID
	// Queue keeps only the jobs of this queue ("": every queue).
	Queue string
	// ValueLimit bounds the bytes of each job's Params, Result and Error
	// that List reads, so that a list of large jobs costs little memory:
	// 0 is DefaultListValueLimit; a negative value lists whole values
	// (memory then grows with them). Longer values are cut in SQLite,
	// back to a UTF-8 boundary, and flagged (Job.ParamsTruncated,
	// ResultTruncated, ErrorTruncated); Node.Status and Node.Result give
	// one job's whole values.
	ValueLimit int
}

// DefaultListValueLimit is how many bytes of each job's params, result
// and error Node.List gives by default (ListParams.ValueLimit), and the
// HTTP API, gigq list --json and the MCP list tool always give.
const DefaultListValueLimit = 1024

// SubmitOpts are a job's settings. A nil *SubmitOpts, and every zero
// field, means GigQ's defaults.
type SubmitOpts struct {
	// Name is a human-readable name. Default: the task's name.
	Name string
	// Priority orders ready jobs: higher first. Default 0.
	Priority int
	// MaxAttempts is how many times the job may run before it fails for
	// good. Default 3.
	MaxAttempts int
	// Timeout bounds one attempt. Default 300s.
	Timeout time.Duration
	// RetryDelay is how long a failed attempt waits before the retry may
	// run. Default 0 (at once).
	RetryDelay time.Duration
	// Backoff, instead of RetryDelay (set one at most), makes the
	// retries wait an exponential, jittered delay: see Backoff. Default:
	// the task's (Task.WithBackoff) when submitted through the task.
	Backoff *Backoff
	// Description is free text.
	Description string
	// DependsOn lists jobs (already submitted) that must complete before
	// this one may run (GigQ's dependencies). If one of them fails, times
	// out or is cancelled, this job is cancelled too. An unknown id is
	// refused (ErrUnknownDependency).
	DependsOn []JobID
	// RunAt delays the job: it is pending, but no worker claims it before
	// that time (a timer makes it ready then). Set RunAt or Delay, not
	// both; a time in the past runs the job at once. A delayed job cannot
	// have DependsOn, nor be a workflow step.
	RunAt time.Time
	// Delay delays the job as RunAt does, relative to the submit.
	Delay time.Duration
	// UniqueKey makes the submit idempotent while a job holds the key:
	// when a job with the same key is in one of UniqueStates, the submit
	// writes nothing and returns that job's id (Node.SubmitJob says it
	// was a duplicate). The check and the insert are one transaction, so
	// concurrent submits of one key, from any process, make one job. At
	// most 256 bytes.
	UniqueKey string
	// UniqueStates are the states in which a job holds its UniqueKey.
	// Default: pending and running, the states that are not final.
	UniqueStates []Status
	// Queue is the named queue the job goes to (default DefaultQueue). A
	// node runs the queues its Config.Queues names, or all of them.
	Queue string
}

// DefaultQueue is the queue of a job submitted without SubmitOpts.Queue.
const DefaultQueue = persistence.DefaultQueue

// Defaults for SubmitOpts: a job may run DefaultMaxAttempts times, each
// attempt for at most DefaultTimeout.
const (
	DefaultMaxAttempts = 3
	DefaultTimeout     = 300 * time.Second
)
