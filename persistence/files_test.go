package persistence_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/internal/testdb"
	"github.com/gigq-go/gigq/persistence"
)

// notGigqFiles are the files Open must refuse, each with what the refusal
// says of it.
var notGigqFiles = []struct {
	name  string
	build func(t testing.TB, path string)
	kind  persistence.FileKind
	says  []string
}{
	{"ForeignWithJobs", func(t testing.TB, p string) { testdb.Foreign(t, p, true) }, persistence.FileForeign,
		[]string{"an SQLite database of another program (application_id 0x00000000, tables: companies, jobs)", "--db"}},
	{"ForeignWithoutJobs", func(t testing.TB, p string) { testdb.Foreign(t, p, false) }, persistence.FileForeign,
		[]string{"an SQLite database of another program (application_id 0x00000000, user_version 7, tables: notes, tags)"}},
	{"OtherApplicationID", func(t testing.TB, p string) { testdb.Exec(t, p, "PRAGMA application_id = 305419896") }, persistence.FileForeign,
		[]string{"application_id 0x12345678, tables: none"}},
	{"GigQPython", func(t testing.TB, p string) {
		testdb.GigQPython(t, p, [4]string{"add", "tasks", "add", `{"a":1,"b":2}`})
	}, persistence.FileGigQPython,
		[]string{"a GigQ (Python) database (tables: job_executions, jobs)", `"Coming from GigQ (Python)"`, "a file of its own (--db)"}},
	{"RandomBytes", func(t testing.TB, p string) { testdb.RandomBytes(t, p, 8192) }, persistence.FileNotSQLite,
		[]string{"is not an SQLite database", "check the path"}},
	{"ShortRandomBytes", func(t testing.TB, p string) { testdb.RandomBytes(t, p, 40) }, persistence.FileNotSQLite,
		[]string{"is not an SQLite database"}},
	{"Truncated", testdb.Truncated, persistence.FileDamaged,
		[]string{"a damaged SQLite database: the header says", "(truncated)", "run gigq check"}},
	{"ZeroedMetaPage", func(t testing.TB, p string) { testdb.ZeroRootPage(t, p, "gigq_meta", 10) }, persistence.FileDamaged,
		[]string{"a damaged SQLite database", "run gigq check"}},
}

// TestOpenRefusesFilesNotGigqs: another program's database (with a jobs
// table and without), GigQ's, random bytes, a truncated gigq file and one
// whose gigq_meta page is zeroed are refused, for writing and read-only,
// with a message that says what the file is; each is left byte for byte as
// it was, with no -wal or -shm beside it.
func TestOpenRefusesFilesNotGigqs(t *testing.T) {
	t.Parallel()
	for _, tc := range notGigqFiles {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "their.db")
			tc.build(t, path)
			before := testdb.Take(t, path)

			info, err := persistence.Inspect(path)
			require.NoError(t, err)
			require.Equal(t, tc.kind, info.Kind, info.Describe())

			for _, readOnly := range []bool{false, true} {
				s, err := persistence.Open(path, persistence.Options{ReadOnly: readOnly})
				if err == nil {
					_ = s.Close()
				}
				require.ErrorIs(t, err, persistence.ErrNotGigq, "read-only %t", readOnly)
				require.Equal(t, tc.kind == persistence.FileDamaged, errors.Is(err, persistence.ErrCorrupt))
				require.Contains(t, err.Error(), path)
				for _, s := range tc.says {
					require.Contains(t, err.Error(), s)
				}
				testdb.RequireUntouched(t, path, before)
			}
			_, err = persistence.Check(context.Background(), path, false)
			if tc.kind == persistence.FileDamaged {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, persistence.ErrNotGigq)
			}
			testdb.RequireUntouched(t, path, before)
		})
	}
}

// TestOpenNewFilesGetTheApplicationID: a new path, an empty file and an
// SQLite database without tables become gigq databases with gigq's
// application id.
func TestOpenNewFilesGetTheApplicationID(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func(t *testing.T, path string){
		"NewPath":             func(*testing.T, string) {},
		"EmptyFile":           func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, nil, 0o600)) },
		"SQLiteWithoutTables": func(t *testing.T, p string) { testdb.Exec(t, p, "CREATE TABLE t (x); DROP TABLE t") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := newPath(t)
			build(t, path)
			openStore(t, path, persistence.Options{})
			require.Equal(t, int64(persistence.ApplicationID), queryInt(t, openRaw(t, path), "PRAGMA application_id"))
			info, err := persistence.Inspect(path)
			require.NoError(t, err)
			require.Equal(t, persistence.FileGigq, info.Kind)
		})
	}
}

