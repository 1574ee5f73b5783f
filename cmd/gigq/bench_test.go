package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchFields are the top-level fields every "gigq bench --json" report
// has.
var benchFields = []string{"scenario", "jobs", "completed", "seconds", "jobs_per_sec", "insert_per_sec",
	"peak_rss_bytes", "db_bytes", "sync", "workers", "machine", "config"}

func TestBenchBurndownJSON(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "bench", "burndown", "--jobs", "100", "--json")
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), r.stdout)
	for _, k := range benchFields {
		require.Contains(t, m, k)
	}
	require.JSONEq(t, `"burndown"`, string(m["scenario"]))
	require.JSONEq(t, `100`, string(m["jobs"]))
	require.JSONEq(t, `100`, string(m["completed"]))
	require.JSONEq(t, `32`, string(m["workers"]))
	require.JSONEq(t, `"normal"`, string(m["sync"]))
	require.JSONEq(t, `{"db":"","jobs":100,"workers":32,"submitters":64,"sync":"normal"}`, string(m["config"]))
	var machine map[string]any
	require.NoError(t, json.Unmarshal(m["machine"], &machine))
	require.Len(t, machine, 4)
	for _, k := range []string{"cpu", "cores", "go", "sqlite"} {
		require.Contains(t, machine, k)
	}
}

func TestBenchFanoutJSON(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "bench", "fanout", "--width", "10", "--workers", "2", "--json")
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), r.stdout)
	for _, k := range append(benchFields, "release_ms") {
		require.Contains(t, m, k)
	}
	require.NotContains(t, m, "latency_ms")
	require.NotContains(t, m, "queued")
	require.JSONEq(t, `"fanout"`, string(m["scenario"]))
	require.JSONEq(t, `12`, string(m["jobs"]))
	require.JSONEq(t, `12`, string(m["completed"]))
	require.JSONEq(t, `{"db":"","width":10,"workers":2,"sync":"normal"}`, string(m["config"]))
}

func TestBenchRemoteJSON(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "bench", "remote", "--jobs", "40", "--latency-jobs", "10", "--concurrency", "2", "--json")
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), r.stdout)
	for _, k := range append(benchFields, "latency_ms", "remote") {
		require.Contains(t, m, k)
	}
	require.JSONEq(t, `"remote"`, string(m["scenario"]))
	require.JSONEq(t, `40`, string(m["jobs"]))
	require.JSONEq(t, `40`, string(m["completed"]))
	require.JSONEq(t, `2`, string(m["workers"]))
	require.JSONEq(t, `{"db":"","jobs":40,"latency_jobs":10,"concurrency":2,"submitters":64,"sync":"normal"}`,
		string(m["config"]))
	type variant struct {
		Slots      int             `json:"slots"`
		JobsPerSec float64         `json:"jobs_per_sec"`
		NodeJobs   []int           `json:"node_jobs"`
		LatencyMs  json.RawMessage `json:"latency_ms"`
	}
	var remote struct {
		Local          variant  `json:"local"`
		OneNode        variant  `json:"one_node"`
		TwoNodes       variant  `json:"two_nodes"`
		LatencyJobs    int      `json:"latency_jobs"`
		AddedLatencyMs *float64 `json:"added_latency_ms"`
	}
	require.NoError(t, json.Unmarshal(m["remote"], &remote))
	require.Equal(t, 10, remote.LatencyJobs)
	require.NotNil(t, remote.AddedLatencyMs)
	require.Equal(t, []int{2, 2, 4}, []int{remote.Local.Slots, remote.OneNode.Slots, remote.TwoNodes.Slots})
	for _, v := range []float64{remote.Local.JobsPerSec, remote.OneNode.JobsPerSec, remote.TwoNodes.JobsPerSec} {
		require.Positive(t, v)
	}
	require.Equal(t, []int{40}, remote.OneNode.NodeJobs)
	require.Len(t, remote.TwoNodes.NodeJobs, 2)
	require.NotEmpty(t, remote.Local.LatencyMs)
	require.NotEmpty(t, remote.OneNode.LatencyMs)
	require.Empty(t, remote.TwoNodes.LatencyMs)

	r = runCLI(t, "bench", "remote", "--jobs", "10", "--latency-jobs", "3", "--concurrency", "1")
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	for _, want := range []string{"remote", "jobs_per_sec", "one_node", "two_nodes", "added_latency_ms", "latency_ms"} {
		require.Contains(t, r.stdout, want)
	}
	requireNoProgress(t, r)
}

func TestBenchKeepsNamedDatabase(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := runCLI(t, "bench", "chain", "--steps", "10", "--workers", "2", "--sync", "full", "--db", db)
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	for _, want := range []string{"chain", "release_ms", "p99", "full"} {
		require.Contains(t, r.stdout, want)
	}
	require.Equal(t, 10, stats(t, db).Completed)
}

