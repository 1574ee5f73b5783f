package gigq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// WorkflowID identifies a workflow (Workflow.Submit, Job.WorkflowID): a
// UUIDv7 in its text form, time-ordered, as JobID. It is a string type
// (an alias of the engine's): gigq.WorkflowID(s) and string(id) convert.
type WorkflowID = persistence.WorkflowID

// WorkflowStatus is a workflow's state, a string type (an alias of the
// engine's) with four values: WorkflowRunning ("running"),
// WorkflowCompleted ("completed"), WorkflowFailed ("failed") and
// WorkflowCancelled ("cancelled"). The last three are final until a
// requeue of one of its jobs makes it running again.
type WorkflowStatus = persistence.WorkflowStatus

// The workflow states: running until every job ended; then completed (all
// completed), failed (a job failed or timed out, and none can still run)
// or cancelled (a job was cancelled, none failed).
const (
	WorkflowRunning   = persistence.WorkflowRunning
	WorkflowCompleted = persistence.WorkflowCompleted
	WorkflowFailed    = persistence.WorkflowFailed
	WorkflowCancelled = persistence.WorkflowCancelled
)

// ErrUnknownDependency matches the error of a submit whose job depends on
// a job id that does not exist. Nothing of that submit was written.
var ErrUnknownDependency = persistence.ErrUnknownDependency

// ErrInvalidWorkflow matches every error Workflow.Submit and
// Workflow.Validate give for a workflow that cannot be submitted as built
// (no jobs, a duplicate step, a dependency on an unknown step, a cycle, a
// step's bad task name or options), and every error of
// ParseWorkflowFile. Nothing was written.
var ErrInvalidWorkflow = errors.New("gigq: invalid workflow")

// Workflow groups jobs under a name, with dependencies between them
// (GigQ's workflow). Build it with Add, then Submit it: all its jobs are
// written in one transaction, or none is. A job runs once every job it
// depends on completed, and can read their results (ParentResults); when
// a job fails, times out or is cancelled, every job below it is cancelled.
// A Workflow is not safe for concurrent use while it is built.
type Workflow struct {
	name  string
	steps []*Step
}

// NewWorkflow starts a workflow with the given name (Submit refuses an
// empty one).
func NewWorkflow(name string) *Workflow { return &Workflow{name: name} }

// Name is the workflow's name.
func (w *Workflow) Name() string { return w.name }

// Steps are the workflow's steps in the order they were added (a file's
// order).
func (w *Workflow) Steps() []*Step { return append([]*Step(nil), w.steps...) }

// Step is one job of a workflow, returned by Add; pass it to DependsOn.
type Step struct {
	wf      *Workflow
	key     string
	spec    StepSpec
	parents []stepRef
	id      JobID
	index   int // its job's place in what build returned (parents first)
}

// stepRef is one dependency of a step: a step of the same workflow (by
// pointer or by key) or an existing job.
type stepRef struct {
	step *Step
	key  string
	job  JobID
}

// Key is the step's key, unique in its workflow.
func (s *Step) Key() string { return s.key }

// ID is the step's job id once the workflow was submitted ("" before).
func (s *Step) ID() JobID { return s.id }

// StepSpec is what a step runs: a task and its params, with the job's
// settings. Make one with Call, or with a typed task's Step method.
type StepSpec struct {
	function string
	params   any
	opts     *SubmitOpts
}

// Call makes a step that runs the task named function with params (as in
// Node.Submit). opts may be nil.
func Call(function string, params any, opts *SubmitOpts) StepSpec {
	return StepSpec{function: function, params: params, opts: opts}
}

// StepOption configures a step.
type StepOption func(*Step)

// DependsOn makes the step wait until every given step completed.
func DependsOn(steps ...*Step) StepOption {
	return func(s *Step) {
		for _, p := range steps {
			s.parents = append(s.parents, stepRef{step: p})
		}
	}
}

// After makes the step wait for the steps with the given keys. Unlike
// DependsOn, a key may name a step added later (as a workflow file does);
// Submit checks that every key exists and that there is no cycle.
func After(keys ...string) StepOption {
	return func(s *Step) {
		for _, k := range keys {
			s.parents = append(s.parents, stepRef{key: k})
		}
	}
}

// DependsOnJobs makes the step wait for jobs already submitted (outside
// this workflow).
func DependsOnJobs(ids ...JobID) StepOption {
	return func(s *Step) {
		for _, id := range ids {
			s.parents = append(s.parents, stepRef{job: id})
		}
	}
}

// Add adds a step under a key unique in the workflow (the job's name
// defaults to it). Mistakes are reported by Submit.
func (w *Workflow) Add(key string, spec StepSpec, opts ...StepOption) *Step {
	s := &Step{wf: w, key: key, spec: spec}
	for _, o := range opts {
		o(s)
	}
	w.steps = append(w.steps, s)
	return s
}

