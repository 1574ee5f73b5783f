package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Limits on a scenario's size.
const (
	MaxJobs    = 10_000_000
	MaxSteps   = 100_000
	MaxWorkers = 1024
	// MaxWidth bounds diamond's width: each of its jobs has that many
	// parents. (fanout's width is bounded by MaxSteps.)
	MaxWidth = 1000
	// MaxRate bounds steady's submit rate, in jobs per second.
	MaxRate = 100_000
	// MinDuration and MaxDuration bound steady's duration.
	MinDuration = time.Second
	MaxDuration = time.Hour
	// DefaultSubmitters is Config.Submitters's default.
	DefaultSubmitters = 64
	// DefaultWorkers is Config.Workers's default for the gigq scenarios.
	// Jobs that do nothing spend their time in the round trip to the
	// store: the more are in flight, the more each commit carries. On 2
	// cores, burndown ran 50,000 jobs at a median 9,500 jobs/s with 4
	// workers, 12,300 with 16, 16,500 with 32 and 13,700 with 64.
	DefaultWorkers = 32
)

// Config is what a scenario runs with; its JSON form is the report's
// "config".
type Config struct {
	// DB is the database file to create; it must not exist, and is kept.
	// Default "": a file in a new temporary directory, removed after the
	// run.
	DB string `json:"db"`
	// Jobs is how many jobs burndown, depth and ceiling run, and remote in
	// each throughput run (1 to MaxJobs).
	Jobs int `json:"jobs,omitempty"`
	// LatencyJobs is how many jobs remote runs one at a time in each of
	// its latency runs (1 to MaxJobs).
	LatencyJobs int `json:"latency_jobs,omitempty"`
	// Steps is how many steps chain's workflow has (2 to MaxSteps).
	Steps int `json:"steps,omitempty"`
	// Width is how many jobs fanout runs between its root and its sink (1
	// to MaxSteps), and how many each of diamond's layers has (1 to
	// MaxWidth).
	Width int `json:"width,omitempty"`
	// Layers is how many layers diamond has (2 or more, with Layers×Width
	// and the dependencies, (Layers-1)×Width², each at most MaxJobs).
	Layers int `json:"layers,omitempty"`
	// Queued is how many lower-priority jobs depth leaves queued behind
	// its Jobs (0 to MaxJobs).
	Queued int `json:"queued,omitempty"`
	// Rate is how many jobs a second steady submits (1 to MaxRate).
	Rate int `json:"rate,omitempty"`
	// Duration is how long steady submits (MinDuration to MaxDuration);
	// its JSON form is in nanoseconds.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Workers is how many workers the gigq scenarios' node runs (1 to
	// MaxWorkers). Default DefaultWorkers; ceiling takes none.
	Workers int `json:"workers,omitempty"`
	// Concurrency is how many jobs each of remote's worker nodes runs at
	// once, and how many workers its local baseline has (1 to
	// MaxWorkers). Default DefaultWorkers.
	Concurrency int `json:"concurrency,omitempty"`
	// Submitters is how many goroutines burndown, depth and remote submit their
	// jobs from, one job per Submit (1 to MaxWorkers; default
	// DefaultSubmitters): group commit writes up to that many per
	// transaction.
	Submitters int `json:"submitters,omitempty"`
	// Sync is "normal" (default) or "full": gigq.Config.Sync, and PRAGMA
	// synchronous for ceiling.
	Sync string `json:"sync"`
	// Progress, when set, is told how the scenario's long phases advance
	// (see Progress); Run finishes it before it returns. Default nil:
	// nothing is told. It is not part of the report.
	Progress Progress `json:"-"`
}

// scenario is one benchmark: which sizes it takes, its default size, and
// how it runs on a new file at path.
type scenario struct {
	jobs, steps, workers, submitters bool
	size                             int // Jobs or Steps by default
	// maxWidth is the largest Width it takes; 0: it takes none.
	maxWidth int
	// defaults are the other settings' defaults (Width, Layers, Queued,
	// Rate, Duration, LatencyJobs, Concurrency): a setting it takes has
	// one.
	defaults Config
	run      func(ctx context.Context, cfg Config, path string) (*Report, error)
}

