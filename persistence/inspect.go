package persistence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// ApplicationID is the SQLite application id (PRAGMA application_id, the
// 32-bit big-endian integer at offset 68 of the file's header) of every
// database gigq creates: 0x67696771, "gigq" in ASCII. gigq opens a file
// for writing only when it carries this id, is new or empty, or is a
// database of an earlier gigq (which is then given the id); `file gigq.db`
// and other tools can tell gigq's files by it.
const ApplicationID = 0x67696771

// sqliteMagic opens every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// FileKind is what a database file looks like to gigq, read without
// changing it (Inspect).
type FileKind int

const (
	// FileNew is a file that does not exist yet, is empty (0 bytes), or is
	// an SQLite database without any table and without another program's
	// application id: gigq may create its schema there.
	FileNew FileKind = iota
	// FileGigq is a database with gigq's application id.
	FileGigq
	// FileLegacyGigq is a database of a gigq release from before the
	// application id: gigq's tables and schema_migrations, application id
	// 0. Opening it for writing adopts it (sets the id).
	FileLegacyGigq
	// FileGigQPython is a database of GigQ, the Python job queue: a jobs
	// table with a function_module column.
	FileGigQPython
	// FileForeign is an SQLite database of another program.
	FileForeign
	// FileNotSQLite is a file that is not an SQLite database at all.
	FileNotSQLite
	// FileDamaged is an SQLite database that SQLite cannot read, or whose
	// header does not match its size (a truncated file).
	FileDamaged
)

// FileInfo is what Inspect found.
type FileInfo struct {
	Path          string
	Kind          FileKind
	Exists        bool     // false: the file does not exist
	Size          int64    // bytes of the main file
	ApplicationID uint32   // PRAGMA application_id (SQLite files only)
	UserVersion   int64    // PRAGMA user_version (SQLite files only)
	Tables        []string // the file's tables, sorted (SQLite files only)
	Detail        string   // for FileDamaged: what was wrong, as SQLite or the header said
}

// Describe says in words what the file looks like, for messages.
func (fi *FileInfo) Describe() string {
	switch fi.Kind {
	case FileNew:
		if !fi.Exists {
			return "a file that does not exist"
		}
		if fi.Size == 0 {
			return "an empty file"
		}
		return "an empty SQLite database"
	case FileGigq:
		return "a gigq database"
	case FileLegacyGigq:
		return "a gigq database of an earlier release"
	case FileGigQPython:
		return fmt.Sprintf("a GigQ (Python) database (tables: %s)", tableList(fi.Tables))
	case FileForeign:
		uv := ""
		if fi.UserVersion != 0 {
			uv = fmt.Sprintf(", user_version %d", fi.UserVersion)
		}
		return fmt.Sprintf("an SQLite database of another program (application_id 0x%08x%s, tables: %s)", fi.ApplicationID, uv, tableList(fi.Tables))
	case FileNotSQLite:
		return "not an SQLite database"
	case FileDamaged:
		return "a damaged SQLite database: " + fi.Detail
	}
	return "an unknown kind of file"
}

// tableList lists up to 8 table names.
func tableList(tables []string) string {
	if len(tables) == 0 {
		return "none"
	}
	if len(tables) > 8 {
		return strings.Join(tables[:8], ", ") + fmt.Sprintf(" and %d more", len(tables)-8)
	}
	return strings.Join(tables, ", ")
}

// gigqTables are tables every gigq schema has had since its first
// migration.
var gigqTables = []string{"gigq_meta", "job_executions", "jobs", "schema_migrations"}

