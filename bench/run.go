package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits on a scenario's size.
const (
	MaxJobs    = 10_000_000
	MaxSteps   = 100_000
	MaxWorkers = 1024
	// DefaultWorkers is Config.Workers's default for the gigq scenarios.
	DefaultWorkers = 4
)

// Config is what a scenario runs with; its JSON form is the report's
// "config".
type Config struct {
	// DB is the database file to create; it must not exist, and is kept.
	// Default "": a file in a new temporary directory, removed after the
	// run.
	DB string `json:"db"`
	// Jobs is how many jobs burndown and ceiling run (1 to MaxJobs).
	Jobs int `json:"jobs,omitempty"`
	// Steps is how many steps chain's workflow has (2 to MaxSteps).
	Steps int `json:"steps,omitempty"`
	// Workers is how many workers the gigq scenarios' node runs (1 to
	// MaxWorkers). Default DefaultWorkers; ceiling takes none.
	Workers int `json:"workers,omitempty"`
	// Sync is "normal" (default) or "full": gigq.Config.Sync, and PRAGMA
	// synchronous for ceiling.
	Sync string `json:"sync"`
}

// scenario is one benchmark: which sizes it takes, its default size, and
// how it runs on a new file at path.
type scenario struct {
	jobs, steps, workers bool
	size                 int // Jobs or Steps by default
	run                  func(ctx context.Context, cfg Config, path string) (*Report, error)
}

var scenarios = map[string]scenario{
	"burndown": {jobs: true, workers: true, size: 10_000, run: burndown},
	"chain":    {steps: true, workers: true, size: 1000, run: chain},
	"ceiling":  {jobs: true, size: 100_000, run: ceiling},
}

// Defaults is the named scenario's default configuration (an unknown name
// gives the zero Config, which Validate refuses): burndown 10,000 jobs,
// chain 1,000 steps, ceiling 100,000 jobs; DefaultWorkers workers for the
// gigq scenarios; sync normal; a temporary database.
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
	return cfg
}

// Scenarios names the scenarios Run knows, in the order the CLI lists them.
func Scenarios() []string { return []string{"burndown", "chain", "ceiling"} }

// withDefaults fills the defaults of the scenario's settings.
func (c Config) withDefaults(s scenario) Config {
	if c.Sync == "" {
		c.Sync = "normal"
	}
	if s.workers && c.Workers == 0 {
		c.Workers = DefaultWorkers
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
// report, with the machine, the peak RSS and the database's size.
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
	r, err := s.run(ctx, cfg, path)
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
