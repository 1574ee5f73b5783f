package persistence

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// TestPragmas checks the write connection's pragmas. synchronous,
// foreign_keys and busy_timeout belong to a connection, so they are read
// from the store's own.
func TestPragmas(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		opts        Options
		synchronous string
		busy        string
	}{
		{"Default", Options{}, "1", "5000"},
		{"SyncNormal", Options{Sync: SyncNormal, BusyTimeout: 250 * time.Millisecond}, "1", "250"},
		{"SyncFull", Options{Sync: SyncFull}, "2", "5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, tc.opts)
			require.Equal(t, "wal", pragma(t, s.conn, "journal_mode"))
			require.Equal(t, "1", pragma(t, s.conn, "foreign_keys"))
			require.Equal(t, tc.synchronous, pragma(t, s.conn, "synchronous"))
			require.Equal(t, tc.busy, pragma(t, s.conn, "busy_timeout"))
			require.Equal(t, "10000", pragma(t, s.conn, "wal_autocheckpoint"), "the checkpointer does the work")
		})
	}
}

// TestReadPoolIsReadOnly: the pool's connections read the WAL database
// and cannot write to it.
func TestReadPoolIsReadOnly(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	err := s.read(t.Context(), func(conn *sqlite.Conn) error {
		require.Equal(t, "wal", pragma(t, conn, "journal_mode"))
		require.Equal(t, []string{"ready_seq", "schedules_seq", "workflow_seq"}, column(t, conn, `SELECT key FROM gigq_meta ORDER BY key`, 0))
		return sqlitex.ExecuteTransient(conn, `UPDATE gigq_meta SET value = value + 1`, nil)
	})
	require.Error(t, err)
	require.Equal(t, sqlite.ResultReadOnly, sqlite.ErrCode(err).ToPrimary())
}
