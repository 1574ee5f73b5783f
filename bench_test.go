package gigq_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq"
)

// openBenchNode opens a node for a benchmark, without logging.
func openBenchNode(b *testing.B, cfg gigq.Config) *gigq.Node {
	b.Helper()
	quiet := zerolog.Nop()
	cfg.Logger = &quiet
	return openNode(b, cfg)
}

// reportBatching reports the store's commands per commit since before.
func reportBatching(b *testing.B, n *gigq.Node, before gigq.BatchStats) {
	b.Helper()
	after, err := n.BatchStats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if commits := after.Commits - before.Commits; commits > 0 {
		b.ReportMetric(float64(after.Commands-before.Commands)/float64(commits), "cmds/commit")
	}
}

// BenchmarkSubmit submits no-op jobs one after the other: each Submit
// waits for its own commit.
func BenchmarkSubmit(b *testing.B) {
	n := openBenchNode(b, gigq.Config{Path: filepath.Join(b.TempDir(), "bench.db"), ClientOnly: true})
	ctx := context.Background()
	before, err := n.BatchStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := n.Submit(ctx, "noop", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	reportBatching(b, n, before)
}

// BenchmarkSubmitParallel submits no-op jobs from many goroutines (32 per
// CPU): their commits are grouped.
func BenchmarkSubmitParallel(b *testing.B) {
	n := openBenchNode(b, gigq.Config{Path: filepath.Join(b.TempDir(), "bench.db"), ClientOnly: true})
	ctx := context.Background()
	before, err := n.BatchStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := n.Submit(ctx, "noop", nil, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	reportBatching(b, n, before)
}

// BenchmarkBurndown100k times a node with 8 workers (GIGQ_BENCH_WORKERS) running 100,000 no-op
// jobs that were submitted before it opened, from Open until the last one
// completed. Run it once:
//
//	go test -run '^$' -bench Burndown -benchtime 1x .
func BenchmarkBurndown100k(b *testing.B) { burndown(b, nil) }

// burndown runs BenchmarkBurndown100k; the worker node also gets metrics
// when reg is set.
func burndown(b *testing.B, reg *prometheus.Registry) {
	jobs, workers := burndownJobs(), benchWorkers()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bench.db")
		c := openBenchNode(b, gigq.Config{Path: path, ClientOnly: true})
		submitConcurrently(b, c, "noop", jobs, 256)
		closeNode(b, c)

		b.StartTimer()
		start := time.Now()
		cfg := gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: workers}
		if reg != nil {
			cfg.Metrics = reg
		}
		n := openBenchNode(b, cfg)
		events, cancel := n.Subscribe(gigq.EventCompleted)
		waitBurndown(b, n, events, jobs)
		elapsed := time.Since(start)
		b.StopTimer()
		total += elapsed

		bs, err := n.BatchStats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(bs.Commands)/float64(max(bs.Commits, 1)), "cmds/commit")
		cancel()
		closeNode(b, n)
	}
	b.ReportMetric(float64(jobs*b.N)/total.Seconds(), "jobs/s")
}

// waitBurndown waits until want jobs are completed. It counts completion
// events (the subscription may have missed the first few, made before it
// existed), checks Stats every 2 s meanwhile, and polls Stats closely
// once the count is near want, so the end is timed to ~10ms without a
// table scan per event.
func waitBurndown(b *testing.B, n *gigq.Node, events <-chan *gigq.Event, want int) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	slow := time.NewTicker(2 * time.Second)
	defer slow.Stop()
	fast := time.NewTicker(10 * time.Millisecond)
	defer fast.Stop()
	seen := 0
	done := func() bool {
		st, err := n.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if time.Now().After(deadline) {
			b.Fatalf("burn-down not done after 5 minutes: %+v", st)
		}
		return st.Completed >= want
	}
	for {
		near := seen >= want-1000
		var tick <-chan time.Time
		if near {
			tick = fast.C
		} else {
			tick = slow.C
		}
		select {
		case _, ok := <-events:
			if !ok {
				b.Fatal("event channel closed")
			}
			seen++
			continue
		case <-tick:
		}
		if done() {
			return
		}
	}
}

// benchWorkers is 8, or GIGQ_BENCH_WORKERS.
func benchWorkers() int {
	if v, err := strconv.Atoi(os.Getenv("GIGQ_BENCH_WORKERS")); err == nil && v > 0 {
		return v
	}
	return 8
}

// burndownJobs is 100,000, or GIGQ_BENCH_JOBS for a quicker profile run.
func burndownJobs() int {
	if v, err := strconv.Atoi(os.Getenv("GIGQ_BENCH_JOBS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}
