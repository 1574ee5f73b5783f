// Command river is a burn-down of River (github.com/riverqueue/river) on
// SQLite, measured as gigq bench burndown is: insert N no-op jobs, then
// start the client and time until all N are completed.
//
//	go run ./river --jobs 100000 --json
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/gigq-go/gigq/bench/peers/internal/peer"
)

// insertBatch is how many jobs one InsertMany call inserts: the batch size
// of River's own `river bench` (insertBatchSize = 5_000).
const insertBatch = 5000

// stallTimeout is how long the burn-down may go without a completion
// before it fails.
const stallTimeout = 60 * time.Second

// noopArgs are the jobs' arguments: none.
type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

// noopWorker does nothing, so what is measured is River.
type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (*noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// config is every tuning choice, as the report states it.
type config struct {
	DB                string `json:"db"`
	Jobs              int    `json:"jobs"`
	Sync              string `json:"sync"`
	River             string `json:"river"`
	Driver            string `json:"driver"`
	JournalMode       string `json:"journal_mode"`
	BusyTimeoutMs     int    `json:"busy_timeout_ms"`
	MaxOpenConns      int    `json:"max_open_conns"`
	MaxWorkers        int    `json:"max_workers"`
	FetchCooldown     string `json:"fetch_cooldown"`
	FetchPollInterval string `json:"fetch_poll_interval"`
	InsertBatch       int    `json:"insert_batch"`
	Completion        string `json:"completion"`
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "river bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var (
		opts       peer.Options
		maxWorkers int
		cooldown   time.Duration
		poll       time.Duration
	)
	fs := flag.NewFlagSet("river", flag.ContinueOnError)
	opts.Register(fs)
	// The defaults are the best of the values tried on 2 cores (see
	// README.md). mattn/go-sqlite3 (cgo) beat modernc.org/sqlite, the
	// driver River's docs and tests use, by 8% (at these settings) to 30%
	// (at `river bench`'s). MaxWorkers 5,000 beat 100 (River's docs'
	// example), 500, 1,000 and 2,000 (River's own `river bench` value) and
	// matched 10,000 with less spread. River's default FetchCooldown
	// (100ms) and FetchPollInterval (1s) beat the 2ms and 20ms `river
	// bench` uses against Postgres by about 25%: with one connection,
	// frequent fetches delay the completions.
	fs.IntVar(&maxWorkers, "workers", 5000, "the default queue's MaxWorkers")
	fs.DurationVar(&cooldown, "fetch-cooldown", river.FetchCooldownDefault, "Config.FetchCooldown")
	fs.DurationVar(&poll, "fetch-poll-interval", river.FetchPollIntervalDefault, "Config.FetchPollInterval")
	path, db, cleanup, err := opts.Setup(fs, args)
	if err != nil {
		return err
	}
	defer cleanup()
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	drv := riversqlite.New(db)
	migrator, err := rivermigrate.New(drv, nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &noopWorker{})
	client, err := river.NewClient(drv, &river.Config{
		FetchCooldown:     cooldown,
		FetchPollInterval: poll,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers:           workers,
	})
	if err != nil {
		return err
	}

	insertStart := time.Now()
	batch := make([]river.InsertManyParams, 0, insertBatch)
	for left := opts.Jobs; left > 0; left -= len(batch) {
		batch = batch[:min(left, insertBatch)]
		for i := range batch {
			batch[i] = river.InsertManyParams{Args: noopArgs{}}
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	insertSeconds := time.Since(insertStart).Seconds()

	// Completions are counted from the client's events, as River's own
	// bench does; the channel holds all of them so that none is dropped.
	events, cancelEvents := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: opts.Jobs,
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled},
	})
	defer cancelEvents()

	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return err
	}
	elapsed, waitErr := waitCompleted(ctx, db, events, opts.Jobs, start)
	if err := client.Stop(ctx); err != nil && waitErr == nil {
		waitErr = err
	}
	if waitErr != nil {
		return waitErr
	}

	r := &peer.Report{System: "river", Jobs: opts.Jobs, Seconds: elapsed.Seconds(), InsertSeconds: insertSeconds,
		Sync: opts.Sync, Workers: maxWorkers}
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&r.Completed); err != nil {
		return err
	}
	if r.Machine, err = peer.ReadMachine(db); err != nil {
		return err
	}
	closeErr := db.Close()
	db = nil
	if closeErr != nil {
		return closeErr
	}
	r.Config = config{
		DB: opts.DB, Jobs: opts.Jobs, Sync: opts.Sync, River: "v0.51.2 (riversqlite v0.51.2, rivermigrate)",
		Driver: peer.DriverName(opts.Driver), JournalMode: "wal", BusyTimeoutMs: peer.BusyTimeoutMs, MaxOpenConns: 1,
		MaxWorkers: maxWorkers, FetchCooldown: cooldown.String(), FetchPollInterval: poll.String(),
		InsertBatch: insertBatch, Completion: "client.Start until all jobs are completed (JobCompleted events, or the completed count read back)",
	}
	r.Finish(path)
	return r.Write(os.Stdout, opts.JSON)
}

// waitCompleted waits until n jobs are completed and returns the time from
// start until then. It counts completion events; once a second it also
// reads the completed count from the database, in case events were
// dropped or lag. It fails on a failed job or after stallTimeout without
// progress.
func waitCompleted(ctx context.Context, db *sql.DB, events <-chan *river.Event, n int, start time.Time) (time.Duration, error) {
	check := time.NewTimer(time.Second)
	defer check.Stop()
	seen, stored, progressAt := 0, 0, start
	for max(seen, stored) < n {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				return 0, fmt.Errorf("job %d: %s", ev.Job.ID, ev.Kind)
			}
			seen++
			progressAt = time.Now()
		case now := <-check.C:
			completed := 0
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&completed); err != nil {
				return 0, err
			}
			// Check every 10ms once the rest should take under a second:
			// the end is then timed closely without a count a second
			// competing for the one connection all run long.
			next := time.Second
			if n-completed <= completed-stored {
				next = 10 * time.Millisecond
			}
			if completed > stored {
				stored, progressAt = completed, now
			}
			if now.Sub(progressAt) > stallTimeout {
				return 0, errors.New("no job completed for " + stallTimeout.String())
			}
			check.Reset(next)
		}
	}
	return progressAt.Sub(start), nil
}