// Inspect reads what the file at path is without changing a byte of it:
// its header with a plain read, then, when it is SQLite, its schema and
// application id on a read-only connection. With no -wal file beside it
// that connection opens the file as immutable (no locks, no -wal or -shm
// created); with one, it reads through the log as any reader does, so that
// commits not yet copied back into the file are seen.
func Inspect(path string) (*FileInfo, error) {
	fi := &FileInfo{Path: path}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fi, nil
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("%s is a directory: give the path of a database file in it, e.g. %s", path, filepath.Join(path, "gigq.db"))
	}
	fi.Exists, fi.Size = true, st.Size()
	if fi.Size == 0 {
		return fi, nil
	}
	header, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(header, []byte(sqliteMagic)) {
		fi.Kind = FileNotSQLite
		return fi, nil
	}
	hasWAL := nonEmpty(path + "-wal")
	if detail := headerDamage(header, fi.Size, hasWAL); detail != "" {
		fi.Kind, fi.Detail = FileDamaged, detail
		return fi, nil
	}
	if err := readSchema(path, hasWAL, fi); err != nil {
		if isCorrupt(err) {
			fi.Kind, fi.Detail = FileDamaged, sqliteMessage(err)
			return fi, nil
		}
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	fi.Kind = classify(fi)
	return fi, nil
}

// readHeader reads the first 100 bytes of the file (fewer if it is
// shorter).
func readHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", path, err)
	}
	defer f.Close()
	header := make([]byte, 100)
	n, err := io.ReadFull(f, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("inspect %s: read header: %w", path, err)
	}
	return header[:n], nil
}

// headerDamage checks an SQLite header against the file's size, and says
// what is wrong ("" when nothing is). The page count in the header is
// compared only when no -wal file holds pages not yet copied back.
func headerDamage(header []byte, size int64, hasWAL bool) string {
	if len(header) < 100 {
		return fmt.Sprintf("the file is %d bytes long, shorter than SQLite's 100-byte header (truncated)", size)
	}
	pageSize := int64(binary.BigEndian.Uint16(header[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return fmt.Sprintf("the header gives a page size of %d bytes, which SQLite never writes", pageSize)
	}
	if hasWAL {
		return ""
	}
	pages := int64(binary.BigEndian.Uint32(header[28:32]))
	changeCounter, validFor := binary.BigEndian.Uint32(header[24:28]), binary.BigEndian.Uint32(header[92:96])
	if pages > 0 && changeCounter == validFor && size < pages*pageSize {
		return fmt.Sprintf("the header says %d pages of %d bytes (%d bytes), the file has %d bytes (truncated)", pages, pageSize, pages*pageSize, size)
	}
	if size%pageSize != 0 {
		return fmt.Sprintf("the file's %d bytes are not a whole number of %d-byte pages (truncated)", size, pageSize)
	}
	return ""
}

// nonEmpty reports whether a file exists and has bytes in it.
func nonEmpty(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() > 0
}

// readURI is an SQLite URI that opens path read-only: immutable (no locks,
// no -wal or -shm created, the log not read) or through the log as a
// reader.
func readURI(path string, immutable bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	q := "mode=ro"
	if immutable {
		q += "&immutable=1"
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q}).String(), nil
}

// openInspectConn opens a read-only connection for inspection: immutable
// when no -wal file holds commits, through the log otherwise (falling back
// to immutable when the log cannot be read from here, as in a read-only
// folder without its -shm).
func openInspectConn(path string, hasWAL bool) (*sqlite.Conn, error) {
	conn, err := openReadConn(path, !hasWAL)
	if err != nil && hasWAL {
		return openReadConn(path, true)
	}
	return conn, err
}

// openReadConn opens one read-only connection and reads the schema on it,
// so that a file SQLite cannot read fails here.
func openReadConn(path string, immutable bool) (*sqlite.Conn, error) {
	uri, err := readURI(path, immutable)
	if err != nil {
		return nil, err
	}
	conn, err := sqlite.OpenConn(uri, sqlite.OpenReadOnly|sqlite.OpenURI)
	if err != nil {
		return nil, err
	}
	if err := sqlitex.ExecuteTransient(conn, "SELECT count(*) FROM sqlite_master", nil); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// openQueryConn opens a connection that only reads, for Check and Backup
// of a gigq database. Where this process may write the file and its folder
// it is a read-write connection, so that, as with every gigq process, the
// last connection to close removes the -wal and -shm files (with
// queryOnly, PRAGMA query_only makes it refuse every write; VACUUM INTO,
// which writes only its target, needs it off); elsewhere a read-only one
// (readMode).
func openQueryConn(path string, info *FileInfo, queryOnly bool) (*sqlite.Conn, error) {
	if checkWritable(path, info) != nil {
		immutable, err := readMode(path)
		if err != nil {
			return nil, err
		}
		return openReadConn(path, immutable)
	}
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	if err != nil {
		return nil, err
	}
	qs := []string{"SELECT count(*) FROM sqlite_master"}
	if queryOnly {
		qs = append(qs, "PRAGMA query_only = 1")
	}
	for _, q := range qs {
		if err := sqlitex.ExecuteTransient(conn, q, nil); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// readSchema fills in the application id and the tables of an SQLite file,
// and checks that gigq's own small tables can be read.
func readSchema(path string, hasWAL bool, fi *FileInfo) error {
	conn, err := openInspectConn(path, hasWAL)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA application_id", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { fi.ApplicationID = uint32(stmt.ColumnInt64(0)); return nil },
	}); err != nil {
		return err
	}
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA user_version", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { fi.UserVersion = stmt.ColumnInt64(0); return nil },
	}); err != nil {
		return err
	}
	if err := sqlitex.ExecuteTransient(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { fi.Tables = append(fi.Tables, stmt.ColumnText(0)); return nil },
	}); err != nil {
		return err
	}
	if slices.Contains(fi.Tables, "jobs") && fi.ApplicationID != ApplicationID {
		if err := sqlitex.ExecuteTransient(conn, "SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'function_module'", &sqlitex.ExecOptions{
			ResultFunc: func(*sqlite.Stmt) error { fi.Kind = FileGigQPython; return nil },
		}); err != nil {
			return err
		}
	}
	if fi.ApplicationID == ApplicationID || (fi.ApplicationID == 0 && fi.Kind != FileGigQPython && hasGigqTables(fi.Tables)) {
		// gigq's small tables: damage there is found before anything is
		// written. Damage in the big ones is found when it is read.
		for _, table := range []string{"schema_migrations", "gigq_meta"} {
			if !slices.Contains(fi.Tables, table) {
				continue
			}
			// Every row and column: count(*) may read an index instead.
			if err := sqlitex.ExecuteTransient(conn, "SELECT * FROM "+table, nil); err != nil {
				return err
			}
		}
		if fi.ApplicationID == 0 {
			return legacyMigrations(conn, fi)
		}
	}
	return nil
}

