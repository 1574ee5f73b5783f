package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gigq-go/gigq"
)

// paceTick is how often steady's pacer hands out the submits due: at
// rates above one a tick, several at once.
const paceTick = time.Millisecond

// steadySubmitters is how many goroutines steady submits from: enough
// that submits keep up with the pacer while commits are grouped.
const steadySubmitters = 64

// steady opens a node with cfg.Workers workers and, for cfg.Duration,
// submits no-op jobs to it at cfg.Rate a second: a pacer (a time.Ticker)
// hands out the submits due so far, round(Rate × elapsed), to steadySubmitters
// goroutines, each submitting one job per Submit. A job's latency is its
// completed event's time (the completed_at its commit stamped) minus the
// start of its Submit call. The time runs from the start of the submit
// phase (the pacer's start) to the last completion; the submit phase
// (InsertSeconds) to the last Submit's return, so InsertPerSec is the
// submit rate achieved, below cfg.Rate when the submitters cannot keep up.
func steady(ctx context.Context, cfg Config, path string) (*Report, error) {
	n, events, _, err := openWorking(ctx, cfg, path)
	if err != nil {
		return nil, err
	}
	defer n.Close(context.WithoutCancel(ctx)) // after the checked Close below, a no-op
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	expect := min(int(float64(cfg.Rate)*cfg.Duration.Seconds()), 1<<20) // a size hint
	submitted := make(map[gigq.JobID]time.Time, expect)
	completed := make(map[gigq.JobID]time.Time, expect)
	tokens := make(chan struct{}, steadySubmitters)
	total := make(chan int, 1)
	var insert time.Duration
	start := time.Now()
	done := newCompletions(start, expect, noProgress{}) // the bar shows the submits
	go func() {
		var wg sync.WaitGroup
		for range steadySubmitters {
			wg.Go(func() {
				for range tokens {
					at := time.Now()
					id, err := noop.Submit(ctx, n, struct{}{}, nil)
					if err != nil {
						cancel(err)
						return
					}
					mu.Lock()
					submitted[id] = at
					mu.Unlock()
				}
			})
		}
		pace(ctx, cfg.Rate, cfg.Duration, tokens, cfg.progress())
		close(tokens)
		wg.Wait()
		insert = time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		total <- len(submitted)
	}()
	err = waitCompleted(ctx, n, events, total, func(e *gigq.Event) bool {
		completed[e.JobID] = e.At
		return true
	}, done)
	if err != nil {
		return nil, err
	}
	st, err := n.Stats(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.Close(ctx); err != nil {
		return nil, err
	}
	mu.Lock() // the producers are done: total was sent
	defer mu.Unlock()
	latency := make([]time.Duration, 0, len(submitted))
	var last time.Time
	for id, at := range submitted {
		done, ok := completed[id]
		if !ok {
			return nil, fmt.Errorf("job %s: no completed event", id)
		}
		latency = append(latency, done.Sub(at))
		if done.After(last) {
			last = done
		}
	}
	return &Report{Jobs: len(submitted), Completed: st.Completed, Seconds: last.Sub(start).Seconds(),
		InsertSeconds: insert.Seconds(), LatencyMs: percentiles(latency), Workers: cfg.Workers,
		Series: &Series{Completions: done.sorted(), Latencies: latency, LatencyName: "latency_ms"}}, nil
}

// pace sends on tokens, for d, the submits due at rate a second: at each
// tick, round(rate × elapsed) minus those sent, counted as the steps of
// prog's phase "submit". It returns early when ctx ends.
func pace(ctx context.Context, rate int, d time.Duration, tokens chan<- struct{}, prog Progress) {
	tick := time.NewTicker(paceTick)
	defer tick.Stop()
	end := time.NewTimer(d)
	defer end.Stop()
	prog.Start("submit", int(float64(rate)*d.Seconds()+0.5))
	start, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case now := <-tick.C:
			due, from := int(float64(rate)*now.Sub(start).Seconds()+0.5), sent
			for ; sent < due; sent++ {
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
			prog.Add(sent - from)
		}
	}
}