// Submit validates the workflow and writes it, with all its jobs and
// their dependencies, in one transaction. It returns the workflow's id and
// each step's job id by key; Step.ID gives them too. On error nothing was
// written: a mistake in the workflow matches ErrInvalidWorkflow and names
// the step; a dependency on a job id that does not exist matches
// ErrUnknownDependency. When ctx ends before the commit, Submit returns
// its error and the workflow may still be written (see Node).
func (w *Workflow) Submit(ctx context.Context, n *Node) (WorkflowID, map[string]JobID, error) {
	if n.closed.Load() {
		return "", nil, ErrClosed
	}
	jobs, err := w.build()
	if err != nil {
		return "", nil, err
	}
	if limit := n.cfg.MaxParamsBytes; limit > 0 {
		for _, s := range w.steps {
			if size := len(jobs[s.index].Params); size > limit {
				return "", nil, fmt.Errorf("%w %q: step %q: params of %d bytes are over the limit of %d bytes (Config.MaxParamsBytes): store large data elsewhere and pass a reference",
					ErrInvalidWorkflow, w.name, s.key, size, limit)
			}
		}
	}
	wid, err := uuid.NewV7()
	if err != nil {
		return "", nil, fmt.Errorf("gigq: new workflow id: %w", err)
	}
	id := WorkflowID(wid.String())
	for i := range jobs {
		jobs[i].WorkflowID = id
	}
	if err := n.writable(); err != nil {
		return "", nil, err
	}
	if err := n.sys.SubmitWorkflow(ctx, persistence.NewWorkflow{ID: id, Name: w.name}, jobs); err != nil {
		return "", nil, fmt.Errorf("gigq: submit workflow %q: %w", w.name, err)
	}
	ids := make(map[string]JobID, len(w.steps))
	for _, s := range w.steps {
		ids[s.key] = s.id
	}
	return id, ids, nil
}

// Validate reports what Submit would refuse in the workflow as built (no
// jobs, an empty or duplicate key, a dependency on an unknown step, a
// cycle, a bad task name or params), without writing anything. Only a
// dependency on a job id that does not exist is left to Submit.
func (w *Workflow) Validate() error {
	ids := make([]JobID, len(w.steps))
	for i, s := range w.steps {
		ids[i] = s.id
	}
	_, err := w.build()
	for i, s := range w.steps {
		s.id = ids[i]
	}
	return err
}