// TestOpenAdoptsAnEarlierGigqDatabase: a gigq database of a release before
// the application id is recognised, opened, given the id, and keeps its
// jobs.
func TestOpenAdoptsAnEarlierGigqDatabase(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	testdb.Legacy(t, path, 3)
	info, err := persistence.Inspect(path)
	require.NoError(t, err)
	require.Equal(t, persistence.FileLegacyGigq, info.Kind)
	require.Zero(t, info.ApplicationID)

	s := openStore(t, path, persistence.Options{})
	jobs, err := s.ListJobs(context.Background(), persistence.ListParams{})
	require.NoError(t, err)
	require.Len(t, jobs, 3)
	require.Equal(t, int64(persistence.ApplicationID), queryInt(t, openRaw(t, path), "PRAGMA application_id"))
}

// TestOpenDamagedJobsPage: a gigq file whose jobs table has a zeroed page
// opens (Open reads only the schema and gigq's small tables: the damage is
// found when the jobs are read, and the runtime stops then), opening and
// closing it changes nothing, and Check reports the damage.
func TestOpenDamagedJobsPage(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	testdb.ZeroRootPage(t, path, "jobs", 200)
	before := testdb.Take(t, path)
	s, err := persistence.Open(path, persistence.Options{})
	require.NoError(t, err)
	_, err = s.ListJobs(context.Background(), persistence.ListParams{})
	require.ErrorContains(t, err, "malformed")
	require.NoError(t, s.Close())
	testdb.RequireUntouched(t, path, before)

	res, err := persistence.Check(context.Background(), path, false)
	require.NoError(t, err)
	require.False(t, res.OK())
	require.NotEmpty(t, res.Problems)
	testdb.RequireUntouched(t, path, before)
}

// TestCheck: a sound gigq database checks ok (full and quick), and a
// truncated one reports what is wrong.
func TestCheck(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	testdb.Gigq(t, path, 50, 100)
	for _, quick := range []bool{false, true} {
		res, err := persistence.Check(context.Background(), path, quick)
		require.NoError(t, err)
		require.True(t, res.OK(), "%v", res.Problems)
	}
	bad := newPath(t)
	testdb.Truncated(t, bad)
	res, err := persistence.Check(context.Background(), bad, false)
	require.NoError(t, err)
	require.False(t, res.OK())
	require.Contains(t, res.Problems[0], "truncated")

	_, err = persistence.Check(context.Background(), filepath.Join(t.TempDir(), "missing.db"), false)
	require.ErrorContains(t, err, "does not exist")
}

// TestOpenReadOnly: a read-only store reads, refuses every write with
// ErrReadOnly, and leaves the database file byte for byte as it was; a
// missing file is an error that names it, and is not created.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	testdb.Gigq(t, path, 3, 10)
	before := testdb.Take(t, path)
	s, err := persistence.Open(path, persistence.Options{ReadOnly: true})
	require.NoError(t, err)
	require.True(t, s.ReadOnly())
	jobs, err := s.ListJobs(context.Background(), persistence.ListParams{})
	require.NoError(t, err)
	require.Len(t, jobs, 3)
	st, err := s.Stats(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, st.Pending)
	require.ErrorIs(t, s.Begin(), persistence.ErrReadOnly)
	require.NoError(t, s.Close())
	require.Equal(t, before.Sum, testdb.Take(t, path).Sum, "the file did not change")

	missing := filepath.Join(t.TempDir(), "missing.db")
	_, err = persistence.Open(missing, persistence.Options{ReadOnly: true})
	require.ErrorContains(t, err, missing)
	require.ErrorContains(t, err, "does not exist")
	_, statErr := os.Stat(missing)
	require.ErrorIs(t, statErr, os.ErrNotExist)

	empty := newPath(t)
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err = persistence.Open(empty, persistence.Options{ReadOnly: true})
	require.ErrorContains(t, err, "no gigq tables yet")
}

// TestBackup: the copy is a gigq database with the same jobs; an existing
// destination is refused unless overwrite, and the source is not the
// destination.
func TestBackup(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	testdb.Gigq(t, path, 7, 10)
	dest := filepath.Join(t.TempDir(), "copy.db")
	res, err := persistence.Backup(context.Background(), path, dest, false)
	require.NoError(t, err)
	require.Equal(t, int64(7), res.Jobs)
	require.Equal(t, dest, res.Dest)
	info, err := persistence.Inspect(dest)
	require.NoError(t, err)
	require.Equal(t, persistence.FileGigq, info.Kind)
	require.Equal(t, info.Size, res.Bytes)

	_, err = persistence.Backup(context.Background(), path, dest, false)
	require.ErrorContains(t, err, "already exists")
	_, err = persistence.Backup(context.Background(), path, dest, true)
	require.NoError(t, err)
	_, err = persistence.Backup(context.Background(), path, path, true)
	require.ErrorContains(t, err, "the database itself")

	s := openStore(t, dest, persistence.Options{})
	jobs, err := s.ListJobs(context.Background(), persistence.ListParams{})
	require.NoError(t, err)
	require.Len(t, jobs, 7)
	entries, err := os.ReadDir(filepath.Dir(dest))
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), ".partial", "no temporary file is left")
	}
}
