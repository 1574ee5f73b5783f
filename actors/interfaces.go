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
	Requeue(id persistence.JobID) (persistence.Dependent, persistence.Cascade, error)
	CancelWorkflow(id persistence.WorkflowID) ([]persistence.Dependent, error)
	SettleWorkflow(id persistence.WorkflowID) (persistence.WorkflowStatus, bool, error)
	WorkflowGraph(id persistence.WorkflowID) (*persistence.WorkflowGraph, error)
	ClearCompleted(before time.Time) (int, error)
	RegisterNode(n persistence.Node) error
	RegisterRemoteNode(n persistence.Node) error
	TouchNode(id string, now time.Time) error
	RemoveNode(id string) error
	LostNodes(self, host string, staleBefore time.Time, alive func(pid int) bool) ([]string, error)
	ReclaimNode(id string) ([]persistence.Reclaimed, error)
	ReclaimAttempts(id string, keep []persistence.ExecutionID, reason string) ([]persistence.Reclaimed, error)
	ExternalChanges(limit int) (changed bool, jobs []persistence.ReadyJob, more bool, err error)
	MoreExternalChanges(limit int) ([]persistence.ReadyJob, bool, error)
	ExternalWorkflowChanges() ([]persistence.WorkflowChange, error)
}

// ReadStore is what the dispatcher, the scheduler and the supervisor read,
// through the read-only pool. *persistence.Store implements it.
type ReadStore interface {
	ReadyJobs(ctx context.Context, limit int, functions []string) ([]persistence.ReadyJob, error)
	DelayedJobs(ctx context.Context, limit int) ([]persistence.ReadyJob, error)
	UnfinishedWorkflows(ctx context.Context) ([]persistence.WorkflowID, error)
}

// Handler runs one attempt of a job: it gets the claimed job (params as
// JSON) and returns the result as JSON. The root package adapts typed tasks
// to this shape. A Handler runs on its own goroutine; it must honour ctx.
type Handler func(ctx context.Context, job *persistence.Job) (json.RawMessage, error)
