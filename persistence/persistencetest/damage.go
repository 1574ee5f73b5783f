package persistencetest

import (
	"fmt"
	"os"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// DamageTable zeroes the root page of the named table (or index) in the
// database at path, while other connections, a node's among them, have it
// open: the damage a failing disk or a stray write leaves. It copies the
// log into the file first (so no newer copy of the page hides the damage),
// then commits a harmless write, so every open connection drops the pages
// it cached and reads the damaged one from the file.
func DamageTable(path, table string) error {
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenWAL)
	if err != nil {
		return fmt.Errorf("damage %s: %w", path, err)
	}
	defer func() { _ = conn.Close() }()
	conn.SetBlockOnBusy()
	var root, pageSize int64
	if err := sqlitex.ExecuteTransient(conn, `SELECT rootpage FROM sqlite_schema WHERE name = ?`, &sqlitex.ExecOptions{
		Args: []any{table}, ResultFunc: func(s *sqlite.Stmt) error { root = s.ColumnInt64(0); return nil },
	}); err != nil {
		return fmt.Errorf("damage %s: find %s: %w", path, table, err)
	}
	if root == 0 {
		return fmt.Errorf("damage %s: no table or index %q", path, table)
	}
	if err := sqlitex.ExecuteTransient(conn, `PRAGMA page_size`, &sqlitex.ExecOptions{
		ResultFunc: func(s *sqlite.Stmt) error { pageSize = s.ColumnInt64(0); return nil },
	}); err != nil {
		return fmt.Errorf("damage %s: %w", path, err)
	}
	// A reader of the node may hold the log for a moment: try again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, log, copied int64
		if err := sqlitex.ExecuteTransient(conn, `PRAGMA wal_checkpoint(TRUNCATE)`, &sqlitex.ExecOptions{
			ResultFunc: func(s *sqlite.Stmt) error {
				busy, log, copied = s.ColumnInt64(0), s.ColumnInt64(1), s.ColumnInt64(2)
				return nil
			},
		}); err != nil {
			return fmt.Errorf("damage %s: checkpoint: %w", path, err)
		}
		if busy == 0 && log == copied {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("damage %s: the log could not be checkpointed (busy %d, %d of %d pages copied)", path, busy, copied, log)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("damage %s: %w", path, err)
	}
	if _, err := f.WriteAt(make([]byte, pageSize), (root-1)*pageSize); err != nil {
		_ = f.Close()
		return fmt.Errorf("damage %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("damage %s: %w", path, err)
	}
	if err := sqlitex.ExecuteTransient(conn, `UPDATE gigq_meta SET value = value WHERE key = 'workflow_seq'`, nil); err != nil {
		return fmt.Errorf("damage %s: the write that invalidates caches: %w", path, err)
	}
	return nil
}
