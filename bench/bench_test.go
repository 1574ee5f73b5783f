package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/bench"
)

// testTimeout bounds each scenario; the suite runs under -race on two
// cores.
const testTimeout = 2 * time.Minute

// runScenario runs a scenario on a file in the test's temporary directory
// (kept, so the test can read it back) and checks what every report must
// hold.
func runScenario(t *testing.T, name string, cfg bench.Config) *bench.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cfg.DB = filepath.Join(t.TempDir(), "bench.db")
	r, err := bench.Run(ctx, name, cfg)
	require.NoError(t, err)
	require.Equal(t, name, r.Scenario)
	require.Equal(t, r.Jobs, r.Completed, "every job completed")
	require.Positive(t, r.Seconds)
	require.Positive(t, r.JobsPerSec)
	require.Positive(t, r.InsertPerSec)
	require.Positive(t, r.PeakRSSBytes)
	require.Positive(t, r.DBBytes)
	require.NotEmpty(t, r.Machine.CPU)
	require.Positive(t, r.Machine.Cores)
	require.NotEmpty(t, r.Machine.Go)
	require.Regexp(t, `^3\.\d+\.\d+$`, r.Machine.SQLite)
	require.Equal(t, cfg.DB, r.Config.DB)
	require.FileExists(t, cfg.DB, "a named database is kept")
	require.NotNil(t, r.Series)
	require.NotEmpty(t, r.Series.Completions)
	require.LessOrEqual(t, len(r.Series.Completions), r.Jobs, "events may be missed, never invented")
	require.True(t, slices.IsSorted(r.Series.Completions))
	require.Nil(t, r.Config.Progress)
	checkJSON(t, r)
	var table bytes.Buffer
	require.NoError(t, r.WriteTable(&table))
	require.Contains(t, table.String(), "jobs_per_sec")
	return r
}

// checkJSON checks that the report's JSON has every field scripts read.
func checkJSON(t *testing.T, r *bench.Report) {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"scenario", "jobs", "seconds", "jobs_per_sec", "insert_per_sec", "peak_rss_bytes",
		"db_bytes", "sync", "workers", "machine", "config"} {
		require.Contains(t, m, k)
	}
	var machine map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(m["machine"], &machine))
	for _, k := range []string{"cpu", "cores", "go", "sqlite"} {
		require.Contains(t, machine, k)
	}
	var back bench.Report
	require.NoError(t, json.Unmarshal(b, &back))
	want := *r
	want.Series = nil // not part of the JSON form
	require.Equal(t, want, back)
	require.NotContains(t, string(b), "Completions")
}

// checkPercentiles checks that a latency summary is present and ordered.
func checkPercentiles(t *testing.T, p *bench.Percentiles) {
	t.Helper()
	require.NotNil(t, p)
	require.GreaterOrEqual(t, p.P50, 0.0)
	require.LessOrEqual(t, p.P50, p.P95)
	require.LessOrEqual(t, p.P95, p.P99)
	require.LessOrEqual(t, p.P99, p.Max)
}

// fileStats reads the job counts of a gigq database file.
func fileStats(t *testing.T, path string) gigq.Stats {
	t.Helper()
	n, err := gigq.Open(context.Background(), gigq.Config{Path: path, ClientOnly: true, WatchInterval: -1})
	require.NoError(t, err)
	defer func() { require.NoError(t, n.Close(context.Background())) }()
	st, err := n.Stats(context.Background())
	require.NoError(t, err)
	return st
}

func TestBurndown(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "burndown", bench.Config{Jobs: 200, Workers: 3, Submitters: 5})
	require.Equal(t, 200, r.Jobs)
	require.Equal(t, 3, r.Workers)
	require.Equal(t, 5, r.Config.Submitters)
	require.Equal(t, "normal", r.Sync)
	require.Nil(t, r.LatencyMs)
	require.Nil(t, r.ReleaseMs)
	require.Equal(t, gigq.Stats{Completed: 200, Total: 200}, fileStats(t, r.Config.DB))
	require.Len(t, r.Series.Completions, 200, "no event is missed at this size")
	require.Empty(t, r.Series.Latencies)
	require.Empty(t, r.Series.LatencyName)
}

func TestChain(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "chain", bench.Config{Steps: 20, Sync: "full"})
	require.Equal(t, 20, r.Jobs)
	require.Equal(t, bench.DefaultWorkers, r.Workers)
	require.Equal(t, "full", r.Sync)
	checkPercentiles(t, r.ReleaseMs)
	require.Nil(t, r.LatencyMs)
	require.Equal(t, gigq.Stats{Completed: 20, Total: 20}, fileStats(t, r.Config.DB))
	require.Len(t, r.Series.Completions, 20)
	require.Len(t, r.Series.Latencies, 19, "one release per edge")
	require.Equal(t, "release_ms", r.Series.LatencyName)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	var rel map[string]float64
	require.NoError(t, json.Unmarshal(raw["release_ms"], &rel))
	require.Len(t, rel, 4)
	for _, k := range []string{"p50", "p95", "p99", "max"} {
		require.Contains(t, rel, k)
	}
	require.NotContains(t, raw, "latency_ms")
}

