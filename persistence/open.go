package persistence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// Open opens the database at path: it first inspects the file without
// changing a byte (Inspect), and opens for writing only a file that is
// gigq's own. A new or empty file gets gigq's schema and application id
// (ApplicationID); a gigq database is migrated; a gigq database of an
// earlier release (no application id) is adopted: given the id, then
// migrated. Anything else (another program's database, a GigQ (Python)
// one, a file that is not SQLite, a damaged one) is refused with a
// *FileError, left byte for byte as it was, with no -wal or -shm beside
// it. A file or folder this process may not write is refused with a
// *PermissionError before anything is opened.
//
// With Options.ReadOnly the store only reads (see there).
func Open(path string, opts Options) (_ *Store, err error) {
	opts = opts.withDefaults()
	if path == "" {
		return nil, fmt.Errorf("open store: empty database path")
	}
	if opts.Sync != SyncNormal && opts.Sync != SyncFull {
		return nil, fmt.Errorf("open store: sync %q is not one of normal, full", opts.Sync)
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open store %s: directory %s does not exist", path, dir)
		}
	}
	if opts.ReadOnly {
		return openReadOnly(path, opts)
	}
	info, err := Inspect(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	switch info.Kind {
	case FileNew, FileGigq, FileLegacyGigq:
	default:
		return nil, &FileError{Info: info}
	}
	if err := checkWritable(path, info); err != nil {
		return nil, err
	}
	conn, err := openWriteConn(path, opts.BusyTimeout)
	if err != nil {
		if sqlite.ErrCode(err).ToPrimary() == sqlite.ResultNotADB {
			return nil, &FileError{Info: &FileInfo{Path: path, Kind: FileNotSQLite, Exists: true}}
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// s is not the named result: the returns below set that to nil, and
	// the cleanup must still close what was opened.
	s := &Store{path: path, opts: opts, conn: conn}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	conn.SetBusyTimeout(opts.BusyTimeout)
	if err := setPragmas(conn, opts.Sync); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := claimFile(conn, info); err != nil {
		return nil, err
	}
	if _, err := migrate(conn, opts.Now()); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, interpretError(err))
	}
	if s.pool, err = newReadPool(path, sqlite.OpenWAL, opts); err != nil {
		return nil, fmt.Errorf("open read pool %s: %w", path, err)
	}
	s.SetMaxPageCount(opts.MaxPageCount)
	if err := s.applyPageLimit(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if s.seenSeq, err = s.readySeq(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, damaged(path, err))
	}
	if s.seenWf, err = s.metaValue("workflow_seq"); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, damaged(path, err))
	}
	if s.dataVer, err = s.dataVersion(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if s.ckpt, err = startCheckpointer(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// isCorrupt reports whether err is SQLite's word for a damaged file.
func isCorrupt(err error) bool {
	code := sqlite.ErrCode(err).ToPrimary()
	return code == sqlite.ResultCorrupt || code == sqlite.ResultNotADB
}

// newReadPool opens the pool of read-only connections to path (a file
// name, or with sqlite.OpenURI in flags a URI).
func newReadPool(path string, flags sqlite.OpenFlags, opts Options) (*sqlitex.Pool, error) {
	return sqlitex.NewPool(path, sqlitex.PoolOptions{
		Flags:    sqlite.OpenReadOnly | flags,
		PoolSize: opts.ReadConns,
		PrepareConn: func(c *sqlite.Conn) error {
			c.SetBusyTimeout(opts.BusyTimeout)
			return nil
		},
	})
}

// damaged turns SQLite's corruption errors into a *FileError that says to
// run gigq check.
func damaged(path string, err error) error {
	if isCorrupt(err) {
		return &FileError{Info: &FileInfo{Path: path, Kind: FileDamaged, Exists: true, Detail: sqliteMessage(err)}}
	}
	return err
}

// openWriteConn opens the write connection, in WAL mode. Two processes
// that open a new file at once can make SQLite answer "database is locked"
// at once, without waiting, while one of them switches the file to WAL (a
// lock it cannot wait for without a deadlock): the open is tried again
// until busyTimeout has passed.
func openWriteConn(path string, busyTimeout time.Duration) (*sqlite.Conn, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenCreate|sqlite.OpenWAL)
		code := sqlite.ErrCode(err).ToPrimary()
		if err == nil || (code != sqlite.ResultBusy && code != sqlite.ResultLocked) || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(20 * time.Millisecond) // another process holds the lock for a moment
	}
}

// checkWritable refuses a file, or a folder, that this process may not
// write, before SQLite opens it: SQLite would open such a file read-only
// without a word, and every write would fail later. Opening a file for
// writing without writing to it changes nothing.
func checkWritable(path string, info *FileInfo) error {
	dir := filepath.Dir(path)
	if !info.Exists {
		if err := dirWritable(dir); err != nil {
			return &PermissionError{Path: path, Dir: dir, Err: err}
		}
		return nil
	}
	sidecars := true // -wal and -shm are there and writable: the folder need not be
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		switch {
		case err == nil:
			_ = f.Close()
		case errors.Is(err, fs.ErrNotExist) && p != path:
			sidecars = false
		case errors.Is(err, fs.ErrPermission):
			return &PermissionError{Path: p, Err: err}
		default:
			return fmt.Errorf("open store %s: %w", path, err)
		}
	}
	if !sidecars {
		if err := dirWritable(dir); err != nil {
			return &PermissionError{Path: path, Dir: dir, Err: err}
		}
	}
	return nil
}

