package persistence

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
)

// openTest opens a store on a new file, closed when the test ends.
func openTest(t *testing.T, opts Options) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "gigq.db"), opts)
}

// openAt opens a store on path, closed when the test ends.
func openAt(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// column runs q on conn and returns the text of the given column of each
// row. Parameters of q are left unbound (NULL).
func column(t *testing.T, conn *sqlite.Conn, q string, col int) []string {
	t.Helper()
	stmt, _, err := conn.PrepareTransient(q)
	require.NoError(t, err, q)
	defer func() { require.NoError(t, stmt.Finalize()) }()
	var out []string
	for {
		ok, err := stmt.Step()
		require.NoError(t, err, q)
		if !ok {
			return out
		}
		out = append(out, stmt.ColumnText(col))
	}
}

// pragma reads one pragma's value as text.
func pragma(t *testing.T, conn *sqlite.Conn, name string) string {
	t.Helper()
	v := column(t, conn, "PRAGMA "+name, 0)
	require.Len(t, v, 1, name)
	return v[0]
}
