package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/gigq-go/gigq"
)

// joinTimeout is how long remote waits for a worker node to join its
// primary on loopback before the scenario fails.
const joinTimeout = 30 * time.Second

// RemoteReport is the remote scenario's own figures: each variant ran on
// a database of its own, with the same jobs.
type RemoteReport struct {
	// Local is the baseline: a node's own workers, as many as a worker
	// node's slots (Config.Concurrency).
	Local RemoteVariant `json:"local"`
	// OneNode is one worker node joined to a primary that runs no jobs
	// itself; TwoNodes two of them.
	OneNode  RemoteVariant `json:"one_node"`
	TwoNodes RemoteVariant `json:"two_nodes"`
	// LatencyJobs is how many jobs each latency run ran, one at a time.
	LatencyJobs int `json:"latency_jobs"`
	// AddedLatencyMs is the median latency through one worker node minus
	// the local median: what the remote transport adds to a job.
	AddedLatencyMs float64 `json:"added_latency_ms"`
}

// RemoteVariant is one way remote ran its jobs.
type RemoteVariant struct {
	// Slots is how many jobs it ran at once: the local workers, or the
	// worker nodes' concurrency added up.
	Slots int `json:"slots"`
	// Seconds is its throughput run, from opening the node until the last
	// job completed (for worker nodes, their start and join included:
	// JoinMs of it); JobsPerSec is Report.Jobs / Seconds.
	Seconds    float64 `json:"seconds"`
	JobsPerSec float64 `json:"jobs_per_sec"`
	// JoinMs is how long after opening the primary every worker node had
	// joined (omitted for local).
	JoinMs float64 `json:"join_ms,omitempty"`
	// NodeJobs is how many of the jobs each worker node ran (omitted for
	// local).
	NodeJobs []int `json:"node_jobs,omitempty"`
	// LatencyMs is submit → completed of its sequential jobs (local and
	// one_node only).
	LatencyMs *Percentiles `json:"latency_ms,omitempty"`
}

// remote measures jobs run on worker nodes that join a primary over the
// remote transport on loopback, against a node's own workers, each run on
// a new database: the throughput of cfg.Jobs no-op jobs (inserted first,
// as burndown does, then timed from opening the working node until every
// one completed) run by cfg.Concurrency local workers, by one worker node
// of cfg.Concurrency slots, and by two; then the latency of
// cfg.LatencyJobs jobs submitted one at a time, each once the one before
// completed (its completed event's time, stamped by its commit, minus the
// start of its Submit), locally and through one worker node. The worker
// nodes run in this process, each with a transport of its own. The
// report's standard fields are the two-node run's (the database at path),
// its latency_ms the one-node latency's; Report.Remote holds every
// variant.
func remote(ctx context.Context, cfg Config, path string) (_ *Report, err error) {
	dir, err := os.MkdirTemp("", "gigq-bench-remote-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = fmt.Errorf("remove temporary databases: %w", rmErr)
		}
	}()
	db := func(name string) string { return filepath.Join(dir, name+".db") }
	rr := &RemoteReport{LatencyJobs: cfg.LatencyJobs}
	if rr.Local, _, err = remoteThroughput(ctx, cfg, "local", db("local"), 0); err != nil {
		return nil, err
	}
	if rr.OneNode, _, err = remoteThroughput(ctx, cfg, "1 node", db("one_node"), 1); err != nil {
		return nil, err
	}
	var two *Report
	if rr.TwoNodes, two, err = remoteThroughput(ctx, cfg, "2 nodes", path, 2); err != nil {
		return nil, err
	}
	local, err := remoteLatency(ctx, cfg, "local latency", db("local_latency"), 0)
	if err != nil {
		return nil, err
	}
	onNode, err := remoteLatency(ctx, cfg, "1 node latency", db("remote_latency"), 1)
	if err != nil {
		return nil, err
	}
	rr.Local.LatencyMs, rr.OneNode.LatencyMs = percentiles(local), percentiles(onNode)
	rr.AddedLatencyMs = rr.OneNode.LatencyMs.P50 - rr.Local.LatencyMs.P50
	two.LatencyMs, two.Remote = rr.OneNode.LatencyMs, rr
	two.Series.Latencies, two.Series.LatencyName = onNode, "latency_ms"
	return two, nil
}

// working is a node that works jobs, locally or through the worker nodes
// joined to it, and reports its events.
type working struct {
	node   *gigq.Node
	events chan *gigq.Event
	start  time.Time // when opening it began
	join   time.Duration
	nodes  []*gigq.WorkerNode
	ran    []*atomic.Int64 // jobs each worker node ran
}

