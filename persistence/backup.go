package persistence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// BackupResult says what Backup copied.
type BackupResult struct {
	Dest  string // the copy
	Bytes int64  // its size
	Jobs  int64  // the jobs in it
}

// Backup writes a consistent copy of the gigq database at path to dest,
// while nodes may be writing to it: SQLite's VACUUM INTO, run in one read
// transaction on a read-only connection, so the copy is the database as
// of one commit, compacted. The copy is written beside dest under a
// temporary name, synced, checked to open as a gigq database, and only
// then renamed to dest. An existing dest is refused unless overwrite.
func Backup(ctx context.Context, path, dest string, overwrite bool) (_ *BackupResult, err error) {
	info, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	switch info.Kind {
	case FileGigq, FileLegacyGigq:
	case FileNew:
		return nil, fmt.Errorf("back up %s: it is %s, not a gigq database: check the path", path, info.Describe())
	default:
		return nil, &FileError{Info: info}
	}
	if same, err := sameFile(path, dest); err != nil || same {
		if err == nil {
			err = errors.New("it is the database itself: give another path")
		}
		return nil, fmt.Errorf("back up %s to %s: %w", path, dest, err)
	}
	if _, err := os.Lstat(dest); err == nil && !overwrite {
		return nil, fmt.Errorf("back up %s: %s already exists: give another path, or overwrite it (--force)", path, dest)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), filepath.Base(dest)+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", path, err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close() // VACUUM INTO writes into an empty file
	defer func() {
		if err != nil {
			_ = os.Remove(tmpPath)
		}
	}()
	conn, err := openQueryConn(path, info, false)
	if err != nil {
		return nil, fmt.Errorf("back up %s: %w", path, damaged(path, err))
	}
	defer conn.Close()
	conn.SetBusyTimeout(defaultBusyTimeout)
	conn.SetInterrupt(ctx.Done())
	if err := sqlitex.Execute(conn, "VACUUM INTO ?", &sqlitex.ExecOptions{Args: []any{tmpPath}}); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("back up %s: %w", path, damaged(path, err))
	}
	if err := syncFile(tmpPath); err != nil {
		return nil, fmt.Errorf("back up %s: %w", path, err)
	}
	res, err := verifyCopy(tmpPath)
	if err != nil {
		return nil, fmt.Errorf("back up %s: the copy does not open: %w", path, err)
	}
	if _, err := os.Lstat(dest); err == nil && !overwrite {
		return nil, fmt.Errorf("back up %s: %s already exists: give another path, or overwrite it (--force)", path, dest)
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return nil, fmt.Errorf("back up %s: %w", path, err)
	}
	res.Dest = dest
	_ = syncFile(filepath.Dir(dest)) // the rename, on filesystems that sync folders
	return res, nil
}

// sameFile reports whether dest is the file at path.
func sameFile(path, dest string) (bool, error) {
	a, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	b, err := os.Stat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// verifyCopy checks that a copy is a gigq database and counts its jobs.
func verifyCopy(path string) (*BackupResult, error) {
	info, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	if info.Kind != FileGigq && info.Kind != FileLegacyGigq {
		return nil, &FileError{Info: info}
	}
	conn, err := openReadConn(path, true)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res := &BackupResult{Bytes: info.Size}
	err = sqlitex.ExecuteTransient(conn, "SELECT count(*) FROM jobs", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { res.Jobs = stmt.ColumnInt64(0); return nil },
	})
	return res, err
}

// syncFile flushes a file, or a folder's entries, to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
