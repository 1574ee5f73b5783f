package persistence_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func TestOpenCreatesWALDatabase(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	s := openStore(t, path, persistence.Options{})
	require.Equal(t, path, s.Path())
	require.Equal(t, persistence.SyncNormal, s.Sync(), "the default")

	// journal_mode is stored in the file: a fresh connection sees it.
	raw := openRaw(t, path)
	require.Equal(t, "wal", queryText(t, raw, `PRAGMA journal_mode`))

	full := openStore(t, newPath(t), persistence.Options{Sync: persistence.SyncFull})
	require.Equal(t, persistence.SyncFull, full.Sync())
}

func TestOpenRefusesBadOptions(t *testing.T) {
	t.Parallel()

	t.Run("BadSync", func(t *testing.T) {
		t.Parallel()
		path := newPath(t)
		_, err := persistence.Open(path, persistence.Options{Sync: "sometimes"})
		require.Error(t, err)
		require.Contains(t, err.Error(), `"sometimes"`)
		require.Contains(t, err.Error(), "normal, full")
		_, statErr := os.Stat(path)
		require.ErrorIs(t, statErr, os.ErrNotExist, "nothing is created")
	})

	t.Run("MissingDirectory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "missing")
		_, err := persistence.Open(filepath.Join(dir, "gigq.db"), persistence.Options{})
		require.Error(t, err)
		require.Contains(t, err.Error(), dir)
		require.Contains(t, err.Error(), "does not exist")
		_, statErr := os.Stat(dir)
		require.ErrorIs(t, statErr, os.ErrNotExist, "the directory is not created")
	})

	t.Run("EmptyPath", func(t *testing.T) {
		t.Parallel()
		_, err := persistence.Open("", persistence.Options{})
		require.Error(t, err)
		require.Contains(t, err.Error(), "empty database path")
	})
}

// TestBusy: a write lock held by another store longer than the busy
// timeout gives ErrBusy, and the write can be retried once it is free.
func TestBusy(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	holder := openStore(t, path, persistence.Options{})
	waiter := openStore(t, path, persistence.Options{BusyTimeout: 20 * time.Millisecond})

	require.NoError(t, holder.Begin())
	err := waiter.Begin()
	require.ErrorIs(t, err, persistence.ErrBusy)
	require.NoError(t, holder.Commit())

	insert(t, waiter, time.Now(), newJob())
}

// TestOpenNewFileTwiceAtOnce: two stores (two processes, in gigq: a worker
// and a submit started together) that create the same new file at once
// both open it. SQLite answers one of them "database is locked" without
// waiting while the other switches the file to WAL; Open tries again.
func TestOpenNewFileTwiceAtOnce(t *testing.T) {
	t.Parallel()
	for range 10 {
		path := newPath(t)
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				s, err := persistence.Open(path, persistence.Options{})
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		require.NoError(t, <-errs)
		require.NoError(t, <-errs)
	}
}