var scenarios = map[string]scenario{
	"burndown": {jobs: true, workers: true, submitters: true, size: 10_000, run: burndown},
	"chain":    {steps: true, workers: true, size: 1000, run: chain},
	"fanout":   {workers: true, maxWidth: MaxSteps, defaults: Config{Width: 1000}, run: fanout},
	"diamond":  {workers: true, maxWidth: MaxWidth, defaults: Config{Layers: 10, Width: 10}, run: diamond},
	"depth":    {jobs: true, workers: true, submitters: true, size: 10_000, defaults: Config{Queued: 100_000}, run: depth},
	"steady":   {workers: true, defaults: Config{Rate: 500, Duration: 10 * time.Second}, run: steady},
	"remote": {jobs: true, submitters: true, size: 20_000,
		defaults: Config{LatencyJobs: 1000, Concurrency: DefaultWorkers}, run: remote},
	"ceiling": {jobs: true, size: 100_000, run: ceiling},
}

// Defaults is the named scenario's default configuration (an unknown name
// gives the zero Config, which Validate refuses): burndown 10,000 jobs,
// chain 1,000 steps, fanout width 1,000, diamond 10 layers of width 10,
// depth 10,000 jobs behind 100,000 queued, steady 500 jobs/s for 10 s,
// remote 20,000 jobs a throughput run and 1,000 a latency run, ceiling
// 100,000 jobs; DefaultWorkers workers for the gigq scenarios (remote:
// DefaultWorkers slots a worker node); sync normal; a temporary database.
func Defaults(name string) Config {
	s, ok := scenarios[name]
	if !ok {
		return Config{}
	}
	cfg := Config{}.withDefaults(s)
	if s.jobs {
		cfg.Jobs = s.size
	}
	if s.steps {
		cfg.Steps = s.size
	}
	d := s.defaults
	cfg.Width, cfg.Layers, cfg.Queued, cfg.Rate, cfg.Duration = d.Width, d.Layers, d.Queued, d.Rate, d.Duration
	cfg.LatencyJobs, cfg.Concurrency = d.LatencyJobs, d.Concurrency
	return cfg
}

// Scenarios names the scenarios Run knows, in the order the CLI lists them
// ("all", which runs several, is RunAll's).
func Scenarios() []string {
	return []string{"burndown", "chain", "fanout", "diamond", "depth", "steady", "remote", "ceiling"}
}

// withDefaults fills the defaults of the scenario's settings.
func (c Config) withDefaults(s scenario) Config {
	if c.Sync == "" {
		c.Sync = "normal"
	}
	if s.workers && c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if s.submitters && c.Submitters == 0 {
		c.Submitters = DefaultSubmitters
	}
	if s.defaults.Concurrency > 0 && c.Concurrency == 0 {
		c.Concurrency = s.defaults.Concurrency
	}
	return c
}

