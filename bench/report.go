package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// Report is one scenario's result. Its JSON form is what "gigq bench
// --json" prints; the fields scripts read are stable.
type Report struct {
	Scenario string `json:"scenario"`
	// Jobs is how many jobs the scenario ran (a chain's steps).
	Jobs int `json:"jobs"`
	// Completed is how many of them the database holds as completed at
	// the end (read back from it, not counted by the harness).
	Completed int `json:"completed"`
	// Seconds is the measured run: burndown's and depth's work phase (Open
	// until the last completion of the jobs measured), a workflow's submit
	// until its last completion, steady's first submit until the last
	// completion, ceiling's whole insert, claim and complete cycle.
	Seconds float64 `json:"seconds"`
	// JobsPerSec is Jobs / Seconds.
	JobsPerSec float64 `json:"jobs_per_sec"`
	// InsertSeconds is how long writing the jobs took (a workflow: its one
	// Submit; depth: its Jobs, not the queued ones; steady: the submit
	// phase, so InsertPerSec is the submit rate achieved); InsertPerSec is
	// Jobs / InsertSeconds.
	InsertSeconds float64 `json:"insert_seconds"`
	InsertPerSec  float64 `json:"insert_per_sec"`
	// LatencyMs is submit → completed per job, where measured (remote:
	// of its sequential jobs through one worker node).
	LatencyMs *Percentiles `json:"latency_ms,omitempty"`
	// ReleaseMs is a parent's completion → its child's start, where
	// measured.
	ReleaseMs *Percentiles `json:"release_ms,omitempty"`
	// Queued is how many jobs depth left queued behind the ones it
	// measured (omitted elsewhere).
	Queued int `json:"queued,omitempty"`
	// PeakRSSBytes is the peak resident set size of the measured run: on
	// Linux from the start of the work phase (burndown, depth: the node
	// that works the jobs, with every job queued; the others: the whole
	// scenario), elsewhere the process's peak so far.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// DBBytes is the database file plus its -wal file at the end.
	DBBytes int64  `json:"db_bytes"`
	Sync    string `json:"sync"`
	// Workers is how many workers the node ran (remote: how many slots
	// each worker node had).
	Workers int     `json:"workers"`
	Machine Machine `json:"machine"`
	Config  Config  `json:"config"`
	// Remote is every variant remote measured (omitted elsewhere); the
	// standard fields above are its two-node run's.
	Remote *RemoteReport `json:"remote,omitempty"`
	// Series are the samples behind the figures, for WritePlot: set by
	// Run, not part of the JSON form (nil in a report read back from it).
	Series *Series `json:"-"`
}

// Percentiles summarise latencies, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// percentiles summarises d (nearest rank); d is sorted in place. It
// returns nil for no samples.
func percentiles(d []time.Duration) *Percentiles {
	if len(d) == 0 {
		return nil
	}
	slices.Sort(d)
	rank := func(p float64) float64 {
		i := max(int(math.Ceil(p*float64(len(d))))-1, 0)
		return ms(d[i])
	}
	return &Percentiles{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// perSec is n per second of sec seconds, 0 for no time.
func perSec(n int, sec float64) float64 {
	if sec <= 0 {
		return 0
	}
	return float64(n) / sec
}

// WriteTable writes the report as an aligned table for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("scenario", "%s", r.Scenario)
	row("jobs", "%d (%d completed)", r.Jobs, r.Completed)
	row("seconds", "%.3f", r.Seconds)
	row("jobs_per_sec", "%.0f", r.JobsPerSec)
	row("insert_per_sec", "%.0f (%.3fs)", r.InsertPerSec, r.InsertSeconds)
	if r.Queued > 0 {
		row("queued", "%d", r.Queued)
	}
	for _, p := range []struct {
		name string
		p    *Percentiles
	}{{"latency_ms", r.LatencyMs}, {"release_ms", r.ReleaseMs}} {
		if p.p != nil {
			row(p.name, "p50 %.3f  p95 %.3f  p99 %.3f  max %.3f", p.p.P50, p.p.P95, p.p.P99, p.p.Max)
		}
	}
	if rr := r.Remote; rr != nil {
		rr.writeRows(row)
	}
	row("peak_rss", "%.1f MiB", mib(r.PeakRSSBytes))
	row("db_size", "%.1f MiB", mib(r.DBBytes))
	row("sync", "%s", r.Sync)
	row("workers", "%d", r.Workers)
	row("machine", "%s", r.Machine)
	db := r.Config.DB
	if db == "" {
		db = "(temporary file, removed)"
	}
	row("db", "%s", db)
	return tw.Flush()
}
