package persistence

import (
	"encoding/json"
	"time"
)

// WorkflowID identifies a workflow: a time-ordered UUID (v7).
type WorkflowID string

// WorkflowStatus is a workflow's state: running until every job ended,
// then completed (all completed), failed (a job failed or timed out) or
// cancelled (some job was cancelled, none failed).
type WorkflowStatus string

// The workflow states.
const (
	WorkflowRunning   WorkflowStatus = "running"
	WorkflowCompleted WorkflowStatus = "completed"
	WorkflowFailed    WorkflowStatus = "failed"
	WorkflowCancelled WorkflowStatus = "cancelled"
)

// NewWorkflow is the workflows row a workflow submit writes before its
// jobs.
type NewWorkflow struct {
	ID   WorkflowID
	Name string
}

// Workflow is one row of the workflows table.
type Workflow struct {
	ID        WorkflowID
	Name      string
	Status    WorkflowStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Inserted says what InsertJobs made of one job.
type Inserted struct {
	// Status is pending, or cancelled when a parent had already failed,
	// timed out or been cancelled (Error says which).
	Status Status
	// Waiting is the number of parents not completed yet; the job is
	// claimable at 0.
	Waiting int
	Error   string
	// Existing is, for a job with a unique key, the job that already held
	// the key: nothing was written for this one.
	Existing JobID
	// Existing's state.
	ExistingStatus Status
}

// Dependent is a job whose parent's end changed it: its counter of
// parents not yet completed went down (released when Remaining is 0), it
// was cancelled with its parent, or it was revived by its parent's
// requeue. A child still waiting (Remaining > 0) carries only its ID,
// WorkflowID and Remaining: the release path does not read its row.
type Dependent struct {
	Job        ReadyJob
	Name       string
	WorkflowID WorkflowID
	Remaining  int
	Status     Status
	Error      string
}

// Cascade is what one job's change did to the jobs that depend on it.
type Cascade struct {
	// WorkflowID is the changed job's own workflow ("" for a plain job).
	WorkflowID WorkflowID
	// Released are children whose counter went down because the job
	// completed; those with Remaining 0 are claimable now.
	Released []Dependent
	// Cancelled are the jobs that depend on it, transitively, cancelled
	// because it failed, timed out or was cancelled.
	Cancelled []Dependent
	// Revived are jobs cancelled because of it, pending again because it
	// was requeued.
	Revived []Dependent
}

// ParentResult is a completed parent's result, as a dependent job reads it.
type ParentResult struct {
	JobID  JobID
	Name   string
	Status Status
	Result json.RawMessage
}

// GraphJob is one job of a workflow as its tracker sees it.
type GraphJob struct {
	Job       ReadyJob
	Status    Status
	Remaining int
	// Parents lists its dependencies, inside the workflow or not.
	Parents []JobID
}

// WorkflowGraph is a workflow's jobs and edges, read for the actor that
// tracks it. External holds the state of parents outside the workflow.
type WorkflowGraph struct {
	Workflow Workflow
	Jobs     []GraphJob
	External map[JobID]Status
}
