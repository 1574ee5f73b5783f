package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteSummary writes reports as one aligned table for people, a row
// each: scenario, jobs, seconds, jobs/s, insert/s, latency_ms and
// release_ms as "p50/p99" ("-" where not measured), peak RSS and database
// size in MiB; then a line of the first report's sync, workers and
// machine. It is what "gigq bench all" prints.
func WriteSummary(w io.Writer, reports []*Report) error {
	width := len("scenario")
	for _, r := range reports {
		width = max(width, len(r.Scenario))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tjobs\tseconds\tjobs/s\tinsert/s\tlatency ms p50/p99\trelease ms p50/p99\trss MiB\tdb MiB\t\n",
		width, "scenario")
	for _, r := range reports {
		fmt.Fprintf(tw, "%-*s\t%d\t%.3f\t%.0f\t%.0f\t%s\t%s\t%.1f\t%.1f\t\n", width, r.Scenario, r.Jobs, r.Seconds,
			r.JobsPerSec, r.InsertPerSec, p50p99(r.LatencyMs), p50p99(r.ReleaseMs), mib(r.PeakRSSBytes), mib(r.DBBytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(reports) == 0 {
		return nil
	}
	r := reports[0]
	_, err := fmt.Fprintf(w, "sync %s, %d workers; %s\n", r.Sync, r.Workers, r.Machine)
	return err
}

// p50p99 formats a summary's p50 and p99 as "p50/p99", "-" for none.
func p50p99(p *Percentiles) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f/%.3f", p.P50, p.P99)
}

// mib is bytes in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