func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	existing := filepath.Join(t.TempDir(), "existing.db")
	require.NoError(t, os.WriteFile(existing, []byte("keep me"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "burndown", "--jobs", "0"}, "jobs must be from 1 to 10000000 (got 0)"},
		{[]string{"bench", "ceiling", "--jobs", "20000000"}, "jobs must be from 1 to 10000000 (got 20000000)"},
		{[]string{"bench", "chain", "--steps", "1"}, "steps must be from 2 to 100000 (got 1)"},
		{[]string{"bench", "burndown", "--sync", "maybe"}, `sync must be normal or full (got "maybe")`},
		{[]string{"bench", "burndown", "--workers", "0"}, "invalid --workers 0: use 1 to 1024"},
		{[]string{"bench", "chain", "--workers", "-3"}, "workers must be from 1 to 1024 (got -3)"},
		{[]string{"bench", "burndown", "--steps", "5"}, "burndown does not take steps"},
		{[]string{"bench", "ceiling", "--workers", "2"}, "ceiling does not take workers"},
		{[]string{"bench", "rush"}, `unknown scenario "rush": use one of burndown, chain, fanout, diamond, depth, steady, remote, ceiling`},
		{[]string{"bench"}, "bench takes a scenario: burndown, chain, fanout, diamond, depth, steady, remote, ceiling, all (got 0)"},
		{[]string{"bench", "remote", "--latency-jobs", "0"}, "latency-jobs must be from 1 to 10000000 (got 0)"},
		{[]string{"bench", "remote", "--concurrency", "0"}, "invalid --concurrency 0: use 1 to 1024"},
		{[]string{"bench", "remote", "--concurrency", "2000"}, "concurrency must be from 1 to 1024 (got 2000)"},
		{[]string{"bench", "remote", "--workers", "4"}, "remote does not take workers (got 4)"},
		{[]string{"bench", "burndown", "--concurrency", "4"}, "burndown does not take concurrency (got 4)"},
		{[]string{"bench", "all", "--latency-jobs", "5"}, "all does not take --latency-jobs"},
		{[]string{"bench", "fanout", "--width", "0"}, "width must be from 1 to 100000 (got 0)"},
		{[]string{"bench", "diamond", "--width", "2000"}, "width must be from 1 to 1000 (got 2000)"},
		{[]string{"bench", "burndown", "--width", "5"}, "burndown does not take width"},
		{[]string{"bench", "chain", "--layers", "5"}, "chain does not take layers"},
		{[]string{"bench", "steady", "--queued", "5"}, "steady does not take queued"},
		{[]string{"bench", "depth", "--rate", "5"}, "depth does not take rate"},
		{[]string{"bench", "steady", "--duration", "10ms"}, "duration must be from 1s to 1h0m0s (got 10ms)"},
		{[]string{"bench", "fanout", "--duration", "2s"}, "fanout does not take duration (got 2s)"},
		{[]string{"bench", "steady", "--rate", "0"}, "rate must be from 1 to 100000 (got 0)"},
		{[]string{"bench", "all", "--jobs", "5"}, "all does not take --jobs"},
		{[]string{"bench", "all", "--db", existing}, "all does not take --db"},
		{[]string{"bench", "all", "--workers", "0"}, "invalid --workers 0"},
		{[]string{"bench", "burndown", "--jobs", "many"}, `invalid argument "many" for "--jobs"`},
		{[]string{"bench", "burndown", "--db", existing}, "already exists"},
		{[]string{"bench", "burndown", "--plot", "out.pdf"}, `invalid --plot: bench: plot file "out.pdf": its name must end in .svg or .png`},
		{[]string{"bench", "chain", "--plot", "plot"}, "its name must end in .svg or .png"},
		{[]string{"bench", "all", "--plot", "out.gif"}, "its name must end in .svg or .png"},
	} {
		r := runCLI(t, tc.args...)
		require.Equal(t, exitUsage, r.code, "%v: stdout %q stderr %q", tc.args, r.stdout, r.stderr)
		require.Contains(t, r.stderr, tc.want, "%v", tc.args)
		require.Empty(t, r.stdout, "%v", tc.args)
	}
	data, err := os.ReadFile(existing)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(data), "the existing file is left alone")
}

func TestBenchPlot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svg, png := filepath.Join(dir, "burndown.svg"), filepath.Join(dir, "chain.png")

	r := runCLI(t, "bench", "burndown", "--jobs", "50", "--plot", svg)
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "jobs_per_sec", "the table, as without --plot")
	requireNoProgress(t, r)
	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("<?xml")) || bytes.HasPrefix(data, []byte("<svg")), "%.100q", data)

	r = runCLI(t, "bench", "chain", "--steps", "5", "--json", "--plot", png)
	require.Equal(t, exitOK, r.code, "stdout %q stderr %q", r.stdout, r.stderr)
	requireNoProgress(t, r)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m), "the report still parses: %s", r.stdout)
	require.JSONEq(t, `"chain"`, string(m["scenario"]))
	require.Contains(t, m, "release_ms")
	data, err = os.ReadFile(png)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), "%.20q", data)

	r = runCLI(t, "bench", "fanout", "--width", "3", "--plot", filepath.Join(dir, "missing", "fanout.svg"))
	require.Equal(t, exitRuntime, r.code, "a plot that cannot be written fails the command")
	require.Contains(t, r.stdout, "jobs_per_sec", "after the report is printed")
}

// requireNoProgress checks that a run whose stderr is not a terminal drew
// no progress bar: no carriage return or escape code anywhere.
func requireNoProgress(t *testing.T, r result) {
	t.Helper()
	for _, out := range []string{r.stdout, r.stderr} {
		require.False(t, strings.ContainsAny(out, "\r\x1b"), "%q", out)
	}
	require.Empty(t, r.stderr)
}

func TestBenchScenarioPlotPath(t *testing.T) {
	t.Parallel()
	require.Equal(t, "out/bench-burndown.svg", scenarioPlotPath("out/bench.svg", "burndown"))
	require.Equal(t, "b.v2-steady.PNG", scenarioPlotPath("b.v2.PNG", "steady"))
}
