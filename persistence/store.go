package persistence

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// Sync is the durability level of a commit (PRAGMA synchronous).
type Sync string

const (
	// SyncNormal (the default) survives a crash of the application or of
	// the node process; in WAL mode the last commits before a power loss
	// or OS crash may be lost.
	SyncNormal Sync = "normal"
	// SyncFull also survives a power loss, at the cost of an fsync per
	// commit.
	SyncFull Sync = "full"
)

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Sync is the durability level. Default SyncNormal.
	Sync Sync
	// BusyTimeout is how long a statement waits for another process's
	// lock before it fails with ErrBusy. Default 5s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read-only pool. Default 4.
	ReadConns int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// MaxPageCount caps the database file at this many pages (PRAGMA
	// max_page_count on the write connection; a page is 4096 bytes unless
	// the file says otherwise). A write that would grow the file past it
	// fails with ErrFull, as on a full disk. A limit below the current size
	// holds the file at its current size. Default 0: no limit beyond
	// SQLite's own. It can be changed later with SetMaxPageCount.
	MaxPageCount int64
	// ReadOnly opens the store for reading only: no write connection, no
	// migration, and the file is never created or changed (a missing file
	// is an error). Every write returns ErrReadOnly. See OpenReadOnly.
	ReadOnly bool
}

func (o Options) withDefaults() Options {
	if o.Sync == "" {
		o.Sync = SyncNormal
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = defaultBusyTimeout
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is the SQLite database of one node. It owns the only write
// connection, which must be used by one goroutine at a time (the store
// actor), and a pool of read-only connections that are safe for concurrent
// use by multiple goroutines.
type Store struct {
	path string
	opts Options
	conn *sqlite.Conn  // the write connection
	pool *sqlitex.Pool // read-only connections

	// Write transaction state; touched only by the owner of conn.
	inTx    bool
	txSeq   int64     // the ready_seq of the open transaction, 0 until needed
	txWfSeq int64     // the workflow_seq of the open transaction, 0 until needed
	seenWf  int64     // every workflow status change up to this seq is known
	seenSeq int64     // every job that became pending up to this seq is known
	cursor  seqCursor // where a paged read of changed jobs stopped
	dataVer int64     // last PRAGMA data_version seen on conn

	// maxPages is the wanted size limit (SetMaxPageCount, any goroutine);
	// pagesSet is the limit in force on conn (owner of conn only).
	maxPages atomic.Int64
	pagesSet int64

	ckpt *checkpointer // copies the WAL back in the background

	// released counts the children the release path counted a completed
	// parent off (any goroutine may read it).
	released atomic.Int64
}

// ReleasedDependents is how many times a completed job was counted off one
// of its children since the store opened: the rows the release path
// touched. It grows by a job's number of children per completion, never by
// the number of jobs in the table.
func (s *Store) ReleasedDependents() int64 { return s.released.Load() }

// defaultBusyTimeout is Options.BusyTimeout's default.
const defaultBusyTimeout = 5 * time.Second

// noPageLimit is the largest max_page_count SQLite accepts: no limit.
const noPageLimit = 4294967294

// SetMaxPageCount changes the database size limit (see
// Options.MaxPageCount; 0 removes it). It is safe to call from any
// goroutine: the limit takes effect at the next write transaction. Raising
// it after writes failed with ErrFull lets them succeed again.
func (s *Store) SetMaxPageCount(pages int64) { s.maxPages.Store(max(pages, 0)) }

// applyPageLimit sets the wanted size limit on the write connection when
// it changed.
func (s *Store) applyPageLimit() error {
	want := s.maxPages.Load()
	if want == s.pagesSet {
		return nil
	}
	n := want
	if n == 0 {
		n = noPageLimit
	}
	if err := s.exec(fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
		return fmt.Errorf("set max_page_count: %w", err)
	}
	s.pagesSet = want
	return nil
}

// setPragmas sets and verifies the connection's pragmas.
func setPragmas(conn *sqlite.Conn, sync Sync) error {
	var mode string
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA journal_mode=WAL", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { mode = stmt.ColumnText(0); return nil },
	}); err != nil {
		return fmt.Errorf("set journal_mode: %w", interpretError(err))
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal (is the file on a filesystem without shared memory?)", mode)
	}
	// ignore_check_constraints: the schema's CHECK (status IN (...))
	// constraints are written as IN lists, which SQLite evaluates by
	// building a temporary b-tree of the list in every INSERT and UPDATE of
	// the row: measured, that tripled the cost of a claim and of a
	// completion. This connection writes statuses only from the Status
	// constants, so it skips them; every other connection to the file (the
	// sqlite3 shell, another tool) still has them enforced.
	for _, p := range []string{"PRAGMA synchronous=" + strings.ToUpper(string(sync)), "PRAGMA foreign_keys=ON",
		fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", writerAutocheckpoint), "PRAGMA ignore_check_constraints=ON"} {
		if err := sqlitex.ExecuteTransient(conn, p, nil); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	want := map[Sync]int{SyncNormal: 1, SyncFull: 2}[sync]
	got := -1
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA synchronous", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { got = stmt.ColumnInt(0); return nil },
	}); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if got != want {
		return fmt.Errorf("synchronous is %d, want %d (%s)", got, want, sync)
	}
	return nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Sync is the durability level in force.
func (s *Store) Sync() Sync { return s.opts.Sync }

// Close closes the pool and the write connection. An open write
// transaction is rolled back.
func (s *Store) Close() error {
	var errs []error
	if s.ckpt != nil {
		if err := s.ckpt.close(); err != nil {
			errs = append(errs, fmt.Errorf("close checkpoint connection: %w", err))
		}
		s.ckpt = nil
	}
	if s.pool != nil {
		if err := s.pool.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close read pool: %w", err))
		}
		s.pool = nil
	}
	if s.conn != nil {
		if s.inTx {
			_ = s.Rollback()
		}
		if err := s.conn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close write connection: %w", err))
		}
		s.conn = nil
	}
	if len(errs) > 0 {
		return fmt.Errorf("close store: %v", errs)
	}
	return nil
}

// read runs fn with a connection from the read pool.
func (s *Store) read(ctx context.Context, fn func(conn *sqlite.Conn) error) error {
	conn, err := s.pool.Take(ctx)
	if err != nil {
		return fmt.Errorf("take read connection: %w", err)
	}
	defer s.pool.Put(conn)
	if err := fn(conn); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the driver's error for an interrupted query says less
		}
		return interpretError(err)
	}
	return nil
}

// readySeq reads the shared ready_seq counter on the write connection.
func (s *Store) readySeq() (int64, error) { return s.metaValue("ready_seq") }

// metaValue reads one of the counters in gigq_meta.
func (s *Store) metaValue(key string) (int64, error) {
	stmt := s.conn.Prep(`SELECT value FROM gigq_meta WHERE key = $key`)
	defer stmt.Reset()
	stmt.SetText("$key", key)
	ok, err := stmt.Step()
	if err != nil {
		return 0, interpretError(err)
	}
	if !ok {
		return 0, fmt.Errorf("gigq_meta has no %s row", key)
	}
	return stmt.ColumnInt64(0), nil
}

// dataVersion reads PRAGMA data_version on the write connection: it changes
// only when another connection (another process) commits.
func (s *Store) dataVersion() (int64, error) {
	stmt := s.conn.Prep(`PRAGMA data_version`)
	defer stmt.Reset()
	if _, err := stmt.Step(); err != nil {
		return 0, interpretError(err)
	}
	return stmt.ColumnInt64(0), nil
}