// openRemoteWorking opens a node on path that works no-op jobs: with
// cfg.Concurrency workers of its own when nodes is 0, else as a primary
// that runs none itself, on a loopback port, with that many worker nodes
// of cfg.Concurrency slots joined; it returns once they all joined. On
// error, what was started is closed.
func openRemoteWorking(ctx context.Context, cfg Config, path string, nodes int) (_ *working, err error) {
	w := &working{events: make(chan *gigq.Event, eventBuffer)}
	c := gigq.Config{Path: path, Sync: cfg.Sync, Events: w.events}
	if nodes == 0 {
		c.Registry, c.Workers = gigq.NewRegistry().MustAdd(noop), cfg.Concurrency
	} else {
		c.Workers, c.Remote = gigq.NoWorkers, &gigq.RemoteConfig{Listen: "127.0.0.1:0"}
	}
	w.start = time.Now()
	if w.node, err = gigq.Open(ctx, c); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.close(context.WithoutCancel(ctx))
		}
	}()
	for i := range nodes {
		ran := new(atomic.Int64)
		counted := gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) {
			ran.Add(1)
			return struct{}{}, nil
		})
		wn, err := gigq.StartWorkerNode(ctx, gigq.WorkerNodeConfig{Join: w.node.RemoteAddress(), Listen: "127.0.0.1:0",
			Registry: gigq.NewRegistry().MustAdd(counted), Concurrency: cfg.Concurrency, ID: fmt.Sprintf("bench-w%d", i+1)})
		if err != nil {
			return nil, err
		}
		w.nodes, w.ran = append(w.nodes, wn), append(w.ran, ran)
	}
	timeout := time.NewTimer(joinTimeout)
	defer timeout.Stop()
	for _, wn := range w.nodes {
		select {
		case <-wn.Joined():
		case <-wn.Refused():
			return nil, fmt.Errorf("worker node %s refused: %w", wn.ID(), wn.Err())
		case <-timeout.C:
			return nil, fmt.Errorf("worker node %s did not join %s within %s", wn.ID(), w.node.RemoteAddress(), joinTimeout)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	w.join = time.Since(w.start)
	return w, nil
}

// close closes the worker nodes, then the node.
func (w *working) close(ctx context.Context) error {
	var errs []error
	for _, wn := range w.nodes {
		errs = append(errs, wn.Close(ctx))
	}
	return errors.Join(append(errs, w.node.Close(ctx))...)
}

// variant is what the run measured of the worker nodes: their slots, join
// time and job counts.
func (w *working) variant(cfg Config) RemoteVariant {
	v := RemoteVariant{Slots: cfg.Concurrency}
	if len(w.nodes) == 0 {
		return v
	}
	v.Slots *= len(w.nodes)
	v.JoinMs = ms(w.join)
	for _, r := range w.ran {
		v.NodeJobs = append(v.NodeJobs, int(r.Load()))
	}
	return v
}

// remoteThroughput inserts cfg.Jobs no-op jobs into a new database at
// path, as burndown does, then opens a working node on it (see
// openRemoteWorking) and times it until every job is completed. Its
// report has the standard fields of a run, as burndown's.
func remoteThroughput(ctx context.Context, cfg Config, what, path string, nodes int) (RemoteVariant, *Report, error) {
	insert, _, err := insertJobs(ctx, cfg, what+" insert", path, cfg.Jobs, nil)
	if err != nil {
		return RemoteVariant{}, nil, err
	}
	w, err := openRemoteWorking(ctx, cfg, path, nodes)
	if err != nil {
		return RemoteVariant{}, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer w.close(context.WithoutCancel(ctx)) // after the checked close below, a no-op
	done := newCompletions(w.start, cfg.Jobs, cfg.progress())
	cfg.progress().Start(what+" work", cfg.Jobs)
	if err := waitCompleted(ctx, w.node, w.events, known(cfg.Jobs), nil, done); err != nil {
		return RemoteVariant{}, nil, fmt.Errorf("%s: %w", what, err)
	}
	elapsed := time.Since(w.start)
	st, err := w.node.Stats(ctx)
	if err != nil {
		return RemoteVariant{}, nil, err
	}
	if err := w.close(ctx); err != nil {
		return RemoteVariant{}, nil, err
	}
	if st.Completed != cfg.Jobs {
		return RemoteVariant{}, nil, fmt.Errorf("%s: %d of %d jobs completed", what, st.Completed, cfg.Jobs)
	}
	v := w.variant(cfg)
	v.Seconds, v.JobsPerSec = elapsed.Seconds(), perSec(cfg.Jobs, elapsed.Seconds())
	return v, &Report{Jobs: cfg.Jobs, Completed: st.Completed, Seconds: elapsed.Seconds(), InsertSeconds: insert.Seconds(),
		Workers: cfg.Concurrency, Series: &Series{Completions: done.sorted()}}, nil
}

// remoteLatency opens a working node on a new database at path (see
// openRemoteWorking) and submits cfg.LatencyJobs no-op jobs to it one at a
// time, each once the one before completed, and returns their latencies:
// the completed event's time (its commit's completed_at) minus the start
// of the Submit call.
func remoteLatency(ctx context.Context, cfg Config, what, path string, nodes int) ([]time.Duration, error) {
	w, err := openRemoteWorking(ctx, cfg, path, nodes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer w.close(context.WithoutCancel(ctx)) // after the checked close below, a no-op
	prog := cfg.progress()
	prog.Start(what, cfg.LatencyJobs)
	latency := make([]time.Duration, 0, cfg.LatencyJobs)
	for range cfg.LatencyJobs {
		at := time.Now()
		id, err := noop.Submit(ctx, w.node, struct{}{}, nil)
		if err != nil {
			return nil, err
		}
		done, err := completedAt(ctx, w.node, w.events, id)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		latency = append(latency, done.Sub(at))
		prog.Add(1)
	}
	return latency, w.close(ctx)
}

// completedAt waits for the job's completed event on events and returns
// its time. It fails when the job ends otherwise, or when no event says it
// completed for stallTimeout; every stallCheck without one, it reads the
// job (its event may have been missed).
func completedAt(ctx context.Context, n *gigq.Node, events <-chan *gigq.Event, id gigq.JobID) (time.Time, error) {
	check := time.NewTicker(stallCheck)
	defer check.Stop()
	deadline := time.Now().Add(stallTimeout)
	for {
		select {
		case <-ctx.Done():
			return time.Time{}, context.Cause(ctx)
		case e := <-events:
			if e.JobID != id {
				continue
			}
			switch e.Kind {
			case gigq.EventCompleted:
				return e.At, nil
			case gigq.EventFailed, gigq.EventTimeout, gigq.EventCancelled, gigq.EventRetrying:
				return time.Time{}, fmt.Errorf("job %s: %s: %s", e.JobID, e.Kind, e.Error)
			}
		case <-check.C:
			j, err := n.Status(ctx, id)
			if err != nil {
				return time.Time{}, err
			}
			switch {
			case j.Status == gigq.StatusCompleted:
				return j.CompletedAt, nil
			case j.Status.Final():
				return time.Time{}, fmt.Errorf("job %s ended %s: %s", id, j.Status, j.Error)
			case time.Now().After(deadline):
				return time.Time{}, fmt.Errorf("stalled: job %s not completed after %s (status %s)", id, stallTimeout, j.Status)
			}
		}
	}
}

// writeRows writes the variants as rows of a report's table: throughput,
// then latency, then the latency the transport adds.
func (rr *RemoteReport) writeRows(row func(k, format string, args ...any)) {
	for _, v := range []struct {
		name string
		v    RemoteVariant
	}{{"local", rr.Local}, {"one_node", rr.OneNode}, {"two_nodes", rr.TwoNodes}} {
		extra := ""
		if v.v.NodeJobs != nil {
			extra = fmt.Sprintf(", joined in %.0f ms, jobs per node %v", v.v.JoinMs, v.v.NodeJobs)
		}
		row(v.name, "%.0f jobs/s (%d slots, %.3fs%s)", v.v.JobsPerSec, v.v.Slots, v.v.Seconds, extra)
	}
	for _, v := range []struct {
		name string
		p    *Percentiles
	}{{"local latency_ms", rr.Local.LatencyMs}, {"one_node latency_ms", rr.OneNode.LatencyMs}} {
		if v.p != nil {
			row(v.name, "p50 %.3f  p95 %.3f  p99 %.3f  max %.3f", v.p.P50, v.p.P95, v.p.P99, v.p.Max)
		}
	}
	row("added_latency_ms", "%.3f (p50 through one worker node minus p50 local, %d sequential jobs each)",
		rr.AddedLatencyMs, rr.LatencyJobs)
}