// legacyMigrations marks a file without an application id as an earlier
// gigq's when its schema_migrations starts with gigq's first migration.
func legacyMigrations(conn *sqlite.Conn, fi *FileInfo) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return sqlitex.Execute(conn, "SELECT 1 FROM schema_migrations WHERE version = ? AND name = ?", &sqlitex.ExecOptions{
		Args:       []any{ms[0].version, ms[0].name},
		ResultFunc: func(*sqlite.Stmt) error { fi.Kind = FileLegacyGigq; return nil },
	})
}

// hasGigqTables reports whether every table of gigq's first schema is
// there.
func hasGigqTables(tables []string) bool {
	for _, t := range gigqTables {
		if !slices.Contains(tables, t) {
			return false
		}
	}
	return true
}

// classify decides the kind of an SQLite file from what readSchema found
// (which already marked GigQ and earlier gigq databases).
func classify(fi *FileInfo) FileKind {
	switch {
	case fi.Kind == FileGigQPython || fi.Kind == FileLegacyGigq:
		return fi.Kind
	case fi.ApplicationID == ApplicationID:
		return FileGigq
	case len(fi.Tables) == 0 && fi.ApplicationID == 0 && fi.UserVersion == 0:
		return FileNew
	}
	return FileForeign
}

// sqliteMessage is SQLite's own words for err, without the driver's
// prefixes.
func sqliteMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "sqlite") {
		msg = msg[i+2:]
	}
	return fmt.Sprintf("%s (%s)", msg, sqlite.ErrCode(err).ToPrimary())
}
