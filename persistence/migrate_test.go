package persistence

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

func TestMigrationsAreNumberedFromOne(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	for i, m := range ms {
		require.Equal(t, i+1, m.version, "migration %s: versions are 1, 2, 3... with no gap", m.name)
		require.Regexp(t, fmt.Sprintf(`^%04d_[a-z0-9_]+\.sql$`, m.version), m.name)
		require.NotEmpty(t, m.sql)
	}
}

// TestMigrateIsIdempotent: opening applies the migrations once, records
// them, and opening again applies nothing and keeps the data.
func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gigq.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	versions, names := embeddedMigrations(t)
	require.Equal(t, versions, column(t, s.conn, `SELECT version FROM schema_migrations ORDER BY version`, 0))
	require.Equal(t, names, column(t, s.conn, `SELECT name FROM schema_migrations ORDER BY version`, 0))
	appliedAt := column(t, s.conn, `SELECT applied_at FROM schema_migrations`, 0)

	applied, err := migrate(s.conn, time.Now())
	require.NoError(t, err)
	require.Empty(t, applied, "a second run on an open store")

	require.NoError(t, s.Begin())
	require.NoError(t, s.Do(func() error {
		_, err := s.InsertJobs([]NewJob{{ID: "kept", Name: "n", Function: "f", Params: []byte(`{}`), MaxAttempts: 1}}, time.Now())
		return err
	}))
	require.NoError(t, s.Commit())
	require.NoError(t, s.Close())

	s = openAt(t, path, Options{})
	require.Equal(t, appliedAt, column(t, s.conn, `SELECT applied_at FROM schema_migrations`, 0), "nothing applied again")
	require.Equal(t, []string{"kept"}, column(t, s.conn, `SELECT id FROM jobs`, 0))
}

// TestMigrateEmptyFile opens an existing, empty file: the database made by
// no migration at all.
func TestMigrateEmptyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gigq.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	s := openAt(t, path, Options{})
	versions, _ := embeddedMigrations(t)
	require.Equal(t, versions, column(t, s.conn, `SELECT version FROM schema_migrations ORDER BY version`, 0))
}

// TestMigrateRefusesNewerSchema: a database written by a newer gigq is
// refused, and left as it was.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gigq.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	ms, err := loadMigrations()
	require.NoError(t, err)
	newer := ms[len(ms)-1].version + 1
	rawExec(t, path, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 'x')`, newer)

	_, err = Open(path, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "upgrade gigq")
	require.Contains(t, err.Error(), strconv.Itoa(newer))

	raw, err := sqlite.OpenConn(path, sqlite.OpenReadOnly)
	require.NoError(t, err)
	defer func() { require.NoError(t, raw.Close()) }()
	versions, _ := embeddedMigrations(t)
	require.Equal(t, append(versions, strconv.Itoa(newer)), column(t, raw, `SELECT version FROM schema_migrations ORDER BY version`, 0))
}

// TestMigrateIsAllOrNothing: a migration that fails leaves nothing behind,
// not even schema_migrations.
func TestMigrateIsAllOrNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gigq.db")
	// A table the first migration creates, already there in a file of
	// gigq's (its application id): it fails.
	rawExec(t, path, fmt.Sprintf(`PRAGMA application_id = %d`, ApplicationID))
	rawExec(t, path, `CREATE TABLE gigq_meta (key TEXT)`)

	_, err := Open(path, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "0001_init.sql")

	raw, err := sqlite.OpenConn(path, sqlite.OpenReadOnly)
	require.NoError(t, err)
	defer func() { require.NoError(t, raw.Close()) }()
	require.Equal(t, []string{"gigq_meta"}, column(t, raw, `SELECT name FROM sqlite_schema WHERE type = 'table'`, 0))
}

// rawExec runs one statement on a connection of its own.
func rawExec(t *testing.T, path, q string, args ...any) {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenCreate)
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close()) }()
	require.NoError(t, sqlitex.Execute(conn, q, &sqlitex.ExecOptions{Args: args}))
}

// embeddedMigrations lists the versions and file names of the embedded
// migrations, in order.
func embeddedMigrations(t *testing.T) (versions, names []string) {
	t.Helper()
	ms, err := loadMigrations()
	require.NoError(t, err)
	for _, m := range ms {
		versions = append(versions, strconv.Itoa(m.version))
		names = append(names, m.name)
	}
	return versions, names
}