// claimFile gives a new file gigq's application id, and an earlier
// gigq's database too, before the migrations. A new file is claimed under
// the write lock, and only when it is still without tables then: another
// process may have created it meanwhile (gigq, which is fine, or another
// program, which is refused).
func claimFile(conn *sqlite.Conn, info *FileInfo) (err error) {
	setID := fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)
	switch info.Kind {
	case FileLegacyGigq:
		if err := sqlitex.ExecuteTransient(conn, setID, nil); err != nil {
			return fmt.Errorf("open store %s: set application_id: %w", info.Path, interpretError(err))
		}
		return nil
	case FileNew:
	default:
		return nil
	}
	if err := sqlitex.ExecuteTransient(conn, "BEGIN IMMEDIATE", nil); err != nil {
		return fmt.Errorf("open store %s: %w", info.Path, interpretError(err))
	}
	defer func() {
		if err != nil {
			_ = sqlitex.ExecuteTransient(conn, "ROLLBACK", nil)
		}
	}()
	now := &FileInfo{Path: info.Path, Kind: FileForeign, Exists: true}
	if err := sqlitex.ExecuteTransient(conn, "PRAGMA application_id", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { now.ApplicationID = uint32(stmt.ColumnInt64(0)); return nil },
	}); err != nil {
		return fmt.Errorf("open store %s: %w", info.Path, err)
	}
	if err := sqlitex.ExecuteTransient(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { now.Tables = append(now.Tables, stmt.ColumnText(0)); return nil },
	}); err != nil {
		return fmt.Errorf("open store %s: %w", info.Path, err)
	}
	switch {
	case now.ApplicationID == ApplicationID: // another gigq process claimed it first
	case now.ApplicationID == 0 && len(now.Tables) == 0:
		if err := sqlitex.ExecuteTransient(conn, setID, nil); err != nil {
			return fmt.Errorf("open store %s: set application_id: %w", info.Path, err)
		}
	default:
		return &FileError{Info: now}
	}
	if err := sqlitex.ExecuteTransient(conn, "COMMIT", nil); err != nil {
		return fmt.Errorf("open store %s: %w", info.Path, interpretError(err))
	}
	return nil
}

// openReadOnly opens a store that only reads: a pool of read-only
// connections on a gigq database whose schema is this gigq's, and no write
// connection. It reads through the -wal file as any SQLite reader does (in
// a writable folder SQLite may leave the usual -wal and -shm files beside
// the database); where that cannot work, in a folder it cannot write with
// no -shm file, and no -wal holds commits, it opens the file as immutable.
func openReadOnly(path string, opts Options) (*Store, error) {
	info, err := Inspect(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	switch info.Kind {
	case FileGigq, FileLegacyGigq:
	case FileNew:
		if !info.Exists {
			return nil, fmt.Errorf("open %s read-only: the file does not exist (a read-only open never creates it): check the path", path)
		}
		return nil, fmt.Errorf("open %s read-only: it is %s, with no gigq tables yet: open it once for writing (gigq submit, gigq worker) to create them", path, info.Describe())
	default:
		return nil, &FileError{Info: info}
	}
	immutable, err := readMode(path)
	if err != nil {
		return nil, err
	}
	uri, err := readURI(path, immutable)
	if err != nil {
		return nil, err
	}
	pool, err := newReadPool(uri, sqlite.OpenURI, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	s := &Store{path: path, opts: opts, pool: pool}
	if err := s.checkSchemaVersion(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// readMode finds how path can be read: through its log (false), or, where
// SQLite cannot open the log read-only and no -wal holds commits, as
// immutable (true).
func readMode(path string) (immutable bool, err error) {
	conn, err := openReadConn(path, false)
	if err == nil {
		return false, conn.Close()
	}
	if nonEmpty(path + "-wal") {
		return false, fmt.Errorf("open %s read-only: %w; its -wal file holds commits that SQLite reads only with the -shm file, which it cannot create here: open it once with write access (any gigq command that writes) to copy them back", path, err)
	}
	conn, err2 := openReadConn(path, true)
	if err2 != nil {
		return false, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return true, conn.Close()
}

// checkSchemaVersion refuses a read-only store whose schema is not this
// gigq's: it cannot be migrated without writing.
func (s *Store) checkSchemaVersion() error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	conn, err := s.pool.Take(context.Background())
	if err != nil {
		return fmt.Errorf("open %s read-only: %w", s.path, err)
	}
	defer s.pool.Put(conn)
	v, err := schemaVersion(conn)
	switch {
	case err != nil:
		return fmt.Errorf("open %s read-only: %w", s.path, damaged(s.path, err))
	case v < latest:
		return fmt.Errorf("open %s read-only: it was written by an earlier gigq (schema version %d, this gigq's is %d): open it once for writing (gigq worker, gigq submit) to migrate it", s.path, v, latest)
	case v > latest:
		return fmt.Errorf("open %s read-only: database schema version %d is newer than this gigq knows (%d): upgrade gigq", s.path, v, latest)
	}
	return nil
}

// ReadOnly reports whether the store was opened with Options.ReadOnly.
func (s *Store) ReadOnly() bool { return s.conn == nil }
