package bench

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is told how a scenario's long phases advance: inserting its
// jobs, working them, steady's paced submits, ceiling's two loops. "gigq
// bench" shows it as a progress bar when stderr is a terminal
// (NewProgressBar). Its methods may be called from several goroutines at
// once (Add from every submitter).
type Progress interface {
	// Start begins a phase of total steps (jobs, or submits), described
	// by what ("insert", "work", ...); it ends the phase before, if any.
	Start(what string, total int)
	// Add counts n more steps of the current phase done.
	Add(n int)
	// Finish ends the current phase, if any, and erases what it showed.
	// Run calls it before it returns, on success or error.
	Finish()
}

// progress is the Progress a scenario reports to: Config.Progress, or one
// that does nothing.
func (c Config) progress() Progress {
	if c.Progress == nil {
		return noProgress{}
	}
	return c.Progress
}

// named is a Progress whose phases are named after the scenario too
// ("burndown: insert").
type named struct {
	Progress
	scenario string
}

func (n named) Start(what string, total int) { n.Progress.Start(n.scenario+": "+what, total) }

// noProgress is the Progress of a Config without one.
type noProgress struct{}

func (noProgress) Start(string, int) {}
func (noProgress) Add(int)           {}
func (noProgress) Finish()           {}

// barThrottle is how often a progress bar redraws at most.
const barThrottle = 100 * time.Millisecond

// progressBar is a Progress drawn by schollz/progressbar, one bar per
// phase.
type progressBar struct {
	w   io.Writer
	mu  sync.Mutex // guards bar, not its drawing (the bar locks itself)
	bar *progressbar.ProgressBar
}

// NewProgressBar returns a Progress that draws each phase as a progress
// bar on w, a terminal (it writes carriage returns to redraw its line),
// and erases it when the phase ends. It is safe for concurrent use.
func NewProgressBar(w io.Writer) Progress { return &progressBar{w: w} }

func (p *progressBar) Start(what string, total int) {
	p.Finish()
	bar := progressbar.NewOptions(max(total, 1),
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("jobs"),
		progressbar.OptionThrottle(barThrottle),
		progressbar.OptionClearOnFinish(),
	)
	p.mu.Lock()
	p.bar = bar
	p.mu.Unlock()
}

func (p *progressBar) Add(n int) {
	p.mu.Lock()
	bar := p.bar
	p.mu.Unlock()
	if bar != nil {
		_ = bar.Add(n) // its only errors are a count past the total (missed events settle it), drawing errors: cosmetic
	}
}

func (p *progressBar) Finish() {
	p.mu.Lock()
	bar := p.bar
	p.bar = nil
	p.mu.Unlock()
	if bar != nil {
		_ = bar.Finish() // fills the bar, which OptionClearOnFinish erases
	}
}
