package gigqtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/taskrun"
	"github.com/gigq-go/gigq/persistence"
)

// Job describes the attempt a test runs. Its zero value (or a nil *Job) is
// the first attempt of a new job with the defaults Submit gives.
type Job struct {
	ID          gigq.JobID      // the job's id; default: a new one
	Name        string          // the job's name; default: the task's name
	Attempt     int             // which attempt this is, from 1; default 1
	MaxAttempts int             // default gigq.DefaultMaxAttempts
	Queue       string          // default gigq.DefaultQueue
	WorkflowID  gigq.WorkflowID // "" for a job outside a workflow
	WorkerID    string          // the worker that runs it; default "gigqtest"
	// Timeout bounds the attempt, as SubmitOpts.Timeout does: the
	// handler's context ends then, and a handler still running is
	// abandoned (RunJob returns an error that says it timed out). Default
	// gigq.DefaultTimeout.
	Timeout time.Duration
	// Parents are the results of the jobs this one depends on, in
	// dependency order: what gigq.ParentResults returns. Their JobIDs are
	// the job's dependencies.
	Parents []gigq.ParentResult
}

// Progress is one report of gigq.Progress, as a node stores it: the
// fraction clamped to 0..1, the message cut to 1 KiB. A node keeps at most
// about four reports a second; Attempt.Progress has them all.
type Progress struct {
	Fraction float64
	Message  string
}

// Attempt is what one run of a handler gave.
type Attempt[Result any] struct {
	// Result is the handler's result after a round trip through JSON, as
	// Task.Result gives it from a node (the zero value when Err is set).
	Result Result
	// Err is the handler's error, unchanged, or an error of the run
	// itself: args that do not encode as a JSON object, a result that
	// does not survive JSON, a panic (its value and stack, as the job's
	// error would show them), the attempt's timeout.
	Err error
	// Job is what gigq.JobFromContext gave the handler.
	Job *gigq.JobContext
	// Progress are the handler's gigq.Progress reports, in order.
	Progress []Progress
}

// Run runs task's handler once on args as the first attempt of a new job,
// and returns its result, or its error (see Attempt.Err). It returns when
// the handler does, or at the job's timeout (gigq.DefaultTimeout).
func Run[Args, Result any](ctx context.Context, task *gigq.Task[Args, Result], args Args) (Result, error) {
	a := RunJob(ctx, task, args, nil)
	return a.Result, a.Err
}

// RunJob runs task's handler once on args as the attempt job describes
// (nil: the first attempt of a new job) and returns all it gave. The
// handler runs on its own goroutine; RunJob returns when it does, or when
// the job's timeout or ctx ends, whichever is first. A handler that
// ignores its context is then abandoned, as a worker abandons it (and may
// go on running: its reports no longer count). A handler that returns its
// context's error at the timeout returns that error as it is; a node would
// record the attempt as timed out.
func RunJob[Args, Result any](ctx context.Context, task *gigq.Task[Args, Result], args Args, job *Job) *Attempt[Result] {
	a := &Attempt[Result]{}
	pj, err := newJob(task.Name(), args, job)
	if err != nil {
		a.Err = err
		return a
	}
	var (
		mu       sync.Mutex
		progress []Progress
		ended    bool // RunJob returned: reports of an abandoned handler are dropped
	)
	hctx, cancel := context.WithTimeout(ctx, pj.Timeout)
	defer cancel()
	hctx = taskrun.WithJob(hctx, pj)
	hctx = taskrun.WithProgress(hctx, func(fraction float64, message string) {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			progress = append(progress, Progress{Fraction: fraction, Message: message})
		}
	})
	a.Job, _ = gigq.JobFromContext(hctx)

	type done struct {
		raw json.RawMessage
		err error
	}
	ch := make(chan done, 1)
	go func() {
		var d done
		defer func() {
			if r := recover(); r != nil {
				d.err = fmt.Errorf("panic: %v\n\n%s", r, debug.Stack())
			}
			ch <- d
		}()
		d.raw, d.err = task.Handle(hctx, pj.Params)
	}()
	var d done
	select {
	case d = <-ch:
	case <-hctx.Done():
		d.err = fmt.Errorf("gigqtest: task %q abandoned: %w", task.Name(), hctx.Err())
		if errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			d.err = fmt.Errorf("job timed out after %s: %w", pj.Timeout, hctx.Err())
		}
	}
	mu.Lock()
	a.Progress, ended = progress, true
	mu.Unlock()
	if d.err != nil {
		a.Err = d.err
		return a
	}
	if err := json.Unmarshal(d.raw, &a.Result); err != nil {
		var zero Result
		a.Err = fmt.Errorf("gigqtest: decode the result of task %q as %T: %w", task.Name(), zero, err)
	}
	return a
}

// newJob is the job an attempt runs: job's fields, defaulted as Submit
// defaults them, and args encoded as Submit encodes them.
func newJob(task string, args any, job *Job) (*persistence.Job, error) {
	var j Job
	if job != nil {
		j = *job
	}
	params, err := taskrun.EncodeParams(args)
	if err != nil {
		return nil, err
	}
	switch {
	case j.Attempt < 0:
		return nil, fmt.Errorf("gigqtest: Job.Attempt must be at least 1 (got %d)", j.Attempt)
	case j.MaxAttempts < 0:
		return nil, fmt.Errorf("gigqtest: Job.MaxAttempts must be at least 1 (got %d)", j.MaxAttempts)
	case j.Timeout < 0:
		return nil, fmt.Errorf("gigqtest: Job.Timeout must be positive (got %s)", j.Timeout)
	}
	if j.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("gigqtest: new job id: %w", err)
		}
		j.ID = gigq.JobID(id.String())
	}
	pj := &persistence.Job{
		ID: j.ID, Name: cmp.Or(j.Name, task), Function: task, Params: params,
		Attempts: cmp.Or(j.Attempt, 1), MaxAttempts: cmp.Or(j.MaxAttempts, gigq.DefaultMaxAttempts),
		Timeout: cmp.Or(j.Timeout, gigq.DefaultTimeout), Queue: cmp.Or(j.Queue, gigq.DefaultQueue),
		WorkflowID: j.WorkflowID, WorkerID: cmp.Or(j.WorkerID, "gigqtest"), Status: persistence.StatusRunning,
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("gigqtest: new execution id: %w", err)
	}
	pj.ExecutionID = persistence.ExecutionID(id.String())
	for _, p := range j.Parents {
		pj.Dependencies = append(pj.Dependencies, p.JobID)
		pj.ParentResults = append(pj.ParentResults, persistence.ParentResult{JobID: p.JobID, Name: p.Name, Status: persistence.StatusCompleted, Result: p.Result})
	}
	return pj, nil
}
