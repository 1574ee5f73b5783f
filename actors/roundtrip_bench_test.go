package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// The round-trip benchmarks time the actor tree on a real store (a new WAL
// file under b.TempDir(), synchronous NORMAL). One op is one job; each
// reports jobs/s and the store actor's commands per commit (cmds/commit,
// as the root package's benchmarks do), which shows the group commit.
// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -benchtime 2000x -count 10 ./actors/ > new.txt
//	benchstat old.txt new.txt

// benchInFlight is how many callers the concurrent variants run: enough
// for the store actor to group their commits on two cores.
const benchInFlight = 8

// benchWorkers is the number of workers of a system that runs jobs, as a
// node has by default.
const benchWorkers = 4

// benchTimeout bounds one benchmark run; a job not completed by then fails it.
const benchTimeout = 5 * time.Minute

// startBenchSystem opens a store on a new file and starts a system on it
// with the given number of workers (0: the store actor alone) that run
// "noop" jobs. Publish receives the committed events. The system is
// drained and stopped, and the store closed, when the benchmark ends.
func startBenchSystem(b *testing.B, workers int, publish func([]*messages.JobEvent)) *System {
	b.Helper()
	st, err := persistence.Open(filepath.Join(b.TempDir(), "gigq.db"), persistence.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	noop := func(context.Context, *persistence.Job) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	sys, err := Start(Deps{Store: st, Reader: st, Handlers: map[string]Handler{"noop": noop}, Workers: workers,
		WorkerID: "bench", Logger: zerolog.Nop(), Publish: publish})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sys.Drain(ctx); err != nil {
			b.Error(err)
		}
		if err := sys.Stop(ctx); err != nil {
			b.Error(err)
		}
	})
	return sys
}

// submitOne submits one no-op job; it returns after COMMIT.
func submitOne(ctx context.Context, sys *System) error {
	_, err := sys.Submit(ctx, []persistence.NewJob{fullTestJob(`{}`)})
	return err
}

// completions wakes whoever waits for a job when the store actor publishes
// its completion. Publish runs on the store actor's goroutine and never
// blocks: it only closes channels.
type completions struct {
	mu      sync.Mutex
	waiting map[persistence.JobID]chan struct{}
}

func newCompletions() *completions {
	return &completions{waiting: map[persistence.JobID]chan struct{}{}}
}

// expect returns a channel that is closed when job id completes. Call it
// before the job is submitted, so the event cannot come first.
func (c *completions) expect(id persistence.JobID) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.waiting[id] = ch
	return ch
}

func (c *completions) publish(events []*messages.JobEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		if ch, ok := c.waiting[e.JobID]; ok && e.Kind == messages.EventCompleted {
			close(ch)
			delete(c.waiting, e.JobID)
		}
	}
}

// submitAndWait submits one no-op job and waits until it completed: store
// (commit) → dispatcher → store (claim) → worker → store (report) → publish.
func (c *completions) submitAndWait(ctx context.Context, sys *System) error {
	j := fullTestJob(`{}`)
	done := c.expect(j.ID)
	if _, err := sys.Submit(ctx, []persistence.NewJob{j}); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("job %s not completed: %w", j.ID, ctx.Err())
	}
}

// runBench times b.N calls of op, from one caller or from benchInFlight
// callers at once, and reports jobs/s and the store's commands per commit.
func runBench(b *testing.B, sys *System, callers int, op func(ctx context.Context) error) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	before, err := sys.BatchStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range callers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	after, err := sys.BatchStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if commits := after.Commits - before.Commits; commits > 0 {
		b.ReportMetric(float64(after.Commands-before.Commands)/float64(commits), "cmds/commit")
	}
}

// BenchmarkStoreRoundTrip times a request to the store actor and its reply
// after COMMIT: a one-job submit through System.Submit to a client-only
// system (no dispatch). Sequential is the latency of one commit; Concurrent
// runs benchInFlight submitters, whose requests share commits.
func BenchmarkStoreRoundTrip(b *testing.B) {
	for _, callers := range []int{1, benchInFlight} {
		b.Run(callersName(callers), func(b *testing.B) {
			sys := startBenchSystem(b, 0, nil)
			runBench(b, sys, callers, func(ctx context.Context) error { return submitOne(ctx, sys) })
		})
	}
}

// BenchmarkSubmitToCompleted times a no-op job from Submit to the
// publication of its completion, through a system with benchWorkers
// workers: the whole actor round trip, store → dispatcher → store (claim)
// → worker → store. Sequential is the latency of one job; Concurrent keeps
// benchInFlight jobs in flight.
func BenchmarkSubmitToCompleted(b *testing.B) {
	for _, callers := range []int{1, benchInFlight} {
		b.Run(callersName(callers), func(b *testing.B) {
			c := newCompletions()
			sys := startBenchSystem(b, benchWorkers, c.publish)
			runBench(b, sys, callers, func(ctx context.Context) error { return c.submitAndWait(ctx, sys) })
		})
	}
}

func callersName(callers int) string {
	if callers == 1 {
		return "Sequential"
	}
	return fmt.Sprintf("Concurrent%d", callers)
}