func TestCeiling(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "ceiling", bench.Config{Jobs: 500})
	require.Equal(t, 500, r.Jobs)
	require.Equal(t, 1, r.Workers, "one connection")
	require.Nil(t, r.ReleaseMs)
	require.Nil(t, r.LatencyMs)
}

func TestFanout(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "fanout", bench.Config{Width: 20, Workers: 3})
	require.Equal(t, 22, r.Jobs, "a root, 20, a sink")
	checkPercentiles(t, r.ReleaseMs)
	require.Nil(t, r.LatencyMs)
	require.Zero(t, r.Queued)
	require.Equal(t, 20, r.Config.Width)
	require.Equal(t, gigq.Stats{Completed: 22, Total: 22}, fileStats(t, r.Config.DB))
}

func TestDiamond(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "diamond", bench.Config{Layers: 3, Width: 3})
	require.Equal(t, 9, r.Jobs)
	checkPercentiles(t, r.ReleaseMs)
	require.Nil(t, r.LatencyMs)
	require.Equal(t, gigq.Stats{Completed: 9, Total: 9}, fileStats(t, r.Config.DB))
}

func TestDepth(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "depth", bench.Config{Queued: 300, Jobs: 100, Workers: 2})
	require.Equal(t, 100, r.Jobs)
	require.Equal(t, 300, r.Queued)
	require.Nil(t, r.ReleaseMs)
	require.Nil(t, r.LatencyMs)
	st := fileStats(t, r.Config.DB)
	require.Equal(t, 400, st.Total)
	require.GreaterOrEqual(t, st.Completed, 100, "the measured jobs, and maybe queued ones the workers took up")

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	require.JSONEq(t, `300`, string(raw["queued"]))
}

func TestSteady(t *testing.T) {
	t.Parallel()
	r := runScenario(t, "steady", bench.Config{Rate: 200, Duration: time.Second})
	require.LessOrEqual(t, r.Jobs, 210, "at most rate × duration (and a tick)")
	checkPercentiles(t, r.LatencyMs)
	require.Nil(t, r.ReleaseMs)
	require.Zero(t, r.Queued)
	require.Equal(t, gigq.Stats{Completed: r.Jobs, Total: r.Jobs}, fileStats(t, r.Config.DB))
	require.Len(t, r.Series.Latencies, r.Jobs)
	require.Equal(t, "latency_ms", r.Series.LatencyName)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	require.Contains(t, raw, "latency_ms")
	require.NotContains(t, raw, "release_ms")
	require.NotContains(t, raw, "queued")
}

func TestAllPlan(t *testing.T) {
	t.Parallel()
	plan := bench.AllPlan(3, "full")
	var names []string
	for _, p := range plan {
		names = append(names, p.Scenario)
		require.NoError(t, bench.Validate(p.Scenario, p.Config), p.Scenario)
		require.Equal(t, "full", p.Config.Sync)
		require.Empty(t, p.Config.DB)
	}
	require.Equal(t, []string{"burndown", "chain", "fanout", "depth", "steady", "ceiling"}, names)
	require.Equal(t, 3, plan[0].Config.Workers)
	require.Zero(t, plan[len(plan)-1].Config.Workers, "ceiling takes no workers")
}

func TestRunAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plan := []bench.Planned{
		{Scenario: "burndown", Config: bench.Config{Jobs: 20}},
		{Scenario: "fanout", Config: bench.Config{Width: 5}},
		{Scenario: "steady", Config: bench.Config{Rate: 50, Duration: time.Second}},
		{Scenario: "ceiling", Config: bench.Config{Jobs: 20}},
	}
	for i := range plan {
		plan[i].Config.DB = filepath.Join(dir, plan[i].Scenario+".db")
	}
	reports, err := bench.RunAll(context.Background(), plan)
	require.NoError(t, err)
	require.Len(t, reports, len(plan))
	for i, r := range reports {
		require.Equal(t, plan[i].Scenario, r.Scenario)
		require.Equal(t, r.Jobs, r.Completed)
		checkJSON(t, r)
	}

	bad := []bench.Planned{{Scenario: "burndown", Config: bench.Config{Jobs: 10}}, {Scenario: "chain"}}
	_, err = bench.RunAll(context.Background(), bad)
	require.ErrorContains(t, err, "steps must be from 2", "validated before anything runs")
}

