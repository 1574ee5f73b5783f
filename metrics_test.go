package gigq_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

var (
	metricsOK   = gigq.NewTask("m_ok", func(context.Context, struct{}) (string, error) { return "ok", nil })
	metricsFail = gigq.NewTask("m_fail", func(context.Context, struct{}) (string, error) {
		return "", errors.New("always fails")
	})
)

// families indexes metric families by name.
type families map[string]*dto.MetricFamily

// value is the value of the series of the named family with the given
// labels (name, value pairs): a counter's or gauge's value, a histogram's
// sample count. It fails the test when there is no such series.
func (fs families) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fs[name]
	require.True(t, ok, "no metric %s", name)
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	require.FailNow(t, "no series", "%s%v", name, labels)
	return 0
}

// gather reads reg directly.
func gather(t *testing.T, reg *prometheus.Registry) families {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	fs := families{}
	for _, mf := range mfs {
		fs[mf.GetName()] = mf
	}
	return fs
}

// scrape reads reg the way Prometheus does: over HTTP, in the text format.
func scrape(t *testing.T, reg *prometheus.Registry) families {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fs, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fs
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(metricsOK, metricsFail), Workers: 3, Metrics: reg})
	ctx := testCtx(t)

	// 5 jobs that complete, one that fails twice (a retry, then for good),
	// one that depends on it (cancelled), and a workflow of 2 steps.
	var ids []gigq.JobID
	for range 5 {
		id, err := metricsOK.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	failed, err := metricsFail.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 2})
	require.NoError(t, err)
	child, err := metricsOK.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{DependsOn: []gigq.JobID{failed}})
	require.NoError(t, err)
	wf := gigq.NewWorkflow("metrics")
	a := wf.Add("a", metricsOK.Step(struct{}{}, nil))
	wf.Add("b", metricsOK.Step(struct{}{}, nil), gigq.DependsOn(a))
	wfID, _, err := wf.Submit(ctx, n)
	require.NoError(t, err)

	for _, id := range ids {
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	}
	require.Equal(t, gigq.StatusFailed, waitJob(t, n, failed).Status)
	require.Equal(t, gigq.StatusCancelled, waitJob(t, n, child).Status)
	require.Equal(t, gigq.WorkflowCompleted, waitWorkflow(t, n, wfID).Status)

	// The store tells the metrics before it answers or publishes, so they
	// are exact once the jobs are seen ended.
	stats, err := n.Stats(ctx)
	require.NoError(t, err)
	for name, fs := range map[string]families{"gather": gather(t, reg), "scrape": scrape(t, reg)} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, 9.0, fs.value(t, "gigq_jobs_submitted_total"))
			require.Equal(t, 7.0, fs.value(t, "gigq_jobs_finished_total", "function", "m_ok", "state", "completed"))
			require.Equal(t, 1.0, fs.value(t, "gigq_jobs_finished_total", "function", "m_fail", "state", "retry"))
			require.Equal(t, 1.0, fs.value(t, "gigq_jobs_finished_total", "function", "m_fail", "state", "failed"))
			require.Equal(t, 0.0, fs.value(t, "gigq_jobs_finished_total", "function", "m_fail", "state", "completed"))
			require.Equal(t, 1.0, fs.value(t, "gigq_jobs_cancelled_total"))
			require.Equal(t, 7.0, fs.value(t, "gigq_attempt_duration_seconds", "function", "m_ok"))
			require.Equal(t, 2.0, fs.value(t, "gigq_attempt_duration_seconds", "function", "m_fail"))
			require.GreaterOrEqual(t, fs.value(t, "gigq_store_batch_size"), 1.0)
			require.Equal(t, fs.value(t, "gigq_store_batch_size"), fs.value(t, "gigq_store_commit_seconds"))
			require.GreaterOrEqual(t, fs["gigq_store_batch_size"].GetMetric()[0].GetHistogram().GetSampleSum(), 9.0)
			require.Equal(t, 3.0, fs.value(t, "gigq_workers"))
			require.Equal(t, 0.0, fs.value(t, "gigq_workers_busy"))
			for state, want := range map[string]int{"pending": stats.Pending, "running": stats.Running,
				"completed": stats.Completed, "failed": stats.Failed, "timeout": stats.Timeout, "cancelled": stats.Cancelled} {
				require.Equal(t, float64(want), fs.value(t, "gigq_jobs", "state", state), state)
			}
			require.Equal(t, 7.0, fs.value(t, "gigq_jobs", "state", "completed"))
			require.Equal(t, 1.0, fs.value(t, "gigq_workflows", "status", "completed"))
			require.Equal(t, 0.0, fs.value(t, "gigq_workflows", "status", "running"))
		})
	}

	// Close takes the node's metrics off the registry.
	closeNode(t, n)
	require.Empty(t, gather(t, reg))
}

func TestMetricsBusyWorkers(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := newGate()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(g.task("m_gate")), Workers: 2, Metrics: reg})
	id, err := n.Submit(testCtx(t), "m_gate", nil, nil)
	require.NoError(t, err)
	g.waitStarted(t)
	fs := gather(t, reg)
	require.Equal(t, 1.0, fs.value(t, "gigq_workers_busy"))
	require.Equal(t, 1.0, fs.value(t, "gigq_jobs", "state", "running"))
	g.open()
	waitJob(t, n, id)
	require.Equal(t, 0.0, gather(t, reg).value(t, "gigq_workers_busy"))
}

func TestMetricsRegistryPerNode(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	path := dbPath(t)
	first := openNode(t, gigq.Config{Path: path, Metrics: reg})

	_, err := gigq.Open(context.Background(), gigq.Config{Path: path, ClientOnly: true, Metrics: reg, Logger: testLogger(t)})
	require.ErrorContains(t, err, "Config.Metrics already holds another node's gigq metrics")
	require.ErrorContains(t, err, "prometheus.NewRegistry()")
	var dup prometheus.AlreadyRegisteredError
	require.ErrorAs(t, err, &dup)

	// Two nodes on one registry, told apart by a label.
	shared := prometheus.NewRegistry()
	for _, name := range []string{"a", "b"} {
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true,
			Metrics: prometheus.WrapRegistererWith(prometheus.Labels{"node": name}, shared)})
		_, err = c.Submit(testCtx(t), "nobody", nil, nil)
		require.NoError(t, err)
	}
	fs := gather(t, shared)
	require.Equal(t, 0.0, fs.value(t, "gigq_workers", "node", "a"))
	require.Equal(t, 1.0, fs.value(t, "gigq_jobs_submitted_total", "node", "a"))
	require.Equal(t, 1.0, fs.value(t, "gigq_jobs_submitted_total", "node", "b"))

	// Once the first node closed, its registry takes a new node.
	closeNode(t, first)
	openNode(t, gigq.Config{Path: path, ClientOnly: true, Metrics: reg})
}

// Without Config.Metrics nothing is registered, not even on the default
// registry.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(metricsOK), Workers: 1})
	id, err := metricsOK.Submit(testCtx(t), n, struct{}{}, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	mfs, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		require.NotContains(t, mf.GetName(), "gigq_")
	}
}

// BenchmarkBurndown100kMetrics is BenchmarkBurndown100k with metrics on.
func BenchmarkBurndown100kMetrics(b *testing.B) { burndown(b, prometheus.NewRegistry()) }
