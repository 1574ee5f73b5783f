package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// ceilingBatch is how many jobs one of ceiling's transactions writes.
const ceilingBatch = 1000

// ceiling measures raw SQLite: what one job minimally costs on this
// filesystem, with no engine around it. On ONE connection (zombiezen,
// pure Go, as gigq's store) to a new file, with gigq's pragmas
// (journal_mode=WAL, synchronous=NORMAL or FULL per cfg.Sync,
// foreign_keys=ON; wal_autocheckpoint stays SQLite's default, so its
// checkpoints are paid inline, where gigq runs them on a connection of its
// own), and a minimal table jobs(id TEXT PRIMARY KEY, status, payload):
//
//  1. insert: cfg.Jobs rows with time-ordered UUIDv7 text ids (made in the
//     timed loop, as gigq makes its ids), status 'pending' and payload
//     '{}', in transactions of ceilingBatch (BEGIN IMMEDIATE … COMMIT);
//  2. claim and complete: for each batch of ceilingBatch ids, in order,
//     one transaction of UPDATE jobs SET status='running' WHERE id=? per
//     job, then one of UPDATE jobs SET status='completed' WHERE id=?.
//
// Every statement is prepared once (conn.Prep) and reused. The ids are
// kept in memory, so a claim is an update by primary key: no query finds
// the next job, no execution row, lease, result or event is written. The
// insert rate is step 1's; jobs_per_sec is the whole cycle's (1 and 2).
func ceiling(ctx context.Context, cfg Config, path string) (_ *Report, err error) {
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenCreate|sqlite.OpenWAL)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := ceilingSchema(conn, cfg.Sync); err != nil {
		return nil, err
	}
	ids := make([]string, cfg.Jobs)
	insert := conn.Prep(`INSERT INTO jobs (id, status, payload) VALUES (?, 'pending', '{}')`)
	prog := cfg.progress()
	prog.Start("insert", len(ids))
	start := time.Now()
	done := newCompletions(start, len(ids), noProgress{})
	err = inBatches(ctx, conn, len(ids), prog.Add, func(i int) error {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		ids[i] = id.String()
		insert.BindText(1, ids[i])
		return stepOnce(insert)
	})
	if err != nil {
		return nil, fmt.Errorf("insert: %w", err)
	}
	inserted := time.Since(start)
	claim := conn.Prep(`UPDATE jobs SET status = 'running' WHERE id = ?`)
	complete := conn.Prep(`UPDATE jobs SET status = 'completed' WHERE id = ?`)
	prog.Start("claim+complete", len(ids))
	for lo := 0; lo < len(ids); lo += ceilingBatch {
		batch := ids[lo:min(lo+ceilingBatch, len(ids))]
		for _, stmt := range []*sqlite.Stmt{claim, complete} {
			err := inBatches(ctx, conn, len(batch), nil, func(i int) error {
				stmt.BindText(1, batch[i])
				return stepOnce(stmt)
			})
			if err != nil {
				return nil, fmt.Errorf("claim and complete: %w", err)
			}
		}
		now := time.Now() // the batch's completions all commit here
		for range batch {
			done.add(now)
		}
		prog.Add(len(batch))
	}
	elapsed := time.Since(start)
	completed, err := countCompleted(conn)
	if err != nil {
		return nil, err
	}
	return &Report{Jobs: cfg.Jobs, Completed: completed, Seconds: elapsed.Seconds(), InsertSeconds: inserted.Seconds(),
		Workers: 1, Series: &Series{Completions: done.sorted()}}, nil
}

// ceilingSchema sets gigq's pragmas, checks them, and creates the table.
func ceilingSchema(conn *sqlite.Conn, sync string) error {
	var mode string
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA journal_mode=WAL", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { mode = stmt.ColumnText(0); return nil },
	}); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	for _, q := range []string{
		"PRAGMA synchronous=" + strings.ToUpper(sync),
		"PRAGMA foreign_keys=ON",
		`CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL)`,
	} {
		if err := sqlitex.ExecuteTransient(conn, q, nil); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// inBatches calls do for 0..n-1 in transactions of ceilingBatch calls,
// checking ctx between them, and committed (unless nil) with the number
// of calls after each commit.
func inBatches(ctx context.Context, conn *sqlite.Conn, n int, committed func(int), do func(i int) error) error {
	begin, commit := conn.Prep("BEGIN IMMEDIATE"), conn.Prep("COMMIT")
	for lo := 0; lo < n; lo += ceilingBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := stepOnce(begin); err != nil {
			return err
		}
		for i := lo; i < min(lo+ceilingBatch, n); i++ {
			if err := do(i); err != nil {
				_ = sqlitex.ExecuteTransient(conn, "ROLLBACK", nil)
				return err
			}
		}
		if err := stepOnce(commit); err != nil {
			return err
		}
		if committed != nil {
			committed(min(ceilingBatch, n-lo))
		}
	}
	return nil
}

// stepOnce runs a prepared statement (its parameters bound) once and
// resets it.
func stepOnce(stmt *sqlite.Stmt) error {
	_, err := stmt.Step()
	if rerr := stmt.Reset(); err == nil {
		err = rerr
	}
	return err
}

// countCompleted counts the completed rows of ceiling's table.
func countCompleted(conn *sqlite.Conn) (int, error) {
	var n int
	err := sqlitex.ExecuteTransient(conn, `SELECT count(*) FROM jobs WHERE status = 'completed'`, &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { n = stmt.ColumnInt(0); return nil },
	})
	return n, err
}
