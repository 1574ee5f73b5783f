package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gigq-go/gigq"
)

// noop is the task every gigq scenario runs: it does nothing, so what is
// measured is the engine.
var noop = gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })

// submitters is how many goroutines burndown submits from: enough that
// the store's group commit writes many jobs per transaction.
const submitters = 64

// eventBuffer is the capacity of the channel a working node reports its
// events on. Sends to it never block; stallCheck covers missed ones.
const eventBuffer = 1 << 16

// stallCheck is how often the wait for completions reads the job counts
// from the database: a check in case events were missed, and a stall
// detector. It is not how the wait learns of progress: events are.
const stallCheck = time.Second

// stallTimeout is how long the jobs may go without a completion before the
// scenario fails.
const stallTimeout = 60 * time.Second

// burndown inserts cfg.Jobs no-op jobs through a client-only node (from
// submitters goroutines, one job per Submit), closes it, then opens a node
// with cfg.Workers workers and times it from Open until every job is
// completed.
func burndown(ctx context.Context, cfg Config, path string) (*Report, error) {
	insert, err := insertJobs(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	events := make(chan *gigq.Event, eventBuffer)
	start := time.Now()
	n, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: cfg.Workers,
		Sync: cfg.Sync, Events: events})
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	if err := waitCompleted(ctx, n, events, cfg.Jobs); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	st, err := n.Stats(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.Close(ctx); err != nil {
		return nil, err
	}
	return &Report{Jobs: cfg.Jobs, Completed: st.Completed, Seconds: elapsed.Seconds(), InsertSeconds: insert.Seconds(),
		Workers: cfg.Workers}, nil
}

// insertJobs submits cfg.Jobs no-op jobs through a client-only node and
// returns how long that took, from the first Submit to the last commit.
func insertJobs(ctx context.Context, cfg Config, path string) (time.Duration, error) {
	n, err := gigq.Open(ctx, gigq.Config{Path: path, ClientOnly: true, Sync: cfg.Sync, WatchInterval: -1})
	if err != nil {
		return 0, err
	}
	defer n.Close(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(submitters, cfg.Jobs) {
		wg.Go(func() {
			for next.Add(1) <= int64(cfg.Jobs) {
				if _, err := noop.Submit(ctx, n, struct{}{}, nil); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	return elapsed, n.Close(ctx)
}

// waitCompleted waits until want jobs are completed on n, counting the
// completions n reports on events; it fails when a job ends otherwise,
// when no job completes for stallTimeout, or when ctx ends.
func waitCompleted(ctx context.Context, n *gigq.Node, events <-chan *gigq.Event, want int) error {
	check := time.NewTicker(stallCheck)
	defer check.Stop()
	seen, lastCount, lastProgress := 0, -1, time.Now()
	for seen < want {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-events:
			switch e.Kind {
			case gigq.EventCompleted:
				seen++
			case gigq.EventFailed, gigq.EventTimeout, gigq.EventCancelled, gigq.EventRetrying:
				return fmt.Errorf("job %s: %s: %s", e.JobID, e.Kind, e.Error)
			}
		case <-check.C:
			st, err := n.Stats(ctx)
			if err != nil {
				return err
			}
			if st.Completed >= want {
				return nil // events were missed
			}
			if st.Completed != lastCount {
				lastCount, lastProgress = st.Completed, time.Now()
			} else if time.Since(lastProgress) > stallTimeout {
				return fmt.Errorf("stalled: no job completed for %s (counts %+v)", stallTimeout, st)
			}
		}
	}
	return nil
}
