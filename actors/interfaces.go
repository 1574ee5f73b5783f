package actors

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// WriteStore is what the store actor needs from the database: the write
// transaction and the guarded changes. *persistence.Store implements it.
type WriteStore interface {
	Begin() error
	Commit() error
	Rollback() error
	Do(fn func() error) error
	InsertJobs(jobs []persistence.NewJob, at time.Time) ([]persistence.Inserted, error)
	InsertWorkflow(w persistence.NewWorkflow, at time.Time) error
	Claim(c persistence.Claim) (*persistence.Job, error)
	Finish(f persistence.Finish) (persistence.Finished, error)
	Cancel(id persistence.JobID) (persistence.Cascade, error)
	CancelRunning(id persistence.JobID, reason string) (persistence.CancelledRun, error)
	Requeue(id persistence.JobID) (persistence.Dependent, persistence.Cascade, error)
	CancelWorkflow(id persistence.WorkflowID) ([]persistence.Dependent, error)
	SettleWorkflow(id persistence.WorkflowID) (persistence.WorkflowStatus, bool, error)
	WorkflowGraph(id persistence.WorkflowID) (*persistence.WorkflowGraph, error)
	ClearCompleted(before time.Time) (int, error)
	SetProgress(id persistence.JobID, exec persistence.ExecutionID, fraction float64, message string, now time.Time) (bool, error)
	RegisterNode(n persistence.Node) error
	RegisterRemoteNode(n persistence.Node) error
	TouchNode(id string, now time.Time) error
	RemoveNode(id string) error
	LostNodes(self, host string, staleBefore time.Time, alive func(pid int) bool) ([]string, error)
	ReclaimNode(id string) ([]persistence.Reclaimed, error)
	ReclaimAttempts(id string, keep []persistence.ExecutionID, reason string) ([]persistence.Reclaimed, error)
	ReleaseNode(id, reason string) ([]persistence.Reclaimed, error)
	ExternalChanges(limit int) (changed bool, jobs []persistence.ReadyJob, more bool, err error)
	MoreExternalChanges(limit int) ([]persistence.ReadyJob, bool, error)
	ExternalWorkflowChanges() ([]persistence.WorkflowChange, error)
	InsertSchedule(sc persistence.Schedule, now time.Time) error
	DeleteSchedule(name string) error
	LockedSchedule(name string) (*persistence.Schedule, error)
	SetScheduleEnabled(name string, enabled bool, next, now time.Time) error
	AdvanceSchedule(name string, due, next, run time.Time, job *persistence.NewJob, now time.Time) ([]persistence.Inserted, bool, error)
	SchedulesSeq() (int64, error)
}

// ReadStore is what the dispatcher, the scheduler and the supervisor read,
// through the read-only pool. *persistence.Store implements it.
type ReadStore interface {
	ReadyJobsIn(ctx context.Context, limit int, functions []string, q persistence.QueueFilter) ([]persistence.ReadyJob, error)
	DelayedJobsAfter(ctx context.Context, after time.Time, limit int) ([]persistence.ReadyJob, error)
	JobStates(ctx context.Context, ids []persistence.JobID) (map[persistence.JobID]persistence.JobState, error)
	UnfinishedWorkflows(ctx context.Context) ([]persistence.WorkflowID, error)
	Schedules(ctx context.Context) ([]persistence.Schedule, error)
}

// Handler runs one attempt of a job: it gets the claimed job (params as
// JSON) and returns the result as JSON. The root package adapts typed tasks
// to this shape. A Handler runs on its own goroutine; it must honour ctx.
type Handler func(ctx context.Context, job *persistence.Job) (json.RawMessage, error)
