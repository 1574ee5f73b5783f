package persistence

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered SQL file from migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order. Files are
// named NNNN_description.sql.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and an underscore", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies every embedded migration newer than the database's
// version, all in one transaction, and returns the versions it applied.
// A database written by a newer gigq (a version we do not know) is refused.
func migrate(conn *sqlite.Conn, now time.Time) (applied []int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	// An up-to-date file (the usual case) needs no write lock: a process
	// that opens it while others write (gigq submit beside busy workers)
	// does not queue for the lock only to find nothing to do.
	if v, err := schemaVersion(conn); err == nil && v == ms[len(ms)-1].version {
		return nil, nil
	}
	if err := sqlitex.ExecuteTransient(conn, "BEGIN IMMEDIATE", nil); err != nil {
		return nil, fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = sqlitex.ExecuteTransient(conn, "ROLLBACK", nil)
		}
	}()
	if err := sqlitex.ExecuteTransient(conn,
		`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`, nil); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	current := 0
	if err := sqlitex.ExecuteTransient(conn, `SELECT coalesce(max(version), 0) FROM schema_migrations`, &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { current = stmt.ColumnInt(0); return nil },
	}); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return nil, fmt.Errorf("database schema version %d is newer than this gigq knows (%d): upgrade gigq", current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := sqlitex.ExecuteScript(conn, m.sql, nil); err != nil {
			return nil, fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		if err := sqlitex.Execute(conn, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			&sqlitex.ExecOptions{Args: []any{m.version, m.name, formatTime(now)}}); err != nil {
			return nil, fmt.Errorf("record migration %s: %w", m.name, err)
		}
		applied = append(applied, m.version)
	}
	if err := sqlitex.ExecuteTransient(conn, "COMMIT", nil); err != nil {
		return nil, fmt.Errorf("commit migrations: %w", err)
	}
	return applied, nil
}

// schemaVersion reads the newest applied migration without a write lock
// (0 when none was applied).
func schemaVersion(conn *sqlite.Conn) (int, error) {
	v := 0
	err := sqlitex.ExecuteTransient(conn, `SELECT coalesce(max(version), 0) FROM schema_migrations`, &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { v = stmt.ColumnInt(0); return nil },
	})
	return v, err
}
