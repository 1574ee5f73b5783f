package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gigq-go/gigq"
)

// chain runs one workflow of cfg.Steps no-op steps, each depending on the
// one before (see shape.run for what is measured).
func chain(ctx context.Context, cfg Config, path string) (*Report, error) {
	return layered("bench_chain", cfg.Steps, 1).run(ctx, cfg, path)
}

// shape is a workflow of no-op steps under construction that remembers
// each step's parents.
type shape struct {
	wf      *gigq.Workflow
	steps   []*gigq.Step
	parents [][]*gigq.Step
}

func newShape(name string) *shape { return &shape{wf: gigq.NewWorkflow(name)} }

// add adds a no-op step that depends on the given ones.
func (s *shape) add(parents ...*gigq.Step) *gigq.Step {
	step := s.wf.Add(fmt.Sprintf("s%07d", len(s.steps)), noop.Step(struct{}{}, nil), gigq.DependsOn(parents...))
	s.steps, s.parents = append(s.steps, step), append(s.parents, parents)
	return step
}

// run opens a node with cfg.Workers workers, submits the workflow and
// waits for it (with cfg.Progress, each completion the node reports is a
// step of the phase "work"). The time runs from Submit to the last
// step's completion (its completed_at); the release latency of each step
// with parents is its started_at (stamped in its claim's transaction)
// minus the latest completed_at of its parents (each stamped in the
// transaction that commits it).
func (s *shape) run(ctx context.Context, cfg Config, path string) (*Report, error) {
	var events chan *gigq.Event // for a progress bar only: without one, the node runs as it always did
	if cfg.Progress != nil {
		events = make(chan *gigq.Event, eventBuffer)
	}
	n, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: cfg.Workers,
		Sync: cfg.Sync, Events: events})
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	cfg.progress().Start("work", len(s.steps))
	stopCounting := showCompletions(events, cfg.progress())
	defer stopCounting()
	start := time.Now()
	id, _, err := s.wf.Submit(ctx, n)
	if err != nil {
		return nil, err
	}
	insert := time.Since(start)
	info, err := n.WaitWorkflow(ctx, id)
	if err != nil {
		return nil, err
	}
	stopCounting()
	if info.Status != gigq.WorkflowCompleted {
		return nil, fmt.Errorf("workflow %s ended %s (counts %+v)", id, info.Status, info.Counts)
	}
	jobs := make(map[gigq.JobID]*gigq.Job, len(info.Jobs))
	done := newCompletions(start, len(info.Jobs), noProgress{})
	var last time.Time
	for _, j := range info.Jobs {
		jobs[j.ID] = j
		done.add(j.CompletedAt)
		if j.CompletedAt.After(last) {
			last = j.CompletedAt
		}
	}
	job := func(st *gigq.Step) (*gigq.Job, error) {
		if j := jobs[st.ID()]; j != nil {
			return j, nil
		}
		return nil, fmt.Errorf("workflow %s lacks step %s", id, st.Key())
	}
	var release []time.Duration
	for i, st := range s.steps {
		if len(s.parents[i]) == 0 {
			continue
		}
		child, err := job(st)
		if err != nil {
			return nil, err
		}
		var latest time.Time
		for _, p := range s.parents[i] {
			parent, err := job(p)
			if err != nil {
				return nil, err
			}
			if parent.CompletedAt.After(latest) {
				latest = parent.CompletedAt
			}
		}
		release = append(release, child.StartedAt.Sub(latest))
	}
	if err := n.Close(ctx); err != nil {
		return nil, err
	}
	return &Report{Jobs: len(s.steps), Completed: info.Counts.Completed, Seconds: last.Sub(start).Seconds(),
		InsertSeconds: insert.Seconds(), ReleaseMs: percentiles(release), Workers: cfg.Workers,
		Series: &Series{Completions: done.sorted(), Latencies: release, LatencyName: "release_ms"}}, nil
}

// showCompletions counts each completion a node reports on events (nil:
// none) as a step of progress's current phase, until the stop it returns
// is called (stop waits for it to end; calls after the first do nothing).
func showCompletions(events <-chan *gigq.Event, progress Progress) (stop func()) {
	if events == nil {
		return func() {}
	}
	quit, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case <-quit:
				return
			case e := <-events:
				if e.Kind == gigq.EventCompleted {
					progress.Add(1)
				}
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(quit)
		<-ended
	})
}
