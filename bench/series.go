package bench

import (
	"slices"
	"time"
)

// Series are the samples behind a report's figures, kept for plots
// (WritePlot); they are not part of its JSON form.
type Series struct {
	// Completions are when the measured jobs completed (each its
	// completed_at, as stamped by the commit), as offsets from the start
	// of the measured run (see Report.Seconds), sorted. It may hold fewer
	// than Report.Jobs: a node drops events its channel has no room for.
	Completions []time.Duration
	// Latencies are the samples LatencyName summarises: LatencyMs's, else
	// ReleaseMs's; nil when the scenario measures neither.
	Latencies []time.Duration
	// LatencyName is "latency_ms", "release_ms", or "" for none.
	LatencyName string
}

// completions records when jobs completed, relative to a start, and
// counts each as a step of a progress phase.
type completions struct {
	start    time.Time
	at       []time.Duration
	progress Progress
}

// newCompletions returns a record of about n completions after start
// (a size hint), each told to progress.
func newCompletions(start time.Time, n int, progress Progress) *completions {
	return &completions{start: start, at: make([]time.Duration, 0, min(n, 1<<20)), progress: progress}
}

// add records a completion at t.
func (c *completions) add(t time.Time) {
	c.at = append(c.at, t.Sub(c.start))
	c.progress.Add(1)
}

// sorted returns the completions recorded, in time order.
func (c *completions) sorted() []time.Duration {
	slices.Sort(c.at)
	return c.at
}
