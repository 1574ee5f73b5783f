package gigq_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gigq-go/gigq"
)

// BenchmarkWorkflowChainRelease runs a 1,000-step chain of no-op jobs on
// an idle node and reports the release latency: from a parent's
// completion (its completed_at, stamped in the transaction that commits
// it) to its child's start (started_at, stamped in the claim's
// transaction), p50 and p99 over the 999 edges.
func BenchmarkWorkflowChainRelease(b *testing.B) {
	const steps = 1000
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		n := openBenchNode(b, gigq.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Registry: gigq.NewRegistry().MustAdd(noop), Workers: 4})
		events, cancel := n.Subscribe(gigq.EventCompleted)
		wf, chainSteps := chain("chain", steps, noopStep)
		b.StartTimer()
		if _, _, err := wf.Submit(context.Background(), n); err != nil {
			b.Fatal(err)
		}
		waitCompleted(b, n, events, steps, 5*time.Minute)
		b.StopTimer()
		cancel()
		ids := make([]gigq.JobID, len(chainSteps))
		for i, s := range chainSteps {
			ids[i] = s.ID()
		}
		lat = append(lat, chainLatencies(b, n, ids)...)
		closeNode(b, n)
		b.StartTimer()
	}
	reportLatencies(b, lat)
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/chain")
}

// chainLatencies are, for each job of a chain but the first, the time
// from its parent's completion to its start.
func chainLatencies(b *testing.B, n *gigq.Node, ids []gigq.JobID) []time.Duration {
	b.Helper()
	out := make([]time.Duration, 0, len(ids)-1)
	prev := status(b, n, ids[0])
	for _, id := range ids[1:] {
		cur := status(b, n, id)
		out = append(out, cur.StartedAt.Sub(prev.CompletedAt))
		prev = cur
	}
	return out
}

// reportLatencies reports the median and the 99th percentile, in ms.
func reportLatencies(b *testing.B, lat []time.Duration) {
	b.Helper()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkWorkflowFanOutFanIn10k runs a workflow of one root, 10,000
// no-op jobs that depend on it, and one job that depends on all of them,
// and reports the total time from submit to the last completion.
func BenchmarkWorkflowFanOutFanIn10k(b *testing.B) {
	const width = 10000
	for b.Loop() {
		b.StopTimer()
		n := openBenchNode(b, gigq.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Registry: gigq.NewRegistry().MustAdd(noop), Workers: 4})
		events, cancel := n.Subscribe(gigq.EventCompleted)
		wf := gigq.NewWorkflow("fan")
		root := wf.Add("root", noop.Step(struct{}{}, nil))
		mids := make([]*gigq.Step, width)
		for i := range mids {
			mids[i] = wf.Add(fmt.Sprintf("m%05d", i), noop.Step(struct{}{}, nil), gigq.DependsOn(root))
		}
		wf.Add("sink", noop.Step(struct{}{}, nil), gigq.DependsOn(mids...))
		b.StartTimer()
		if _, _, err := wf.Submit(context.Background(), n); err != nil {
			b.Fatal(err)
		}
		waitCompleted(b, n, events, width+2, 5*time.Minute)
		b.StopTimer()
		cancel()
		closeNode(b, n)
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/workflow")
	b.ReportMetric(float64(width+2)*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkDependsOnChainRelease is BenchmarkWorkflowChainRelease with
// plain jobs (SubmitOpts.DependsOn, no workflow): the store hands each
// released child to the dispatcher itself, without a workflow actor.
func BenchmarkDependsOnChainRelease(b *testing.B) {
	const steps = 1000
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		// The whole chain is written first, by a node without workers;
		// then a working node opens the file and runs it.
		path := filepath.Join(b.TempDir(), "bench.db")
		client := openBenchNode(b, gigq.Config{Path: path, ClientOnly: true})
		ids := make([]gigq.JobID, steps)
		for i := range ids {
			var opts *gigq.SubmitOpts
			if i > 0 {
				opts = &gigq.SubmitOpts{DependsOn: []gigq.JobID{ids[i-1]}}
			}
			id, err := client.Submit(context.Background(), "noop", nil, opts)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
		}
		closeNode(b, client)
		b.StartTimer()
		n := openBenchNode(b, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(noop), Workers: 4})
		events, cancel := n.Subscribe(gigq.EventCompleted) // (waitCompleted checks Stats for what it missed)
		waitCompleted(b, n, events, steps, 5*time.Minute)
		cancel()
		b.StopTimer()
		lat = append(lat, chainLatencies(b, n, ids)...)
		closeNode(b, n)
		b.StartTimer()
	}
	reportLatencies(b, lat)
}
