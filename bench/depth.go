package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gigq-go/gigq"
)

// queuedPriority is the priority of the jobs depth leaves queued: below
// the default 0 of the jobs it measures, so those are claimed first.
const queuedPriority = -1

// depth inserts cfg.Queued no-op jobs of priority queuedPriority, then
// cfg.Jobs of priority 0 (each through a client-only node, as burndown
// does), then opens a node with cfg.Workers workers and times it from
// Open until the cfg.Jobs jobs are completed (their completions, by id;
// the queued jobs the workers take up once the measured ones are claimed
// do not count), and closes it. What it measures is the work rate with
// cfg.Queued jobs queued behind: claiming must not cost more as they grow.
// The insert rate is the measured jobs' alone.
func depth(ctx context.Context, cfg Config, path string) (*Report, error) {
	if _, _, err := insertJobs(ctx, cfg, "queue", path, cfg.Queued, &gigq.SubmitOpts{Priority: queuedPriority}); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	insert, ids, err := insertJobs(ctx, cfg, "insert", path, cfg.Jobs, nil)
	if err != nil {
		return nil, err
	}
	measured := make(map[gigq.JobID]bool, len(ids))
	for _, id := range ids {
		measured[id] = true
	}
	n, events, start, err := openWorking(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	done := newCompletions(start, cfg.Jobs, cfg.progress())
	cfg.progress().Start("work", cfg.Jobs)
	err = waitCompleted(ctx, n, events, known(cfg.Jobs), func(e *gigq.Event) bool { return measured[e.JobID] }, done)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	if err := n.Close(ctx); err != nil {
		return nil, err
	}
	completed, err := completedOf(ctx, path, ids)
	if err != nil {
		return nil, err
	}
	return &Report{Jobs: cfg.Jobs, Completed: completed, Seconds: elapsed.Seconds(), InsertSeconds: insert.Seconds(),
		Queued: cfg.Queued, Workers: cfg.Workers, Series: &Series{Completions: done.sorted()}}, nil
}

// completedOf reads how many of the jobs are completed in the database
// at path, through a client-only node.
func completedOf(ctx context.Context, path string, ids []gigq.JobID) (int, error) {
	n, err := gigq.Open(ctx, gigq.Config{Path: path, ClientOnly: true, WatchInterval: -1})
	if err != nil {
		return 0, err
	}
	defer n.Close(context.WithoutCancel(ctx))
	completed := 0
	for _, id := range ids {
		j, err := n.Status(ctx, id)
		if err != nil {
			return 0, err
		}
		if j.Status == gigq.StatusCompleted {
			completed++
		}
	}
	return completed, n.Close(ctx)
}
