package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/testdb"
)

// TestFilesNotGigqs: on another program's database (with a jobs table and
// without), a GigQ (Python) one, random bytes, a truncated gigq file and
// one with a zeroed page, gigq check and every other command exit 1 with
// a message that says what the file is; the file is left byte for byte as
// it was, with no -wal or -shm beside it.
func TestFilesNotGigqs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		build func(testing.TB, string)
		says  string
	}{
		{"ForeignWithJobs", func(t testing.TB, p string) { testdb.Foreign(t, p, true) }, "is an SQLite database of another program (application_id 0x00000000, tables: companies, jobs)"},
		{"ForeignWithoutJobs", func(t testing.TB, p string) { testdb.Foreign(t, p, false) }, "is an SQLite database of another program"},
		{"GigQPython", func(t testing.TB, p string) { testdb.GigQPython(t, p, [4]string{"add", "tasks", "add", `{}`}) }, `is a GigQ (Python) database (tables: job_executions, jobs), not gigq's: gigq left it untouched. gigq needs a file of its own (--db)`},
		{"RandomBytes", func(t testing.TB, p string) { testdb.RandomBytes(t, p, 4096) }, "is not an SQLite database"},
		{"Truncated", testdb.Truncated, "is a damaged SQLite database: the header says"},
		{"ZeroedMetaPage", func(t testing.TB, p string) { testdb.ZeroRootPage(t, p, "gigq_meta", 10) }, "is a damaged SQLite database: database disk image is malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "their.db")
			tc.build(t, db)
			before := testdb.Take(t, db)
			damaged := strings.Contains(tc.says, "damaged")
			for _, args := range [][]string{{"stats"}, {"list"}, {"status", "x"}, {"submit", "echo"}, {"worker", "--once"}, {"backup", db + ".copy"}} {
				r := runCLI(t, append(args, "--db", db)...)
				require.Equal(t, exitRuntime, r.code, "%v: %s", args, r.stderr)
				require.Empty(t, r.stdout)
				require.Contains(t, r.stderr, "gigq: "+db+" "+tc.says, "%v", args)
				if damaged {
					require.Contains(t, r.stderr, "run gigq check --db "+db)
				}
				testdb.RequireUntouched(t, db, before)
			}
			r := runCLI(t, "check", "--db", db)
			require.Equal(t, exitRuntime, r.code, r.stderr)
			if damaged {
				require.Contains(t, r.stdout, "malformed", "what SQLite reported")
				require.Contains(t, r.stderr, "gigq: "+db+" is damaged: SQLite reported the problems above")
			} else {
				require.Empty(t, r.stdout)
				require.Contains(t, r.stderr, "gigq: "+db+" "+tc.says)
			}
			testdb.RequireUntouched(t, db, before)
		})
	}
}

// TestCheckCLI: gigq check prints ok and exits 0 on a sound database (and
// leaves no -wal or -shm behind); on a gigq file with a zeroed page of
// jobs, which opens (the damage is in a page only a read of jobs
// touches), it prints what SQLite reported and exits 1, with and without
// --quick, leaving the file as it was.
func TestCheckCLI(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	testdb.Gigq(t, db, 20, 100)
	before := testdb.Take(t, db)
	require.Equal(t, "ok\n", gigqOK(t, db, "check"))
	require.Equal(t, "ok\n", gigqOK(t, db, "check", "--quick"))
	testdb.RequireUntouched(t, db, before)

	bad := newDB(t)
	testdb.ZeroRootPage(t, bad, "jobs", 200)
	before = testdb.Take(t, bad)
	for _, args := range [][]string{{"check"}, {"check", "--quick"}} {
		r := runCLI(t, append(args, "--db", bad)...)
		require.Equal(t, exitRuntime, r.code, r.stderr)
		require.Regexp(t, `(?i)page|tree|malformed`, r.stdout)
		require.Contains(t, r.stderr, "is damaged")
		testdb.RequireUntouched(t, bad, before)
	}

	r := runCLI(t, "check", "--db", filepath.Join(t.TempDir(), "missing.db"))
	require.Equal(t, exitRuntime, r.code)
	require.Contains(t, r.stderr, "does not exist")
}

// TestAdoptsEarlierGigqDatabase: a gigq database of an earlier release
// (no application id) opens through the CLI, keeps its jobs and gets the
// id.
func TestAdoptsEarlierGigqDatabase(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	testdb.Legacy(t, db, 4)
	require.Equal(t, gigq.Stats{Pending: 4, Total: 4}, stats(t, db))
	conn := openRO(t, db)
	require.Equal(t, gigq.ApplicationID, queryInt(t, conn, "PRAGMA application_id"))
}

// TestBackupWhileWorkerRuns: gigq backup, taken while a gigq worker
// process runs 5,000 jobs, gives a copy that gigq check finds sound, that
// opens, and that holds the 5,000 jobs with as many completed as the
// source had at some moment during the backup.
func TestBackupWhileWorkerRuns(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	const n = 5000
	submitMany(t, db, n, "echo", map[string]any{"m": "x"}, nil)
	w := startWorker(t, bin, db, "--concurrency", "4")
	low := waitStats(t, bin, db, 60*time.Second, "the worker started", func(s gigq.Stats) bool { return s.Completed > 0 })

	dest := filepath.Join(t.TempDir(), "copy.db")
	out := string(binOutput(t, bin, "backup", dest, "--db", db))
	require.Regexp(t, `^Copied .* to `+dest+`: 5000 jobs, \d+ bytes\.\n$`, out)
	high := binStats(t, bin, db)

	require.Equal(t, "ok\n", string(binOutput(t, bin, "check", "--db", dest)))
	copied := binStats(t, bin, dest)
	require.Equal(t, n, copied.Total)
	require.GreaterOrEqual(t, copied.Completed, low.Completed)
	require.LessOrEqual(t, copied.Completed, high.Completed)
	require.Equal(t, n, copied.Pending+copied.Running+copied.Completed, "%+v", copied)

	var jobs []map[string]any
	require.NoError(t, json.Unmarshal(binOutput(t, bin, "list", "--limit", "1", "--json", "--db", dest), &jobs))
	require.Len(t, jobs, 1)

	r := runCLI(t, "backup", dest, "--db", db)
	require.Equal(t, exitRuntime, r.code)
	require.Contains(t, r.stderr, "already exists")
	waitStats(t, bin, db, 60*time.Second, "every job completed", func(s gigq.Stats) bool { return s.Completed == n })
	require.NoError(t, w.cmd.Process.Signal(os.Interrupt))
	require.Equal(t, 0, w.wait(t, 30*time.Second), w.stderr.String())
}

// TestCheckBackupUsage: wrong arguments to check and backup exit 2, and
// both commands are listed in the help.
func TestCheckBackupUsage(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{{"check", "extra"}, {"check", "--bogus"}, {"backup"}, {"backup", "a", "b"}} {
		r := runCLI(t, append(args, "--db", db)...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "--help", args)
	}
	r := runCLI(t, "--help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "check       Check the database file for damage")
	require.Contains(t, r.stdout, "backup      Copy the database to PATH")
	require.NoFileExists(t, db, "usage errors open nothing")
}
