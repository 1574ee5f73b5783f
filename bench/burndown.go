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
// cfg.Submitters goroutines, one job per Submit), closes it, then opens a node
// with cfg.Workers workers and times it from Open until every job is
// completed.
func burndown(ctx context.Context, cfg Config, path string) (*Report, error) {
	insert, _, err := insertJobs(ctx, cfg, "insert", path, cfg.Jobs, nil)
	if err != nil {
		return nil, err
	}
	n, events, start, err := openWorking(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	done := newCompletions(start, cfg.Jobs, cfg.progress())
	cfg.progress().Start("work", cfg.Jobs)
	if err := waitCompleted(ctx, n, events, known(cfg.Jobs), nil, done); err != nil {
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
		Workers: cfg.Workers, Series: &Series{Completions: done.sorted()}}, nil
}

// openWorking opens a node with cfg.Workers workers that reports its
// events on the channel it returns, and returns when Open was called.
func openWorking(ctx context.Context, cfg Config, path string) (*gigq.Node, <-chan *gigq.Event, time.Time, error) {
	events := make(chan *gigq.Event, eventBuffer)
	resetPeakRSS() // what was inserted is queued: the peak from here is the working node's
	start := time.Now()
	n, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: cfg.Workers,
		Sync: cfg.Sync, Events: events})
	return n, events, start, err
}

// insertJobs submits count no-op jobs with the given options through a
// client-only node (from cfg.Submitters goroutines, one job per Submit), as
// the progress phase named phase, and returns how long that took, from
// the first Submit to the last commit, and the jobs' ids.
func insertJobs(ctx context.Context, cfg Config, phase, path string, count int, opts *gigq.SubmitOpts) (time.Duration, []gigq.JobID, error) {
	n, err := gigq.Open(ctx, gigq.Config{Path: path, ClientOnly: true, Sync: cfg.Sync, WatchInterval: -1})
	if err != nil {
		return 0, nil, err
	}
	defer n.Close(context.WithoutCancel(ctx))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ids := make([]gigq.JobID, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	prog := cfg.progress()
	prog.Start(phase, count)
	start := time.Now()
	for range min(cfg.Submitters, count) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(count); i = next.Add(1) - 1 {
				id, err := noop.Submit(ctx, n, struct{}{}, opts)
				if err != nil {
					cancel(err)
					return
				}
				ids[i] = id
				prog.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, nil, fmt.Errorf("insert: %w", err)
	}
	return elapsed, ids, n.Close(ctx)
}

// known is a want for waitCompleted known from the start.
func known(want int) <-chan int {
	c := make(chan int, 1)
	c <- want
	return c
}

// waitCompleted waits until want jobs are completed on n, counting the
// completions n reports on events that counted accepts (nil: every one),
// each also told to done; want arrives on its channel, maybe only while
// the jobs run. It fails when a job ends otherwise, when no job completes
// for stallTimeout, or when ctx ends. When every completion counts, a
// read of the counts that shows want completed ends the wait too (events
// were missed); when only some do, that read only detects a stall.
func waitCompleted(ctx context.Context, n *gigq.Node, events <-chan *gigq.Event, want <-chan int,
	counted func(*gigq.Event) bool, done *completions) error {
	check := time.NewTicker(stallCheck)
	defer check.Stop()
	target, seen, lastCount, lastProgress := -1, 0, -1, time.Now()
	for target < 0 || seen < target {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case target = <-want:
			want = nil
		case e := <-events:
			switch e.Kind {
			case gigq.EventCompleted:
				if counted == nil || counted(e) {
					seen++
					done.add(e.At)
				}
			case gigq.EventFailed, gigq.EventTimeout, gigq.EventCancelled, gigq.EventRetrying:
				return fmt.Errorf("job %s: %s: %s", e.JobID, e.Kind, e.Error)
			}
		case <-check.C:
			st, err := n.Stats(ctx)
			if err != nil {
				return err
			}
			if counted == nil && target >= 0 && st.Completed >= target {
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
