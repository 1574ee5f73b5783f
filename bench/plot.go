package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plotFormats are the canvases WritePlot draws on, by file extension.
var plotFormats = map[string]func(w, h vg.Length) vg.CanvasWriterTo{
	".svg": func(w, h vg.Length) vg.CanvasWriterTo { return vgsvg.New(w, h) },
	".png": func(w, h vg.Length) vg.CanvasWriterTo { return vgimg.PngCanvas{Canvas: vgimg.New(w, h)} },
}

// PlotFormats are the file extensions WritePlot draws: ".svg" and
// ".png" (in any case).
func PlotFormats() []string { return []string{".svg", ".png"} }

// CheckPlotPath reports an error unless path ends in one of PlotFormats.
func CheckPlotPath(path string) error {
	if _, ok := plotFormats[strings.ToLower(filepath.Ext(path))]; !ok {
		return fmt.Errorf("bench: plot file %q: its name must end in %s", path, strings.Join(PlotFormats(), " or "))
	}
	return nil
}

// Plot sizes: each panel is panelWidth × panelHeight.
const (
	panelWidth  = 8 * vg.Inch
	panelHeight = 3.5 * vg.Inch
	// latencyBins is how many bars the latency histogram has.
	latencyBins = 50
)

// WritePlot draws the report to the file at path (created or replaced),
// SVG or PNG by its extension (see CheckPlotPath): a panel of throughput
// over time (the completions of Series.Completions per time bucket, as
// jobs/s, in 80 to 200 buckets) and, where the scenario measures
// latency_ms or release_ms, a panel of their histogram up to their p99.
// It fails for a report without Series (one read back from JSON).
func (r *Report) WritePlot(path string) (err error) {
	if err := CheckPlotPath(path); err != nil {
		return err
	}
	if r.Series == nil {
		return errors.New("bench: plot: the report has no series (only Run's reports do)")
	}
	panels := [][]*plot.Plot{{r.throughputPlot()}}
	if len(r.Series.Latencies) > 0 {
		p, err := r.latencyPlot()
		if err != nil {
			return fmt.Errorf("bench: plot: %w", err)
		}
		panels = append(panels, []*plot.Plot{p})
	}
	height := panelHeight * vg.Length(len(panels))
	c := plotFormats[strings.ToLower(filepath.Ext(path))](panelWidth, height)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4, PadY: vg.Millimeter * 6}
	dc := draw.New(c)
	for i, row := range plot.Align(panels, tiles, dc) {
		panels[i][0].Draw(row[0])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("bench: plot: %w", cerr)
		}
	}()
	if _, err := c.WriteTo(f); err != nil {
		return fmt.Errorf("bench: plot: %w", err)
	}
	return nil
}

// throughputPlot draws the completions per bucket, as jobs/s, over time.
func (r *Report) throughputPlot() *plot.Plot {
	done := r.Series.Completions
	var span time.Duration
	if len(done) > 0 {
		span = done[len(done)-1]
	}
	width := bucketWidth(span)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d jobs in %.3fs, %.0f jobs/s", r.Scenario, r.Jobs, r.Seconds, r.JobsPerSec)
	p.X.Label.Text = "seconds from the start"
	p.Y.Label.Text = fmt.Sprintf("jobs/s (completions per %s)", width)
	p.Y.Min = 0
	p.Y.Tick.Marker = plainTicks{}
	if len(done) == 0 {
		return p
	}
	counts := make([]int, int(span/width)+1)
	for _, d := range done {
		counts[max(int(d/width), 0)]++ // (a completion stamped before the start counts in the first)
	}
	pts := make(plotter.XYs, len(counts)+1)
	for i, n := range counts {
		pts[i] = plotter.XY{X: (time.Duration(i) * width).Seconds(), Y: float64(n) / width.Seconds()}
	}
	pts[len(counts)] = plotter.XY{X: (time.Duration(len(counts)) * width).Seconds(), Y: pts[len(counts)-1].Y}
	line, err := plotter.NewLine(pts)
	if err != nil { // only for NaN or Inf, which counts cannot give
		panic(err)
	}
	line.StepStyle = plotter.PostStep
	p.Add(line, plotter.NewGrid())
	return p
}

// bucketWidth is the width of the time buckets that split span into 80
// to 200 of them: a 1, 2 or 5 times a power of ten, at least 1µs.
func bucketWidth(span time.Duration) time.Duration {
	target := span / 200
	for unit := time.Microsecond; ; unit *= 10 {
		for _, k := range []time.Duration{1, 2, 5} {
			if w := k * unit; w >= target {
				return w
			}
		}
	}
}

// latencyPlot draws the histogram of the latency samples up to their p99.
func (r *Report) latencyPlot() (*plot.Plot, error) {
	samples := slices.Clone(r.Series.Latencies)
	pc := percentiles(samples) // sorts samples
	values := make(plotter.Values, 0, len(samples))
	for _, d := range samples {
		if v := ms(d); v <= pc.P99 {
			values = append(values, v)
		}
	}
	h, err := plotter.NewHist(values, latencyBins)
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s, %d samples (p50 %.3f, p99 %.3f, max %.3f; shown up to p99)",
		r.Scenario, r.Series.LatencyName, len(samples), pc.P50, pc.P99, pc.Max)
	p.X.Label.Text = "ms"
	p.Y.Label.Text = "jobs"
	p.Y.Tick.Marker = plainTicks{}
	p.Add(h, plotter.NewGrid())
	return p, nil
}

// plainTicks are gonum's default ticks, labelled without trailing zeros
// ("7500", not "7500.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}
