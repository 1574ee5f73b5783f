// Package testdb builds, for gigq's tests, the database files gigq must
// recognise without changing them: another program's SQLite database,
// GigQ's (Python), random bytes, a truncated or damaged gigq database, and
// a gigq database of an earlier release; and it fingerprints a file, to
// check that an attempt left it byte for byte as it was.
//
// Package testdb is internal, for gigq's own tests.
package testdb

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq/persistence"
)

// Exec runs statements on a connection of its own (rollback journal, as
// most programs leave their files), creating the file if needed.
func Exec(t testing.TB, path string, stmts ...string) {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenCreate)
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close()) }()
	for _, s := range stmts {
		require.NoError(t, sqlitex.ExecuteScript(conn, s, nil), s)
	}
}

// Foreign writes another program's SQLite database: with a table named
// jobs (not gigq's) when withJobs, else with tables of other names.
func Foreign(t testing.TB, path string, withJobs bool) {
	t.Helper()
	if withJobs {
		Exec(t, path, `CREATE TABLE jobs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, salary INTEGER);
			CREATE TABLE companies (id INTEGER PRIMARY KEY, name TEXT);
			INSERT INTO jobs (title, salary) VALUES ('welder', 50000), ('baker', 40000);
			INSERT INTO companies (name) VALUES ('acme');`)
		return
	}
	Exec(t, path, `PRAGMA user_version = 7;
		CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
		CREATE TABLE tags (note INTEGER, tag TEXT);
		INSERT INTO notes (body) VALUES ('buy milk');`)
}

// GigQPython writes a database of GigQ 0.5.1, the Python job queue, with
// its published schema (gigq/job_queue.py and docs/advanced/sqlite-schema.md
// of GigQ: the jobs table with function_name and function_module, and
// job_executions) and the given pending jobs, each {name, function_module,
// function_name, params JSON}.
func GigQPython(t testing.TB, path string, jobs ...[4]string) {
	t.Helper()
	Exec(t, path, `CREATE TABLE IF NOT EXISTS jobs (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL,
			function_name TEXT NOT NULL,
			function_module TEXT NOT NULL,
			params TEXT,
			priority INTEGER DEFAULT 0,
			dependencies TEXT,
			max_attempts INTEGER DEFAULT 3,
			timeout INTEGER DEFAULT 300,
			description TEXT,
			status TEXT NOT NULL,
			created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL,
			attempts INTEGER DEFAULT 0,
			result TEXT,
			error TEXT,
			started_at TEXT,
			completed_at TEXT,
			worker_id TEXT,
			pass_parent_results INTEGER,
			retry_delay INTEGER DEFAULT 0,
			retry_after TEXT
		);
		CREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs (status);
		CREATE INDEX IF NOT EXISTS idx_jobs_priority ON jobs (priority);
		CREATE TABLE IF NOT EXISTS job_executions (
			id TEXT PRIMARY KEY,
			job_id TEXT NOT NULL,
			worker_id TEXT NOT NULL,
			status TEXT NOT NULL,
			started_at TEXT NOT NULL,
			completed_at TEXT,
			result TEXT,
			error TEXT,
			FOREIGN KEY (job_id) REFERENCES jobs (id)
		);`)
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close()) }()
	for i, j := range jobs {
		at := time.Date(2025, 1, 2, 3, 4, i, 0, time.UTC).Format("2006-01-02T15:04:05.000000")
		require.NoError(t, sqlitex.Execute(conn, `INSERT INTO jobs (id, name, function_name, function_module, params,
			priority, dependencies, max_attempts, timeout, description, status, created_at, updated_at, attempts)
			VALUES (?, ?, ?, ?, ?, 0, '[]', 3, 300, '', 'pending', ?, ?, 0)`,
			&sqlitex.ExecOptions{Args: []any{uuid.NewString(), j[0], j[2], j[1], j[3], at, at}}))
	}
}

// RandomBytes writes n random bytes.
func RandomBytes(t testing.TB, path string, n int) {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// Gigq writes a closed gigq database with n pending jobs of the echo
// task, each with params of about size bytes.
func Gigq(t testing.TB, path string, n, size int) {
	t.Helper()
	s, err := persistence.Open(path, persistence.Options{})
	require.NoError(t, err)
	jobs := make([]persistence.NewJob, n)
	params := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", size))
	for i := range jobs {
		jobs[i] = persistence.NewJob{ID: persistence.JobID(uuid.Must(uuid.NewV7()).String()), Name: "echo", Function: "echo",
			Params: []byte(params), MaxAttempts: 3, Timeout: time.Minute}
	}
	require.NoError(t, s.Begin())
	require.NoError(t, s.Do(func() error { _, err := s.InsertJobs(jobs, time.Now()); return err }))
	require.NoError(t, s.Commit())
	require.NoError(t, s.Close())
}

// Legacy writes a gigq database as an earlier release left it: gigq's
// tables, application id 0.
func Legacy(t testing.TB, path string, n int) {
	t.Helper()
	Gigq(t, path, n, 10)
	Exec(t, path, "PRAGMA application_id = 0")
}

// Truncated writes a gigq database of many pages and cuts it to half its
// size.
func Truncated(t testing.TB, path string) {
	t.Helper()
	Gigq(t, path, 200, 2000)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, st.Size()/2))
}

// ZeroRootPage writes a gigq database with n jobs and zeroes the root page
// of table (gigq_meta: read at every open; jobs: read by every query of
// jobs).
func ZeroRootPage(t testing.TB, path, table string, n int) {
	t.Helper()
	Gigq(t, path, n, 500)
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite) // the last to close, it removes -wal and -shm
	require.NoError(t, err)
	var root int64
	err = sqlitex.Execute(conn, `SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?`, &sqlitex.ExecOptions{
		Args: []any{table}, ResultFunc: func(stmt *sqlite.Stmt) error { root = stmt.ColumnInt64(0); return nil }})
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	require.Greater(t, root, int64(1), "table %s", table)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pageSize := int64(binary.BigEndian.Uint16(b[16:18]))
	start := (root - 1) * pageSize
	clear(b[start : start+pageSize])
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// Fingerprint is a file's sha256 and the names in its folder.
type Fingerprint struct {
	Sum   string
	Names []string
}

// Take fingerprints the file at path.
func Take(t testing.TB, path string) Fingerprint {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return Fingerprint{Sum: hex.EncodeToString(sum[:]), Names: names}
}

// RequireUntouched requires the file to be byte for byte as fingerprinted,
// with nothing new beside it (no -wal, no -shm).
func RequireUntouched(t testing.TB, path string, before Fingerprint) {
	t.Helper()
	after := Take(t, path)
	require.Equal(t, before.Sum, after.Sum, "%s changed", path)
	require.Equal(t, before.Names, after.Names, "files beside %s (no -wal or -shm may be left)", path)
}
