package gigq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/gigq-go/gigq/actors"
	"github.com/gigq-go/gigq/internal/taskrun"
	"github.com/gigq-go/gigq/persistence"
)

// Task is a typed handler registered under a stable name. The name, not
// the Go type, is what a job stores, so jobs submitted before a deploy run
// after it even when the Go types were renamed. Args are decoded from the
// job's params (a JSON object); the Result is stored as JSON.
//
// A Task is safe for concurrent use by multiple goroutines.
type Task[Args, Result any] struct {
	name    string
	fn      func(context.Context, Args) (Result, error)
	backoff *Backoff // WithBackoff; nil: none
}

// NewTask defines a task. The name must be lowercase: a letter, then
// letters, digits, '_', '.' or '-' (at most 128). NewTask panics on an
// invalid name or a nil function, since both are programming errors.
func NewTask[Args, Result any](name string, fn func(ctx context.Context, args Args) (Result, error)) *Task[Args, Result] {
	if err := validateTaskName(name); err != nil {
		panic(err)
	}
	if fn == nil {
		panic(fmt.Sprintf("gigq: task %q has a nil function", name))
	}
	return &Task[Args, Result]{name: name, fn: fn}
}

var taskNameRE = regexp.MustCompile(`^[a-z][a-z0-9_.\-]{0,127}$`)

// validateQueueName checks a named queue's name: the rule of task names.
func validateQueueName(name string) error {
	if !taskNameRE.MatchString(name) {
		return fmt.Errorf("gigq: queue name %q is invalid: use a lowercase letter, then letters, digits, '_', '.' or '-'", name)
	}
	return nil
}

func validateTaskName(name string) error {
	if !taskNameRE.MatchString(name) {
		return fmt.Errorf("gigq: task name %q is invalid: use a lowercase letter, then letters, digits, '_', '.' or '-'", name)
	}
	return nil
}

// Name is the task's stable name (the jobs' function).
func (t *Task[Args, Result]) Name() string { return t.name }

// Submit submits a job of this task with args as its params. It returns
// once the job is durable. See Node.Submit. The task's Backoff applies
// when opts sets no retry policy.
func (t *Task[Args, Result]) Submit(ctx context.Context, n *Node, args Args, opts *SubmitOpts) (JobID, error) {
	return n.Submit(ctx, t.name, args, withTaskBackoff(opts, t.backoff))
}

// Result returns the decoded result of a completed job of this task. A job
// that ended otherwise gives a *JobError; one still pending or running
// ErrNotFinished; a result that does not decode as Result an error that
// says so.
func (t *Task[Args, Result]) Result(ctx context.Context, n *Node, id JobID) (Result, error) {
	var zero Result
	raw, err := n.Result(ctx, id)
	if err != nil {
		return zero, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return zero, fmt.Errorf("decode result of job %s as %T: %w", id, zero, err)
	}
	return r, nil
}

// Step makes a workflow step that runs this task with args. opts may be
// nil. The task's Backoff applies when opts sets no retry policy.
func (t *Task[Args, Result]) Step(args Args, opts *SubmitOpts) StepSpec {
	return StepSpec{function: t.name, params: args, opts: withTaskBackoff(opts, t.backoff)}
}

// Handle runs the task's function once, in the calling goroutine, on a
// job's JSON params: it decodes params into Args, calls the function with
// ctx and returns its Result encoded as JSON, or the function's error
// unchanged. A worker calls it for each attempt, with the attempt in ctx
// (JobFromContext, ParentResults, Progress); package gigqtest calls it in
// tests with a made-up attempt. Called with a ctx of neither, the handler
// sees no job: JobFromContext reports false and Progress does nothing. A
// panic of the function is not recovered.
func (t *Task[Args, Result]) Handle(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	var args Args
	if len(params) > 0 {
		if err := json.Unmarshal(params, &args); err != nil {
			return nil, t.fault(ctx, "decode params", err)
		}
	}
	res, err := t.fn(ctx, args)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, t.fault(ctx, "encode result", err)
	}
	return b, nil
}

