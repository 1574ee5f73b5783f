// Package peer is what the peer burn-down programs share: their flags,
// how they open SQLite, and the report they print, whose fields are named
// as gigq bench's are.
package peer

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3" (cgo)
	_ "modernc.org/sqlite"          // registers "sqlite" (pure Go)
)

// Drivers are the database/sql driver names a peer can run on.
const (
	DriverModernC = "sqlite"  // modernc.org/sqlite
	DriverMattn   = "sqlite3" // github.com/mattn/go-sqlite3
)

// BusyTimeoutMs is the busy_timeout every connection gets, as in goqite's
// README (_timeout=5000) and the usual River setups.
const BusyTimeoutMs = 5000

// Options are the flags every peer program takes.
type Options struct {
	Jobs   int
	DB     string
	Sync   string
	JSON   bool
	Driver string // DriverMattn or DriverModernC
}

// Register adds the common flags to fs.
func (o *Options) Register(fs *flag.FlagSet) {
	fs.IntVar(&o.Jobs, "jobs", 10000, "how many no-op jobs to insert and then burn down")
	fs.StringVar(&o.DB, "db", "", "database file to create (must not exist; kept); default a temporary file, removed")
	fs.StringVar(&o.Sync, "sync", "normal", "PRAGMA synchronous: normal or full")
	fs.BoolVar(&o.JSON, "json", false, "print the report as one JSON object")
	fs.StringVar(&o.Driver, "driver", DriverMattn, "database/sql driver: sqlite3 (mattn/go-sqlite3) or sqlite (modernc.org/sqlite)")
}

// Setup parses args into fs (whose flags include o's, see Register),
// checks them, and opens the database (see Open) on a new file: the path,
// the database, and a cleanup that removes the file when it is a
// temporary one (close the database first).
func (o *Options) Setup(fs *flag.FlagSet, args []string) (string, *sql.DB, func(), error) {
	if err := fs.Parse(args); err != nil {
		return "", nil, nil, err
	}
	if err := o.Validate(); err != nil {
		return "", nil, nil, err
	}
	path, cleanup, err := o.Path()
	if err != nil {
		return "", nil, nil, err
	}
	db, err := Open(o.Driver, path, o.Sync)
	if err != nil {
		cleanup()
		return "", nil, nil, err
	}
	return path, db, cleanup, nil
}

// Validate checks the common flags.
func (o *Options) Validate() error {
	if o.Jobs < 1 {
		return fmt.Errorf("jobs must be at least 1 (got %d)", o.Jobs)
	}
	if o.Sync != "normal" && o.Sync != "full" {
		return fmt.Errorf("sync must be normal or full (got %q)", o.Sync)
	}
	if o.DB != "" {
		if _, err := os.Lstat(o.DB); err == nil {
			return fmt.Errorf("database %s already exists: the bench writes a new file", o.DB)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("database %s: %w", o.DB, err)
		}
	}
	return nil
}

// Path is the database file to use and a cleanup that removes it when it
// is a temporary one.
func (o *Options) Path() (string, func(), error) {
	if o.DB != "" {
		return o.DB, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "gigq-peer-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
}

// Open opens path with driver (DriverModernC or DriverMattn) in WAL mode,
// with busy_timeout and the given synchronous level on every connection,
// and a pool of one connection: SQLite has one writer, and both River's
// SQLite driver docs ("set the maximum pool size to one connection like
// dbPool.SetMaxOpenConns(1)") and goqite's README (SetMaxOpenConns(1),
// SetMaxIdleConns(1)) say so.
func Open(driver, path, sync string) (*sql.DB, error) {
	var dsn string
	switch driver {
	case DriverModernC:
		dsn = fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)&_pragma=synchronous(%s)",
			path, BusyTimeoutMs, strings.ToUpper(sync))
	case DriverMattn:
		dsn = fmt.Sprintf("file:%s?_journal=WAL&_timeout=%d&_sync=%s", path, BusyTimeoutMs, strings.ToUpper(sync))
	default:
		return nil, fmt.Errorf("unknown driver %q: use %s (modernc.org/sqlite) or %s (mattn/go-sqlite3)",
			driver, DriverModernC, DriverMattn)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	// Check the pragmas took: a DSN key a driver does not know is ignored.
	var mode string
	var level int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&level); err != nil {
		db.Close()
		return nil, err
	}
	if want := map[string]int{"normal": 1, "full": 2}[sync]; mode != "wal" || level != want {
		db.Close()
		return nil, fmt.Errorf("%s: journal_mode %s, synchronous %d: want wal, %d", driver, mode, level, want)
	}
	return db, nil
}

// DriverName is the module behind a driver name, for reports.
func DriverName(driver string) string {
	if driver == DriverMattn {
		return "github.com/mattn/go-sqlite3 (cgo)"
	}
	return "modernc.org/sqlite (pure Go)"
}

// Report is one burn-down's result. Its fields are named as gigq bench's
// JSON report's are, plus System.
type Report struct {
	System        string  `json:"system"`
	Scenario      string  `json:"scenario"`
	Jobs          int     `json:"jobs"`
	Completed     int     `json:"completed"`
	Seconds       float64 `json:"seconds"`
	JobsPerSec    float64 `json:"jobs_per_sec"`
	InsertSeconds float64 `json:"insert_seconds"`
	InsertPerSec  float64 `json:"insert_per_sec"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	DBBytes       int64   `json:"db_bytes"`
	Sync          string  `json:"sync"`
	Workers       int     `json:"workers"`
	Machine       Machine `json:"machine"`
	Config        any     `json:"config"`
}

// Machine describes where a report was measured.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Go     string `json:"go"`
	SQLite string `json:"sqlite"`
}

// ReadMachine describes this machine; db gives the SQLite version.
func ReadMachine(db *sql.DB) (Machine, error) {
	var v string
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		return Machine{}, err
	}
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(), SQLite: v}, nil
}

// Finish fills in the rates, the peak RSS and the database size (call it
// after the database is closed, as gigq bench measures).
func (r *Report) Finish(path string) {
	r.Scenario = "burndown"
	r.JobsPerSec, r.InsertPerSec = perSec(r.Jobs, r.Seconds), perSec(r.Jobs, r.InsertSeconds)
	r.PeakRSSBytes = peakRSS()
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			r.DBBytes += fi.Size()
		}
	}
}

// Write prints r as JSON, or as one line for people.
func (r *Report) Write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	_, err := fmt.Fprintf(w, "%s burndown: %d jobs (%d completed) in %.3fs = %.0f jobs/s; insert %.0f/s (%.3fs); "+
		"workers %d, sync %s, peak RSS %.1f MiB, db %.1f MiB; %s, %d cores, %s, SQLite %s\n",
		r.System, r.Jobs, r.Completed, r.Seconds, r.JobsPerSec, r.InsertPerSec, r.InsertSeconds,
		r.Workers, r.Sync, float64(r.PeakRSSBytes)/(1<<20), float64(r.DBBytes)/(1<<20),
		r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Machine.SQLite)
	return err
}

func perSec(n int, sec float64) float64 {
	if sec <= 0 {
		return 0
	}
	return float64(n) / sec
}

// peakRSS is the process's peak resident set size in bytes (ru_maxrss is
// kilobytes on Linux, bytes on macOS).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}

// cpuModel is the first "model name" in /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			if v := strings.TrimSpace(val); v != "" {
				return v
			}
		}
	}
	return "unknown"
}
