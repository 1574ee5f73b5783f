package persistence_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// TestOpenNotADatabase: a file that is not SQLite is refused with a clear
// error and left byte for byte as it was, with no -wal or -shm beside it.
func TestOpenNotADatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "notes.txt")
	content := []byte("these are my notes, not a job queue\n")
	require.NoError(t, os.WriteFile(path, content, 0o600))

	_, err := persistence.Open(path, persistence.Options{})
	require.ErrorContains(t, err, "not an SQLite database")

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, content, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no -wal or -shm file was created")
}
