package persistence_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq/persistence"
	"github.com/gigq-go/gigq/persistence/persistencetest"
)

// TestCorruptMapping: SQLITE_CORRUPT and SQLITE_NOTADB, as SQLite reports
// them, become errors that match ErrCorrupt (also when wrapped, and on
// paths that did not map them); other errors do not.
func TestCorruptMapping(t *testing.T) {
	t.Parallel()
	require.NoError(t, persistence.Corrupt(nil))
	require.NoError(t, persistence.Corrupt(errors.New("something else")))
	require.NoError(t, persistence.Corrupt(persistence.ErrFull))
	require.NoError(t, persistence.Corrupt(persistence.ErrBusy))

	// SQLITE_NOTADB: a file of other bytes, opened by SQLite.
	path := newPath(t)
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf("%08192d", 7)), 0o600))
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadOnly)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	notADB := sqlitex.ExecuteTransient(conn, `SELECT count(*) FROM sqlite_schema`, nil)
	require.Equal(t, sqlite.ResultNotADB, sqlite.ErrCode(notADB).ToPrimary())
	for _, err := range []error{notADB, fmt.Errorf("read: %w", notADB), errors.Join(errors.New("x"), notADB)} {
		c := persistence.Corrupt(err)
		require.ErrorIs(t, c, persistence.ErrCorrupt)
		var ce *persistence.CorruptError
		require.ErrorAs(t, c, &ce)
		require.Contains(t, c.Error(), "file is not a database", "what SQLite said")
		require.Contains(t, c.Error(), "run gigq check", "what to do")
		require.Equal(t, sqlite.ResultNotADB, sqlite.ErrCode(c).ToPrimary(), "the cause stays reachable")
		require.Same(t, c, persistence.Corrupt(c).(*persistence.CorruptError), "mapped once")
	}

	// SQLITE_CORRUPT: the jobs table's root page zeroed under an open
	// store; its write and its read both say so.
	s := openStore(t, newPath(t), persistence.Options{})
	j := newJob()
	insert(t, s, time.Now(), j)
	require.NoError(t, persistencetest.DamageTable(s.Path(), "jobs"))
	require.NoError(t, s.Begin())
	_, err = s.InsertJobs([]persistence.NewJob{newJob()}, time.Now())
	require.NoError(t, s.Rollback())
	require.ErrorIs(t, err, persistence.ErrCorrupt, "mapped by the store")
	require.Contains(t, err.Error(), "malformed")
	_, err = s.Job(t.Context(), j.ID)
	require.Error(t, err)
	require.ErrorIs(t, persistence.Corrupt(err), persistence.ErrCorrupt)
}

// TestReleaseNode: ReleaseNode puts back to pending the jobs running on
// the node and on its worker nodes, not counting their attempts, leaves
// other nodes' jobs running, and deletes the node's row.
func TestReleaseNode(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPath(t), persistence.Options{})
	raw := openRaw(t, s.Path())
	now := time.Now()
	jobs := []persistence.NewJob{newJob(), newJob(), newJob()}
	insert(t, s, now, jobs...)
	for _, n := range []persistence.Node{
		{ID: "a", Host: "h", PID: 1, StartedAt: now, LastSeen: now},
		{ID: "b", Host: "h", PID: 2, StartedAt: now, LastSeen: now},
		{ID: "r", Host: "h2", StartedAt: now, LastSeen: now, Primary: "a"},
	} {
		write(t, s, func() error {
			if n.Primary != "" {
				return s.RegisterRemoteNode(n)
			}
			return s.RegisterNode(n)
		})
	}
	for i, w := range []string{"a", "r", "b"} {
		write(t, s, func() error {
			_, err := s.Claim(persistence.Claim{JobID: jobs[i].ID, ExecutionID: persistence.ExecutionID(fmt.Sprint("e", i)), WorkerID: w})
			return err
		})
	}
	var out []persistence.Reclaimed
	write(t, s, func() (err error) { out, err = s.ReleaseNode("a", "interrupted: test"); return err })
	require.Len(t, out, 2)
	for i, want := range []persistence.Status{persistence.StatusPending, persistence.StatusPending, persistence.StatusRunning} {
		require.Equal(t, string(want), queryText(t, raw, `SELECT status FROM jobs WHERE id = ?`, string(jobs[i].ID)))
	}
	require.Zero(t, queryInt(t, raw, `SELECT attempts FROM jobs WHERE id = ?`, string(jobs[0].ID)))
	require.Equal(t, "interrupted: test", queryText(t, raw, `SELECT error FROM job_executions WHERE id = 'e1'`))
	require.Zero(t, queryInt(t, raw, `SELECT count(*) FROM nodes WHERE id = 'a'`))
	require.EqualValues(t, 2, queryInt(t, raw, `SELECT count(*) FROM nodes`))
}

// TestCorruptCause: Cause keeps SQLite's words and drops the operations
// that wrapped them.
func TestCorruptCause(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf("%08192d", 7)), 0o600))
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadOnly)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	raw := sqlitex.ExecuteTransient(conn, `SELECT 1 FROM sqlite_schema`, nil)
	var ce *persistence.CorruptError
	require.ErrorAs(t, persistence.Corrupt(fmt.Errorf("insert job 1: %w", raw)), &ce)
	cause := ce.Cause()
	require.ErrorIs(t, cause, persistence.ErrCorrupt)
	require.NotContains(t, cause.Error(), "insert job 1")
	require.Contains(t, cause.Error(), "file is not a database")
}
