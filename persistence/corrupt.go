package persistence

import (
	"errors"
	"fmt"

	"zombiezen.com/go/sqlite"
)

// ErrCorrupt matches every *CorruptError with errors.Is: SQLite found the
// database file damaged (SQLITE_CORRUPT) or not a database at all
// (SQLITE_NOTADB). Nothing that fails this way can be retried: the store
// must stop writing, and a person must look at the file (gigq check).
var ErrCorrupt = errors.New("database file is damaged")

// CorruptError is the error of an operation that met a damaged database
// file. Err is what SQLite reported.
type CorruptError struct {
	Err error
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func (e *CorruptError) Unwrap() error { return e.Err }

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v: %v: run gigq check on the file, and restore it from a backup if it reports damage", ErrCorrupt, e.Err)
}

// Corrupt returns err as an error that matches ErrCorrupt when err, or an
// error it wraps, is SQLite's SQLITE_CORRUPT or SQLITE_NOTADB (in any of
// their extended forms), and nil otherwise. It recognises errors that did
// not pass through this package's mapping too (a checkpoint's, a read's).
func Corrupt(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	if isCorruptCode(err) {
		return &CorruptError{Err: err}
	}
	return nil
}

// isCorruptCode reports whether err carries SQLITE_CORRUPT or
// SQLITE_NOTADB.
func isCorruptCode(err error) bool {
	switch sqlite.ErrCode(err).ToPrimary() {
	case sqlite.ResultCorrupt, sqlite.ResultNotADB:
		return true
	}
	return false
}

// OnCorrupt sets the function that hears an error of the background
// checkpointer that says the file is damaged (an error that matches
// ErrCorrupt). The store's own operations return such errors to their
// callers instead. fn must not block.
func (s *Store) OnCorrupt(fn func(error)) {
	if s.ckpt != nil {
		s.ckpt.onCorrupt.Store(&fn)
	}
}

// Cause returns the error as SQLite reported it, without the operations
// that wrapped it on the way (the deepest error in the chain that still
// carries the corrupt code), as a *CorruptError: the error to give every
// later caller that did not itself meet the damage.
func (e *CorruptError) Cause() *CorruptError {
	inner := e.Err
	for {
		next := errors.Unwrap(inner)
		if next == nil || !isCorruptCode(next) {
			return &CorruptError{Err: inner}
		}
		inner = next
	}
}
