package persistence_test

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq/persistence"
)

// newPath is a database path in a directory of the test's own.
func newPath(t *testing.T) string { return filepath.Join(t.TempDir(), "gigq.db") }

// openStore opens a store that is closed when the test ends.
func openStore(t *testing.T, path string, opts persistence.Options) *persistence.Store {
	t.Helper()
	s, err := persistence.Open(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// openRaw opens a connection of the test's own to the file, for setup and
// assertions that must not go through a store.
func openRaw(t *testing.T, path string) *sqlite.Conn {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, conn.Close()) })
	return conn
}

// queryInt runs a query that returns one integer.
func queryInt(t *testing.T, conn *sqlite.Conn, q string, args ...any) int64 {
	t.Helper()
	var n int64
	rows := 0
	err := sqlitex.Execute(conn, q, &sqlitex.ExecOptions{Args: args, ResultFunc: func(stmt *sqlite.Stmt) error {
		n = stmt.ColumnInt64(0)
		rows++
		return nil
	}})
	require.NoError(t, err, q)
	require.Equal(t, 1, rows, q)
	return n
}

// queryText runs a query that returns one text value.
func queryText(t *testing.T, conn *sqlite.Conn, q string, args ...any) string {
	t.Helper()
	var s string
	rows := 0
	err := sqlitex.Execute(conn, q, &sqlitex.ExecOptions{Args: args, ResultFunc: func(stmt *sqlite.Stmt) error {
		s = stmt.ColumnText(0)
		rows++
		return nil
	}})
	require.NoError(t, err, q)
	require.Equal(t, 1, rows, q)
	return s
}

// write runs each fn as a command (Store.Do) of one transaction and
// requires all of them to succeed.
func write(t *testing.T, s *persistence.Store, fns ...func() error) {
	t.Helper()
	require.NoError(t, s.Begin())
	for _, fn := range fns {
		require.NoError(t, s.Do(fn))
	}
	require.NoError(t, s.Commit())
}

func insert(t *testing.T, s *persistence.Store, at time.Time, jobs ...persistence.NewJob) {
	t.Helper()
	write(t, s, func() error { _, err := s.InsertJobs(jobs, at); return err })
}

func claim(t *testing.T, s *persistence.Store, id persistence.JobID) persistence.ExecutionID {
	t.Helper()
	exec := persistence.ExecutionID(uuid.Must(uuid.NewV7()).String())
	write(t, s, func() error {
		_, err := s.Claim(persistence.Claim{JobID: id, ExecutionID: exec, WorkerID: "worker-1"})
		return err
	})
	return exec
}

func finish(t *testing.T, s *persistence.Store, f persistence.Finish) persistence.Finished {
	t.Helper()
	var out persistence.Finished
	write(t, s, func() (err error) { out, err = s.Finish(f); return err })
	return out
}

func newJob(opts ...func(*persistence.NewJob)) persistence.NewJob {
	j := persistence.NewJob{
		ID:          persistence.JobID(uuid.Must(uuid.NewV7()).String()),
		Name:        "test job",
		Function:    "echo",
		Params:      json.RawMessage(`{}`),
		MaxAttempts: 3,
		Timeout:     time.Minute,
	}
	for _, o := range opts {
		o(&j)
	}
	return j
}

func jobIDs(rs []persistence.ReadyJob) []persistence.JobID {
	ids := make([]persistence.JobID, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// clock is a clock the test moves by hand (Options.Now).
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(now time.Time) *clock { return &clock{now: now} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
