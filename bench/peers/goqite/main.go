// Command goqite is a burn-down of goqite (maragu.dev/goqite) and its jobs
// runner on SQLite, measured as gigq bench burndown is: insert N no-op
// jobs, then start the runner and time until all N are done.
//
//	go run ./goqite --jobs 100000 --json
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"maragu.dev/goqite"
	"maragu.dev/goqite/jobs"

	"github.com/gigq-go/gigq/bench/peers/internal/peer"
)

// schema is goqite v0.4.0's schema_sqlite.sql (the module's SQL files
// cannot be embedded from another module).
const schema = `
create table goqite (
  id text primary key default ('m_' || lower(hex(randomblob(16)))),
  created text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  updated text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  queue text not null,
  body blob not null,
  timeout text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  received integer not null default 0,
  priority integer not null default 0
) strict;

create trigger goqite_updated_timestamp after update on goqite begin
  update goqite set updated = strftime('%Y-%m-%dT%H:%M:%fZ') where id = old.id;
end;

create index goqite_queue_priority_created_idx on goqite (queue, priority desc, created);
`

// queueName is the goqite queue the jobs go on.
const queueName = "jobs"

// insertBatch is how many jobs one transaction inserts (jobs.CreateTx), as
// River's bench batches its InsertMany.
const insertBatch = 5000

// stallTimeout is how long the burn-down may go without a job run before
// it fails.
const stallTimeout = 60 * time.Second

// config is every tuning choice, as the report states it.
type config struct {
	DB            string `json:"db"`
	Jobs          int    `json:"jobs"`
	Sync          string `json:"sync"`
	Goqite        string `json:"goqite"`
	Driver        string `json:"driver"`
	JournalMode   string `json:"journal_mode"`
	BusyTimeoutMs int    `json:"busy_timeout_ms"`
	MaxOpenConns  int    `json:"max_open_conns"`
	Limit         int    `json:"limit"`
	PollInterval  string `json:"poll_interval"`
	InsertBatch   int    `json:"insert_batch"`
	Completion    string `json:"completion"`
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goqite bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var (
		opts  peer.Options
		limit int
		poll  time.Duration
	)
	fs := flag.NewFlagSet("goqite", flag.ContinueOnError)
	opts.Register(fs)
	// The defaults are the best of the values tried on 2 cores (see
	// README.md). mattn/go-sqlite3 (cgo), goqite's README's driver, beat
	// modernc.org/sqlite by about 30%. Limit 64 with PollInterval 10ms
	// beat Limit 1 to 16 (the runner sleeps a PollInterval whenever Limit
	// jobs are running) and 256 or 1,000, and 1ms or 100ms polls.
	fs.IntVar(&limit, "workers", 64, "the runner's Limit: how many jobs run at once")
	fs.DurationVar(&poll, "poll-interval", 10*time.Millisecond, "the runner's PollInterval")
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
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	q := goqite.New(goqite.NewOpts{DB: db, Name: queueName})

	insertStart := time.Now()
	for left := opts.Jobs; left > 0; left -= insertBatch {
		if err := insert(ctx, db, q, min(left, insertBatch)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	insertSeconds := time.Since(insertStart).Seconds()

	// A job is done when the runner deletes its message, after the job
	// func returns. The func counts runs; once all have run, the wait
	// polls the table until the last message is deleted (polling it all
	// along would compete with the runner for the one connection).
	var ran atomic.Int64
	allRan := make(chan struct{})
	runner := jobs.NewRunner(jobs.NewRunnerOpts{Limit: limit, PollInterval: poll, Queue: q})
	runner.Register("noop", func(context.Context, []byte) error {
		if ran.Add(1) == int64(opts.Jobs) {
			close(allRan)
		}
		return nil
	})

	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		runner.Start(runCtx)
	}()
	elapsed, waitErr := waitDone(ctx, db, &ran, allRan, start)
	stop()
	<-stopped
	if waitErr != nil {
		return waitErr
	}

	r := &peer.Report{System: "goqite", Jobs: opts.Jobs, Seconds: elapsed.Seconds(), InsertSeconds: insertSeconds,
		Sync: opts.Sync, Workers: limit}
	left, err := remaining(ctx, db)
	if err != nil {
		return err
	}
	r.Completed = opts.Jobs - left // goqite deletes a job's message when it is done
	if r.Machine, err = peer.ReadMachine(db); err != nil {
		return err
	}
	closeErr := db.Close()
	db = nil
	if closeErr != nil {
		return closeErr
	}
	r.Config = config{
		DB: opts.DB, Jobs: opts.Jobs, Sync: opts.Sync, Goqite: "v0.4.0 (jobs.Runner)", Driver: peer.DriverName(opts.Driver),
		JournalMode: "wal", BusyTimeoutMs: peer.BusyTimeoutMs, MaxOpenConns: 1, Limit: limit, PollInterval: poll.String(),
		InsertBatch: insertBatch, Completion: "runner start until the last message is deleted",
	}
	r.Finish(path)
	return r.Write(os.Stdout, opts.JSON)
}

// insert creates n no-op jobs in one transaction.
func insert(ctx context.Context, db *sql.DB, q *goqite.Queue, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for range n {
		if _, err := jobs.CreateTx(ctx, tx, q, "noop", goqite.Message{Body: []byte{}}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// remaining is how many messages the queue still holds.
func remaining(ctx context.Context, db *sql.DB) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM goqite WHERE queue = ?`, queueName).Scan(&n)
	return n, err
}

// waitDone waits until every job has run and the queue is empty, and
// returns the time from start until then. It fails after stallTimeout
// without a job run, or with messages left.
func waitDone(ctx context.Context, db *sql.DB, ran *atomic.Int64, allRan <-chan struct{}, start time.Time) (time.Duration, error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, progressAt := int64(0), start
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-allRan:
			waiting = false
		case now := <-tick.C:
			if n := ran.Load(); n != last {
				last, progressAt = n, now
			} else if now.Sub(progressAt) > stallTimeout {
				return 0, errors.New("no job ran for " + stallTimeout.String())
			}
		}
	}
	deadline := time.Now().Add(stallTimeout)
	for {
		left, err := remaining(ctx, db)
		if err != nil {
			return 0, err
		}
		if left == 0 {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d messages not deleted %s after the last job ran", left, stallTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}
