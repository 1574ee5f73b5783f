package persistence

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// ErrReadOnly is returned by every write on a store opened with
// Options.ReadOnly. Nothing was written.
var ErrReadOnly = errors.New("the database is open read-only")

// ErrNotGigq matches every *FileError: the file is not a gigq database
// (another program's, GigQ's, not SQLite at all, or damaged), and gigq left
// it byte for byte as it was.
var ErrNotGigq = errors.New("not a gigq database")

// FileError refuses to open a file that is not gigq's own. Nothing was
// written to it, and no -wal or -shm file was left beside it.
type FileError struct {
	Info *FileInfo
}

// Is makes errors.Is(err, ErrNotGigq) true, and ErrCorrupt for a damaged
// file (the error a node stops with when it finds the damage later).
func (e *FileError) Is(target error) bool {
	return target == ErrNotGigq || (target == ErrCorrupt && e.Info.Kind == FileDamaged)
}

func (e *FileError) Error() string {
	path, other := e.Info.Path, otherPath(e.Info.Path)
	switch e.Info.Kind {
	case FileGigQPython:
		return fmt.Sprintf("%s is %s, not gigq's: gigq left it untouched. gigq needs a file of its own (--db), e.g. %s; to move GigQ's jobs over, see \"Coming from GigQ (Python)\" in gigq's README",
			path, e.Info.Describe(), other)
	case FileDamaged:
		return fmt.Sprintf("%s is %s: gigq left it untouched; run gigq check --db %s to see what SQLite reports, then restore it from a copy (gigq backup makes one), or give gigq a new file (--db), e.g. %s",
			path, e.Info.Describe(), path, other)
	case FileNotSQLite:
		return fmt.Sprintf("%s is not an SQLite database: gigq left it untouched; check the path, or give gigq a file of its own (--db; a new path creates one), e.g. %s", path, other)
	}
	return fmt.Sprintf("%s is %s: gigq left it untouched; give gigq a file of its own (--db), e.g. %s", path, e.Info.Describe(), other)
}

// otherPath suggests a path for gigq's own database beside path.
func otherPath(path string) string {
	p := filepath.Join(filepath.Dir(path), "gigq.db")
	if filepath.Clean(path) == p {
		p = filepath.Join(filepath.Dir(path), "gigq-queue.db")
	}
	return p
}

// PermissionError refuses to open for writing a database this process may
// not write: the file itself, or its folder, where SQLite creates the
// -wal and -shm files. It matches fs.ErrPermission. Nothing was written.
type PermissionError struct {
	Path string // the database file
	Dir  string // the folder, when the folder is what cannot be written
	Err  error  // the operating system's error
}

// Unwrap gives the operating system's error.
func (e *PermissionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, fs.ErrPermission) true, also for a read-only
// file system.
func (e *PermissionError) Is(target error) bool { return target == fs.ErrPermission }

func (e *PermissionError) Error() string {
	const why = "gigq needs to write the database to run or change jobs (worker and node do); fix the permissions, or open it read-only to read it (status, list and stats do)"
	if e.Dir != "" {
		return fmt.Sprintf("cannot write the folder %s of %s, where SQLite creates its -wal and -shm files: %s (%s)", e.Dir, e.Path, errText(e.Err), why)
	}
	return fmt.Sprintf("cannot write %s: %s (%s)", e.Path, errText(e.Err), why)
}

// errText is an operating system error without the path it repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
