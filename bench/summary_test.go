package bench_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/bench"
)

func TestWriteSummary(t *testing.T) {
	t.Parallel()
	machine := bench.Machine{CPU: "Test CPU", Cores: 2, Go: "go1.26", SQLite: "3.49.2"}
	reports := []*bench.Report{
		{Scenario: "burndown", Jobs: 1000, Seconds: 0.5, JobsPerSec: 2000, InsertPerSec: 9000, PeakRSSBytes: 3 << 20,
			DBBytes: 1 << 20, Sync: "normal", Workers: 4, Machine: machine},
		{Scenario: "chain", Jobs: 10, Seconds: 0.01, JobsPerSec: 1000, InsertPerSec: 500,
			ReleaseMs: &bench.Percentiles{P50: 0.25, P95: 0.5, P99: 1.5, Max: 2}, Machine: machine},
		{Scenario: "steady", Jobs: 100, LatencyMs: &bench.Percentiles{P50: 0.75, P99: 3.125}, Machine: machine},
	}
	var out bytes.Buffer
	require.NoError(t, bench.WriteSummary(&out, reports))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 5, out.String())
	require.Equal(t, []string{"scenario", "jobs", "seconds", "jobs/s", "insert/s", "latency", "ms", "p50/p99", "release",
		"ms", "p50/p99", "rss", "MiB", "db", "MiB"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"burndown", "1000", "0.500", "2000", "9000", "-", "-", "3.0", "1.0"},
		strings.Fields(lines[1]))
	require.Equal(t, []string{"chain", "10", "0.010", "1000", "500", "-", "0.250/1.500", "0.0", "0.0"},
		strings.Fields(lines[2]))
	require.Equal(t, []string{"steady", "100", "0.000", "0", "0", "0.750/3.125", "-", "0.0", "0.0"},
		strings.Fields(lines[3]))
	require.Equal(t, strings.Index(lines[0], "scenario"), strings.Index(lines[2], "chain"), "scenarios are left-aligned")
	require.Equal(t, "sync normal, 4 workers; Test CPU, 2 cores, go1.26, SQLite 3.49.2", lines[4])

	out.Reset()
	require.NoError(t, bench.WriteSummary(&out, nil))
	require.Equal(t, 1, strings.Count(out.String(), "\n"), "only the header")
}
