package gigq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gigq-go/gigq/actors"
	"github.com/gigq-go/gigq/persistence"
)

// metricsNamespace prefixes the Prometheus metrics a node registers on
// Config.Metrics; the package documentation (doc.go, "Metrics") lists them
// and says what a scrape reads.
const metricsNamespace = "gigq"

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

// metrics is a node's collectors and the actors.Observer that feeds them.
// It is itself one prometheus.Collector, registered (and unregistered by
// Close) as a whole. Safe for concurrent use by multiple goroutines.
type metrics struct {
	submitted prometheus.Counter
	finished  *prometheus.CounterVec
	cancelled prometheus.Counter
	duration  *prometheus.HistogramVec
	batchSize prometheus.Histogram
	commit    prometheus.Histogram
	workers   prometheus.Gauge
	busy      prometheus.Gauge
	jobs      *prometheus.Desc
	workflows *prometheus.Desc

	// byFunction caches each function's series, so an attempt's end looks
	// up no labels (and allocates nothing) after the function's first.
	mu         sync.RWMutex
	byFunction map[string]*functionMetrics

	// node is read at scrape; Open sets it once the node is built.
	node atomic.Pointer[Node]
}

// functionMetrics is one function's series.
type functionMetrics struct {
	finished [actors.NumAttemptEnds]prometheus.Counter
	duration prometheus.Observer
}

var _ actors.Observer = (*metrics)(nil)

func newMetrics(workers int) *metrics {
	m := &metrics{
		submitted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: metricsNamespace,
			Name: "jobs_submitted_total", Help: "Jobs this node submitted."}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace,
			Name: "jobs_finished_total",
			Help: "Attempts this node ended, by function and end (completed, failed, timeout: final; retry: pending again; released: stopped by shutdown)."},
			[]string{"function", "state"}),
		cancelled: prometheus.NewCounter(prometheus.CounterOpts{Namespace: metricsNamespace,
			Name: "jobs_cancelled_total", Help: "Jobs this node cancelled, directly or because a job they depend on ended badly."}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNamespace,
			Name: "attempt_duration_seconds", Help: "How long each attempt this node ran took, by function.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}},
			[]string{"function"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metricsNamespace,
			Name: "store_batch_size", Help: "Commands applied per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13)}), // 1 .. 4096, the largest batch
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: metricsNamespace,
			Name: "store_commit_seconds", Help: "Time from BEGIN to COMMIT of each group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}), // 100µs .. 3.3s
		workers: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metricsNamespace,
			Name: "workers", Help: "The node's workers."}),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metricsNamespace,
			Name: "workers_busy", Help: "Workers running an attempt."}),
		jobs: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "", "jobs"),
			"Jobs in each state, read from the database at scrape.", []string{"state"}, nil),
		workflows: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "", "workflows"),
			"Workflows in each status, read from the database at scrape.", []string{"status"}, nil),
		byFunction: map[string]*functionMetrics{},
	}
	m.workers.Set(float64(workers))
	return m
}

// register registers m on reg, with an error that says what to do when
// reg already holds a node's metrics.
func (m *metrics) register(reg prometheus.Registerer) error {
	err := reg.Register(m)
	if err == nil {
		return nil
	}
	const advice = "give each node its own registry (prometheus.NewRegistry()), or wrap the registry of each node " +
		"with prometheus.WrapRegistererWith(prometheus.Labels{\"node\": ...}, reg)"
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		return fmt.Errorf("gigq: Config.Metrics already holds another node's gigq metrics: %s: %w", advice, err)
	}
	return fmt.Errorf("gigq: register metrics on Config.Metrics (%s): %w", advice, err)
}

// unregisterMetrics takes a node's metrics (if any) off its registry.
func unregisterMetrics(reg prometheus.Registerer, m *metrics) {
	if m != nil {
		reg.Unregister(m)
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	ch <- m.jobs
	ch <- m.workflows
}

// Collect implements prometheus.Collector: the counters, histograms and
// gauges held in memory, and the jobs and workflows read from the
// database.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
	n := m.node.Load()
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := n.Stats(ctx)
	switch {
	case errors.Is(err, ErrClosed):
		return
	case err != nil:
		ch <- prometheus.NewInvalidMetric(m.jobs, err)
	default:
		for _, s := range []struct {
			state Status
			n     int
		}{{StatusPending, st.Pending}, {StatusRunning, st.Running}, {StatusCompleted, st.Completed},
			{StatusFailed, st.Failed}, {StatusTimeout, st.Timeout}, {StatusCancelled, st.Cancelled}} {
			ch <- prometheus.MustNewConstMetric(m.jobs, prometheus.GaugeValue, float64(s.n), string(s.state))
		}
	}
	wf, err := n.workflowCounts(ctx)
	switch {
	case errors.Is(err, ErrClosed):
	case err != nil:
		ch <- prometheus.NewInvalidMetric(m.workflows, err)
	default:
		for _, s := range []WorkflowStatus{WorkflowRunning, WorkflowCompleted, WorkflowFailed, WorkflowCancelled} {
			ch <- prometheus.MustNewConstMetric(m.workflows, prometheus.GaugeValue, float64(wf[s]), string(s))
		}
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.submitted, m.finished, m.cancelled, m.duration, m.batchSize, m.commit, m.workers, m.busy}
}

// Submitted implements actors.Observer.
func (m *metrics) Submitted(n int) { m.submitted.Add(float64(n)) }

// AttemptEnded implements actors.Observer.
func (m *metrics) AttemptEnded(function string, end actors.AttemptEnd, elapsed time.Duration) {
	f := m.function(function)
	if end >= 0 && end < actors.NumAttemptEnds {
		f.finished[end].Inc()
	}
	f.duration.Observe(elapsed.Seconds())
}

// function returns the function's series, making them on first use.
func (m *metrics) function(name string) *functionMetrics {
	m.mu.RLock()
	f := m.byFunction[name]
	m.mu.RUnlock()
	if f != nil {
		return f
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f = m.byFunction[name]; f != nil {
		return f
	}
	f = &functionMetrics{duration: m.duration.WithLabelValues(name)}
	for e := range actors.NumAttemptEnds {
		f.finished[e] = m.finished.WithLabelValues(name, e.String())
	}
	m.byFunction[name] = f
	return f
}

// Cancelled implements actors.Observer.
func (m *metrics) Cancelled(n int) { m.cancelled.Add(float64(n)) }

// Batch implements actors.Observer.
func (m *metrics) Batch(commands int, commit time.Duration) {
	m.batchSize.Observe(float64(commands))
	m.commit.Observe(commit.Seconds())
}

// WorkerBusy implements actors.Observer.
func (m *metrics) WorkerBusy(delta int) { m.busy.Add(float64(delta)) }

// workflowCounts counts the workflows in each status.
func (n *Node) workflowCounts(ctx context.Context) (map[persistence.WorkflowStatus]int, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	return n.store.WorkflowCounts(ctx)
}