// Validate reports what is wrong with cfg for the named scenario: an
// unknown scenario, a size out of range or one the scenario does not take,
// an unknown sync, or a DB file that already exists.
func Validate(name string, cfg Config) error {
	s, ok := scenarios[name]
	if !ok {
		return fmt.Errorf("bench: unknown scenario %q: use one of %s", name, strings.Join(Scenarios(), ", "))
	}
	cfg = cfg.withDefaults(s)
	if err := checkSize("jobs", name, s.jobs, cfg.Jobs, 1, MaxJobs); err != nil {
		return err
	}
	if err := checkSize("steps", name, s.steps, cfg.Steps, 2, MaxSteps); err != nil {
		return err
	}
	if err := checkSize("workers", name, s.workers, cfg.Workers, 1, MaxWorkers); err != nil {
		return err
	}
	if err := checkSize("submitters", name, s.submitters, cfg.Submitters, 1, MaxWorkers); err != nil {
		return err
	}
	if err := checkSize("width", name, s.maxWidth > 0, cfg.Width, 1, s.maxWidth); err != nil {
		return err
	}
	if err := checkSize("layers", name, s.defaults.Layers > 0, cfg.Layers, 2, MaxJobs); err != nil {
		return err
	}
	if cfg.Layers > 0 {
		if jobs := cfg.Layers * cfg.Width; jobs > MaxJobs {
			return fmt.Errorf("bench: layers×width must be at most %d (got %d)", MaxJobs, jobs)
		}
		if deps := (cfg.Layers - 1) * cfg.Width * cfg.Width; deps > MaxJobs {
			return fmt.Errorf("bench: (layers-1)×width² dependencies must be at most %d (got %d)", MaxJobs, deps)
		}
	}
	if err := checkSize("queued", name, s.defaults.Queued > 0, cfg.Queued, 0, MaxJobs); err != nil {
		return err
	}
	if err := checkSize("rate", name, s.defaults.Rate > 0, cfg.Rate, 1, MaxRate); err != nil {
		return err
	}
	if err := checkSize("latency-jobs", name, s.defaults.LatencyJobs > 0, cfg.LatencyJobs, 1, MaxJobs); err != nil {
		return err
	}
	if err := checkSize("concurrency", name, s.defaults.Concurrency > 0, cfg.Concurrency, 1, MaxWorkers); err != nil {
		return err
	}
	if d := cfg.Duration; s.defaults.Duration == 0 && d != 0 {
		return fmt.Errorf("bench: %s does not take duration (got %s)", name, d)
	} else if s.defaults.Duration > 0 && (d < MinDuration || d > MaxDuration) {
		return fmt.Errorf("bench: duration must be from %s to %s (got %s)", MinDuration, MaxDuration, d)
	}
	if cfg.Sync != "normal" && cfg.Sync != "full" {
		return fmt.Errorf("bench: sync must be normal or full (got %q)", cfg.Sync)
	}
	if cfg.DB != "" {
		if _, err := os.Lstat(cfg.DB); err == nil {
			return fmt.Errorf("bench: database %s already exists: the bench writes a new file (remove it, or name another)", cfg.DB)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("bench: database %s: %w", cfg.DB, err)
		}
	}
	return nil
}

// checkSize checks a size the scenario takes (within lo..hi), or does not
// take (zero).
func checkSize(what, name string, takes bool, v, lo, hi int) error {
	switch {
	case !takes && v != 0:
		return fmt.Errorf("bench: %s does not take %s (got %d)", name, what, v)
	case takes && (v < lo || v > hi):
		return fmt.Errorf("bench: %s must be from %d to %d (got %d)", what, lo, hi, v)
	}
	return nil
}

// Run runs the named scenario on a new database file and returns its
// report, with the machine, the peak RSS and the database's size, and
// the samples behind its figures (Report.Series).
func Run(ctx context.Context, name string, cfg Config) (_ *Report, err error) {
	if err := Validate(name, cfg); err != nil {
		return nil, err
	}
	s := scenarios[name]
	cfg = cfg.withDefaults(s)
	path := cfg.DB
	if path == "" {
		dir, err := os.MkdirTemp("", "gigq-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer func() {
			if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
				err = fmt.Errorf("bench: remove temporary database: %w", rmErr)
			}
		}()
		path = filepath.Join(dir, "bench.db")
	}
	if cfg.Progress != nil {
		cfg.Progress = named{cfg.Progress, name}
	}
	resetPeakRSS()
	r, err := s.run(ctx, cfg, path)
	cfg.progress().Finish()
	cfg.Progress = nil
	if err != nil {
		return nil, fmt.Errorf("bench %s: %w", name, err)
	}
	if r.Machine, err = readMachine(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	r.Scenario, r.Sync, r.Config = name, cfg.Sync, cfg
	r.JobsPerSec, r.InsertPerSec = perSec(r.Jobs, r.Seconds), perSec(r.Jobs, r.InsertSeconds)
	r.PeakRSSBytes, r.DBBytes = peakRSS(), dbBytes(path)
	return r, nil
}
