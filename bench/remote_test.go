package bench_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/bench"
)

func TestRemote(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "remote", bench.Config{Jobs: 60, LatencyJobs: 15, Concurrency: 3, Submitters: 4})
	require.Equal(t, 60, r.Jobs)
	require.Equal(t, 3, r.Workers, "slots a worker node")
	require.Equal(t, 3, r.Config.Concurrency)
	require.Equal(t, 15, r.Config.LatencyJobs)
	require.Zero(t, r.Config.Workers)
	checkPercentiles(t, r.LatencyMs)
	require.Nil(t, r.ReleaseMs)
	require.Equal(t, gigq.Stats{Completed: 60, Total: 60}, fileStats(t, r.Config.DB), "the two-node run's database")
	require.Len(t, r.Series.Completions, 60)
	require.Len(t, r.Series.Latencies, 15)
	require.Equal(t, "latency_ms", r.Series.LatencyName)

	rr := r.Remote
	require.NotNil(t, rr)
	require.Equal(t, 15, rr.LatencyJobs)
	for name, v := range map[string]bench.RemoteVariant{"local": rr.Local, "one_node": rr.OneNode, "two_nodes": rr.TwoNodes} {
		require.Positive(t, v.Seconds, name)
		require.Positive(t, v.JobsPerSec, name)
		require.InDelta(t, 60/v.Seconds, v.JobsPerSec, 1e-6, name)
	}
	require.Equal(t, 3, rr.Local.Slots)
	require.Equal(t, 3, rr.OneNode.Slots)
	require.Equal(t, 6, rr.TwoNodes.Slots)
	require.Zero(t, rr.Local.JoinMs)
	require.Nil(t, rr.Local.NodeJobs)
	require.Equal(t, []int{60}, rr.OneNode.NodeJobs, "the worker node ran every job")
	require.Len(t, rr.TwoNodes.NodeJobs, 2)
	require.Equal(t, 60, rr.TwoNodes.NodeJobs[0]+rr.TwoNodes.NodeJobs[1], "the worker nodes ran every job, once")
	require.Positive(t, rr.OneNode.JoinMs)
	require.Positive(t, rr.TwoNodes.JoinMs)
	checkPercentiles(t, rr.Local.LatencyMs)
	checkPercentiles(t, rr.OneNode.LatencyMs)
	require.Nil(t, rr.TwoNodes.LatencyMs)
	require.Equal(t, rr.OneNode.LatencyMs, r.LatencyMs)
	require.InDelta(t, rr.OneNode.LatencyMs.P50-rr.Local.LatencyMs.P50, rr.AddedLatencyMs, 1e-9)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	require.Contains(t, raw, "latency_ms")
	var remote map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["remote"], &remote))
	for _, k := range []string{"local", "one_node", "two_nodes", "latency_jobs", "added_latency_ms"} {
		require.Contains(t, remote, k)
	}
	var one map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(remote["one_node"], &one))
	for _, k := range []string{"slots", "seconds", "jobs_per_sec", "join_ms", "node_jobs", "latency_ms"} {
		require.Contains(t, one, k)
	}
	var config map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["config"], &config))
	require.JSONEq(t, `15`, string(config["latency_jobs"]))
	require.JSONEq(t, `3`, string(config["concurrency"]))

	var table bytes.Buffer
	require.NoError(t, r.WriteTable(&table))
	for _, want := range []string{"one_node", "two_nodes", "jobs per node", "added_latency_ms"} {
		require.Contains(t, table.String(), want)
	}
}

func TestRemoteDefaults(t *testing.T) {
	t.Parallel()
	cfg := bench.Defaults("remote")
	require.Equal(t, 20_000, cfg.Jobs)
	require.Equal(t, 1000, cfg.LatencyJobs)
	require.Equal(t, bench.DefaultWorkers, cfg.Concurrency)
	require.Equal(t, bench.DefaultSubmitters, cfg.Submitters)
	require.Zero(t, cfg.Workers)
	require.NoError(t, bench.Validate("remote", cfg))
	require.Zero(t, bench.Defaults("burndown").Concurrency)
	require.Zero(t, bench.Defaults("burndown").LatencyJobs)
}