// fault says that Handle could not do what (decode params, encode result),
// naming the job when ctx carries one.
func (t *Task[Args, Result]) fault(ctx context.Context, what string, err error) error {
	if job, ok := taskrun.Job(ctx); ok {
		return fmt.Errorf("%s of job %s for task %q: %w", what, job.ID, t.name, err)
	}
	return fmt.Errorf("%s for task %q: %w", what, t.name, err)
}

func (t *Task[Args, Result]) handler() actors.Handler {
	return func(ctx context.Context, job *persistence.Job) (json.RawMessage, error) {
		return t.Handle(taskrun.WithJob(ctx, job), job.Params)
	}
}

// TaskDef is any task, whatever its types: Registry.Add takes it. Only
// the *Task values that NewTask makes implement it.
type TaskDef interface {
	// Name is the task's stable name.
	Name() string
	handler() actors.Handler
}

// JobContext describes the attempt a handler runs (JobFromContext).
type JobContext struct {
	ID          JobID       // the job
	Name        string      // the job's name
	Function    string      // the task's name
	Attempt     int         // 1 for the first attempt
	MaxAttempts int         // the job's limit on attempts
	ExecutionID ExecutionID // this attempt's id
	WorkerID    string      // the worker that runs it (Config.WorkerID, WorkerNodeConfig.ID)
	WorkflowID  WorkflowID  // "" outside a workflow
	Queue       string      // the job's named queue
	// Dependencies are the jobs this one waited for.
	Dependencies []JobID
}

// JobFromContext returns the attempt a handler's context belongs to; ok is
// false for a context that is not a handler's (or derived from one). Each
// call returns a new JobContext.
func JobFromContext(ctx context.Context) (*JobContext, bool) {
	job, ok := taskrun.Job(ctx)
	if !ok {
		return nil, false
	}
	return &JobContext{
		ID: job.ID, Name: job.Name, Function: job.Function, Attempt: job.Attempts,
		MaxAttempts: job.MaxAttempts, ExecutionID: job.ExecutionID, WorkerID: job.WorkerID,
		WorkflowID: job.WorkflowID, Dependencies: slices.Clone(job.Dependencies), Queue: job.Queue,
	}, true
}

// ErrDuplicateTask is returned by Registry.Add for a name already there.
var ErrDuplicateTask = errors.New("gigq: task already registered")

// Registry holds the tasks a node (or a worker node) can run. Add tasks
// before Open: Open reads the registry once, and tasks added later are
// not run. A Registry is not safe for concurrent modification; once
// built, Names may be called from any goroutine.
type Registry struct {
	tasks map[string]TaskDef
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{tasks: map[string]TaskDef{}} }

// Add registers tasks. A name registered twice (in the registry already,
// or twice among tasks) gives an error matching ErrDuplicateTask, and a
// nil task an error; either way none of the tasks is registered.
func (r *Registry) Add(tasks ...TaskDef) error {
	seen := map[string]bool{}
	for _, t := range tasks {
		if t == nil {
			return errors.New("gigq: nil task")
		}
		if _, dup := r.tasks[t.Name()]; dup || seen[t.Name()] {
			return fmt.Errorf("%w: %q", ErrDuplicateTask, t.Name())
		}
		seen[t.Name()] = true
	}
	for _, t := range tasks {
		r.tasks[t.Name()] = t
	}
	return nil
}

// MustAdd is Add that panics on error, for registries built at start-up.
// It returns r, for chaining.
func (r *Registry) MustAdd(tasks ...TaskDef) *Registry {
	if err := r.Add(tasks...); err != nil {
		panic(err)
	}
	return r
}

// Names lists the registered task names, sorted (nil for a nil Registry).
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.tasks))
	for n := range r.tasks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (r *Registry) handlers() map[string]actors.Handler {
	out := map[string]actors.Handler{}
	if r != nil {
		for n, t := range r.tasks {
			out[n] = t.handler()
		}
	}
	return out
}
