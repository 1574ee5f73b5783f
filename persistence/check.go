package persistence

import (
	"context"
	"fmt"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// CheckResult is what Check found.
type CheckResult struct {
	// Info is what the file looks like (Inspect).
	Info *FileInfo
	// Problems are the lines SQLite's integrity check reported, or why
	// the file could not be read; none when the database is sound.
	Problems []string
}

// OK reports whether the check found nothing wrong.
func (r *CheckResult) OK() bool { return len(r.Problems) == 0 }

// Check runs SQLite's integrity check (PRAGMA integrity_check, or the
// faster quick_check, which skips checking that indexes match their
// tables) on a gigq database, on a read-only connection: it never changes
// the file, and runs beside nodes that use it. A file that is not a gigq
// database gives a *FileError that says what it is; a damaged one (found
// before the check, or by it) a result with Problems.
func Check(ctx context.Context, path string, quick bool) (*CheckResult, error) {
	info, err := Inspect(path)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{Info: info}
	var conn *sqlite.Conn
	switch info.Kind {
	case FileGigq, FileLegacyGigq:
		conn, err = openQueryConn(path, info, true)
	case FileDamaged:
		res.Problems = append(res.Problems, info.Detail)
		// Read what SQLite can, without locks or -wal/-shm files when no
		// log holds commits: nothing gigq runs on a damaged file.
		conn, err = openReadConn(path, !nonEmpty(path+"-wal"))
	case FileNew:
		if !info.Exists {
			return nil, fmt.Errorf("check %s: the file does not exist: check the path", path)
		}
		return nil, fmt.Errorf("check %s: it is %s, not a gigq database yet", path, info.Describe())
	default:
		return nil, &FileError{Info: info}
	}
	if err != nil {
		if !isCorrupt(err) {
			return nil, fmt.Errorf("check %s: %w", path, interpretError(err))
		}
		res.Problems = append(res.Problems, "SQLite cannot read it: "+sqliteMessage(err))
		return res, nil
	}
	defer conn.Close()
	conn.SetInterrupt(ctx.Done())
	pragma := "PRAGMA integrity_check"
	if quick {
		pragma = "PRAGMA quick_check"
	}
	var lines []string
	err = sqlitex.ExecuteTransient(conn, pragma, &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { lines = append(lines, stmt.ColumnText(0)); return nil },
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		if !isCorrupt(err) {
			return nil, fmt.Errorf("check %s: %w", path, interpretError(err))
		}
		res.Problems = append(res.Problems, "the check stopped: "+sqliteMessage(err))
	}
	if len(lines) != 1 || lines[0] != "ok" {
		res.Problems = append(res.Problems, lines...)
	}
	return res, nil
}
