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

// waitWorkflowBench waits for a workflow to end by its jobs' events (a
// benchmark must not poll the database while it measures).
func waitWorkflowEvents(b *testing.B, n *gigq.Node, events <-chan *gigq.Event, jobs int) {
	b.Helper()
	done := 0
	timeout := time.After(5 * time.Minute)
	for done < jobs {
		select {
		case e := <-events:
			if e.Kind == gigq.EventCompleted {
				done++
			}
		case <-timeout:
			b.Fatalf("workflow not done: %d of %d jobs completed", done, jobs)
		}
	}
}

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
		waitWorkflowEvents(b, n, events, steps)
		b.StopTimer()
		cancel()
		prev := status(b, n, chainSteps[0].ID())
		for _, s := range chainSteps[1:] {
			cur := status(b, n, s.ID())
			lat = append(lat, cur.StartedAt.Sub(prev.CompletedAt))
			prev = cur
		}
		closeNode(b, n)
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/chain")
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
		waitWorkflowEvents(b, n, events, width+2)
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
		n := openBenchNode(b, gigq.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Registry: gigq.NewRegistry().MustAdd(noop), Workers: 4})
		events, cancel := n.Subscribe(gigq.EventCompleted)
		// Submit the chain first, parents before children, through a
		// client-only node on the same file: nothing runs until the
		// worker node below opens.
		ids := make([]gigq.JobID, steps)
		for i := range ids {
			var opts *gigq.SubmitOpts
			if i > 0 {
				opts = &gigq.SubmitOpts{DependsOn: []gigq.JobID{ids[i-1]}}
			}
			id, err := n.Submit(context.Background(), "noop", nil, opts)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
			if i == 0 {
				b.StartTimer()
			}
		}
		waitWorkflowEvents(b, n, events, steps)
		b.StopTimer()
		cancel()
		prev := status(b, n, ids[0])
		for _, id := range ids[1:] {
			cur := status(b, n, id)
			lat = append(lat, cur.StartedAt.Sub(prev.CompletedAt))
			prev = cur
		}
		closeNode(b, n)
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
