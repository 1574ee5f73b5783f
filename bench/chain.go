package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gigq-go/gigq"
)

// chain opens a node with cfg.Workers workers, submits one workflow of
// cfg.Steps no-op steps, each depending on the one before, and waits for
// it. The time runs from Submit to the last step's completion (its
// completed_at); the release latency of each edge is the child's
// started_at (stamped in its claim's transaction) minus its parent's
// completed_at (stamped in the transaction that commits it).
func chain(ctx context.Context, cfg Config, path string) (*Report, error) {
	n, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: cfg.Workers,
		Sync: cfg.Sync})
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	wf := gigq.NewWorkflow("bench_chain")
	steps := make([]*gigq.Step, cfg.Steps)
	for i := range steps {
		var opts []gigq.StepOption
		if i > 0 {
			opts = append(opts, gigq.DependsOn(steps[i-1]))
		}
		steps[i] = wf.Add(fmt.Sprintf("s%06d", i), noop.Step(struct{}{}, nil), opts...)
	}
	start := time.Now()
	id, _, err := wf.Submit(ctx, n)
	if err != nil {
		return nil, err
	}
	insert := time.Since(start)
	info, err := n.WaitWorkflow(ctx, id)
	if err != nil {
		return nil, err
	}
	if info.Status != gigq.WorkflowCompleted {
		return nil, fmt.Errorf("workflow %s ended %s (counts %+v)", id, info.Status, info.Counts)
	}
	jobs := make(map[gigq.JobID]*gigq.Job, len(info.Jobs))
	var last time.Time
	for _, j := range info.Jobs {
		jobs[j.ID] = j
		if j.CompletedAt.After(last) {
			last = j.CompletedAt
		}
	}
	release := make([]time.Duration, 0, len(steps)-1)
	for i := 1; i < len(steps); i++ {
		parent, child := jobs[steps[i-1].ID()], jobs[steps[i].ID()]
		if parent == nil || child == nil {
			return nil, fmt.Errorf("workflow %s lacks step %d or %d", id, i-1, i)
		}
		release = append(release, child.StartedAt.Sub(parent.CompletedAt))
	}
	if err := n.Close(ctx); err != nil {
		return nil, err
	}
	return &Report{Jobs: cfg.Steps, Completed: info.Counts.Completed, Seconds: last.Sub(start).Seconds(),
		InsertSeconds: insert.Seconds(), ReleaseMs: percentiles(release), Workers: cfg.Workers}, nil
}
