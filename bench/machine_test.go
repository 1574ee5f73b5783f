package bench_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/bench"
)

// TestSQLiteVersion reads the version from an in-memory connection: it
// looks like N.N.N and leaves no file in the working directory.
func TestSQLiteVersion(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	v, err := bench.SQLiteVersion()
	require.NoError(t, err)
	require.Regexp(t, `^3\.\d+\.\d+$`, v)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "SQLiteVersion created files")
}