// TestTemporaryDatabaseIsRemoved is not parallel: it points TMPDIR at a
// directory of its own (t.Setenv), which a parallel test may not.
func TestTemporaryDatabaseIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r, err := bench.Run(context.Background(), "burndown", bench.Config{Jobs: 10})
	require.NoError(t, err)
	require.Equal(t, 10, r.Completed)
	require.Empty(t, r.Config.DB)
	require.Positive(t, r.DBBytes, "measured before removal")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	existing := filepath.Join(t.TempDir(), "there.db")
	require.NoError(t, os.WriteFile(existing, nil, 0o600))
	for _, tc := range []struct {
		scenario string
		cfg      bench.Config
		want     string
	}{
		{"burndown", bench.Config{Jobs: 0}, "jobs must be from 1 to 10000000 (got 0)"},
		{"ceiling", bench.Config{Jobs: -5}, "jobs must be from 1 to 10000000 (got -5)"},
		{"ceiling", bench.Config{Jobs: bench.MaxJobs + 1}, "(got 10000001)"},
		{"chain", bench.Config{Steps: 1}, "steps must be from 2 to 100000 (got 1)"},
		{"chain", bench.Config{Steps: 10, Jobs: 10}, "chain does not take jobs"},
		{"burndown", bench.Config{Jobs: 10, Steps: 10}, "burndown does not take steps"},
		{"ceiling", bench.Config{Jobs: 10, Workers: 2}, "ceiling does not take workers"},
		{"burndown", bench.Config{Jobs: 10, Workers: -1}, "workers must be from 1 to 1024 (got -1)"},
		{"burndown", bench.Config{Jobs: 10, Submitters: 2000}, "submitters must be from 1 to 1024 (got 2000)"},
		{"chain", bench.Config{Steps: 10, Submitters: 8}, "chain does not take submitters"},
		{"burndown", bench.Config{Jobs: 10, Sync: "maybe"}, `sync must be normal or full (got "maybe")`},
		{"burndown", bench.Config{Jobs: 10, DB: existing}, "already exists"},
		{"fanout", bench.Config{Width: 0}, "width must be from 1 to 100000 (got 0)"},
		{"fanout", bench.Config{Width: 10, Layers: 2}, "fanout does not take layers"},
		{"diamond", bench.Config{Layers: 3, Width: 1001}, "width must be from 1 to 1000 (got 1001)"},
		{"diamond", bench.Config{Layers: 1, Width: 10}, "layers must be from 2 to 10000000 (got 1)"},
		{"diamond", bench.Config{Layers: 20_000, Width: 1000}, "layers×width must be at most 10000000 (got 20000000)"},
		{"diamond", bench.Config{Layers: 100, Width: 1000}, "dependencies must be at most 10000000 (got 99000000)"},
		{"depth", bench.Config{Jobs: 10, Queued: -1}, "queued must be from 0 to 10000000 (got -1)"},
		{"burndown", bench.Config{Jobs: 10, Queued: 5}, "burndown does not take queued"},
		{"steady", bench.Config{Rate: 0, Duration: time.Second}, "rate must be from 1 to 100000 (got 0)"},
		{"steady", bench.Config{Rate: 10, Duration: time.Millisecond}, "duration must be from 1s to 1h0m0s (got 1ms)"},
		{"chain", bench.Config{Steps: 10, Duration: time.Second}, "chain does not take duration (got 1s)"},
		{"remote", bench.Config{Jobs: 10, LatencyJobs: 0}, "latency-jobs must be from 1 to 10000000 (got 0)"},
		{"remote", bench.Config{Jobs: 10, LatencyJobs: 5, Concurrency: -2}, "concurrency must be from 1 to 1024 (got -2)"},
		{"remote", bench.Config{Jobs: 10, LatencyJobs: 5, Workers: 4}, "remote does not take workers (got 4)"},
		{"burndown", bench.Config{Jobs: 10, Concurrency: 4}, "burndown does not take concurrency (got 4)"},
		{"steady", bench.Config{Rate: 10, Duration: time.Second, LatencyJobs: 4}, "steady does not take latency-jobs (got 4)"},
		{"all", bench.Config{}, `unknown scenario "all": use one of burndown, chain, fanout, diamond, depth, steady, remote, ceiling`},
	} {
		err := bench.Validate(tc.scenario, tc.cfg)
		require.ErrorContains(t, err, tc.want, "%s %+v", tc.scenario, tc.cfg)
		_, err = bench.Run(context.Background(), tc.scenario, tc.cfg)
		require.ErrorContains(t, err, tc.want, "Run validates too")
	}
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	require.Empty(t, data, "an existing file is left alone")
	require.NoError(t, bench.Validate("burndown", bench.Config{Jobs: 1}))
}