// build validates the workflow and returns its jobs, parents first. It
// sets each step's id.
func (w *Workflow) build() ([]persistence.NewJob, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidWorkflow, w.name, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(w.name) == "" {
		return nil, fmt.Errorf("%w: the workflow's name is empty: give NewWorkflow a name", ErrInvalidWorkflow)
	}
	if len(w.steps) == 0 {
		return nil, bad("it has no jobs: Add at least one")
	}
	byKey := make(map[string]*Step, len(w.steps))
	for _, s := range w.steps {
		if strings.TrimSpace(s.key) == "" {
			return nil, bad("a step has an empty key: give every step a key")
		}
		if _, dup := byKey[s.key]; dup {
			return nil, bad("duplicate step %q: keys must be unique", s.key)
		}
		byKey[s.key] = s
	}
	// Resolve each step's parents to steps (or existing jobs).
	parents := make(map[*Step][]stepRef, len(w.steps))
	for _, s := range w.steps {
		seen := map[any]bool{}
		for _, r := range s.parents {
			switch {
			case r.step != nil && r.step.wf != w:
				return nil, bad("step %q depends on step %q of another workflow", s.key, r.step.key)
			case r.key != "":
				p, ok := byKey[r.key]
				if !ok {
					return nil, bad("step %q depends on unknown step %q (known: %s)", s.key, r.key, strings.Join(w.keys(), ", "))
				}
				r = stepRef{step: p}
			case r.step == nil && r.job == "":
				return nil, bad("step %q has an empty dependency", s.key)
			}
			if r.step == s {
				return nil, bad("step %q depends on itself", s.key)
			}
			var k any = r.job
			if r.step != nil {
				k = r.step
			}
			if seen[k] {
				return nil, bad("step %q lists the dependency %s twice", s.key, r.name())
			}
			seen[k] = true
			parents[s] = append(parents[s], r)
		}
	}
	order, cycle := topoOrder(w.steps, parents)
	if cycle != nil {
		return nil, bad("dependency cycle: %s", strings.Join(cycle, " -> "))
	}
	jobs := make([]persistence.NewJob, 0, len(order))
	for _, s := range order {
		opts := SubmitOpts{}
		if s.spec.opts != nil {
			opts = *s.spec.opts
		}
		if opts.Name == "" {
			opts.Name = s.key
		}
		if len(opts.DependsOn) > 0 {
			return nil, bad("step %q: use DependsOnJobs, not SubmitOpts.DependsOn, in a workflow", s.key)
		}
		if !opts.RunAt.IsZero() || opts.Delay > 0 || opts.UniqueKey != "" {
			return nil, bad("step %q: RunAt, Delay and UniqueKey are for single submits, not workflow steps", s.key)
		}
		j, err := newJob(s.spec.function, s.spec.params, &opts)
		if err != nil {
			return nil, fmt.Errorf("%w %q: step %q: %w", ErrInvalidWorkflow, w.name, s.key, err)
		}
		for _, r := range parents[s] {
			if r.step != nil {
				j.Dependencies = append(j.Dependencies, r.step.id)
			} else {
				j.Dependencies = append(j.Dependencies, r.job)
			}
		}
		s.id, s.index = j.ID, len(jobs)
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (r stepRef) name() string {
	if r.step != nil {
		return fmt.Sprintf("step %q", r.step.key)
	}
	return "job " + string(r.job)
}

func (w *Workflow) keys() []string {
	out := make([]string, len(w.steps))
	for i, s := range w.steps {
		out[i] = s.key
	}
	return out
}

// topoOrder orders the steps parents first, keeping the order they were
// added where the dependencies allow. On a cycle it returns the keys on it
// (the first repeated at the end).
func topoOrder(steps []*Step, parents map[*Step][]stepRef) ([]*Step, []string) {
	const (
		unseen = iota
		visiting
		done
	)
	state := make(map[*Step]int, len(steps))
	order := make([]*Step, 0, len(steps))
	var path []*Step
	var cycle []string
	var visit func(s *Step) bool
	visit = func(s *Step) bool {
		switch state[s] {
		case done:
			return true
		case visiting:
			i := slices.Index(path, s)
			for _, p := range path[i:] {
				cycle = append(cycle, p.key)
			}
			cycle = append(cycle, s.key)
			return false
		}
		state[s] = visiting
		path = append(path, s)
		for _, r := range parents[s] {
			if r.step != nil && !visit(r.step) {
				return false
			}
		}
		path = path[:len(path)-1]
		state[s] = done
		order = append(order, s)
		return true
	}
	for _, s := range steps {
		if !visit(s) {
			return nil, cycle
		}
	}
	return order, nil
}

// WorkflowInfo is a workflow with its jobs, as Node.Workflow returns it
// and `gigq workflow status --json` prints it.
type WorkflowInfo struct {
	ID        WorkflowID     `json:"id"`         // the workflow's id
	Name      string         `json:"name"`       // its name (NewWorkflow)
	Status    WorkflowStatus `json:"status"`     // its state now
	CreatedAt time.Time      `json:"created_at"` // when it was submitted
	UpdatedAt time.Time      `json:"updated_at"` // when its status last changed
	// Counts are its jobs by state.
	Counts Stats `json:"counts"`
	// Jobs are its jobs in the order they were written (parents first),
	// each with its dependencies.
	Jobs []*Job `json:"jobs"`
}

// Workflow reads a workflow, its status, its jobs' counts by state and its
// jobs. An unknown id gives an error that matches ErrNotFound.
func (n *Node) Workflow(ctx context.Context, id WorkflowID) (*WorkflowInfo, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	w, rows, err := n.store.Workflow(ctx, id)
	if err != nil {
		return nil, err
	}
	info := &WorkflowInfo{ID: w.ID, Name: w.Name, Status: w.Status, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
		Jobs: make([]*Job, len(rows))}
	var counts persistence.Stats
	for i := range rows {
		info.Jobs[i] = jobFromRow(&rows[i])
		counts.Add(rows[i].Status)
	}
	info.Counts = statsOf(counts)
	return info, nil
}

// WaitWorkflow blocks until the workflow's status is final (completed,
// failed or cancelled) or ctx ends, and returns it with its jobs. It wakes
// on this node's events, and checks the database every 200ms for changes
// made by other processes. It returns ctx's error when ctx ends first,
// an error matching ErrNotFound for an unknown id, and ErrClosed when the
// node closes.
func (n *Node) WaitWorkflow(ctx context.Context, id WorkflowID) (*WorkflowInfo, error) {
	err := n.waitFor(ctx, func(e *Event) bool { return e.Kind == EventWorkflow && e.WorkflowID == id }, func() (bool, error) {
		if n.closed.Load() {
			return false, ErrClosed
		}
		w, err := n.store.WorkflowRow(ctx, id)
		if err != nil {
			return false, err
		}
		return w.Status != WorkflowRunning, nil
	})
	if err != nil {
		return nil, err
	}
	return n.Workflow(ctx, id)
}

// CancelWorkflow cancels every pending job of a workflow (and the jobs
// outside it that depend on them); running jobs finish. It returns how
// many jobs it cancelled. An unknown id gives an error that matches
// ErrNotFound.
func (n *Node) CancelWorkflow(ctx context.Context, id WorkflowID) (int, error) {
	return n.change(ctx, &messages.ChangeJobs{Op: messages.OpCancelWorkflow, WorkflowID: id})
}
