package gigq

import (
	"context"
	"fmt"

	"github.com/gigq-go/gigq/persistence"
)

// ApplicationID is the SQLite application id of every gigq database
// (PRAGMA application_id; the 4 bytes at offset 68 of the file):
// 0x67696771, "gigq" in ASCII. Open writes only to a file that carries it,
// is new or empty, or is a database of an earlier gigq release (which it
// then adopts: it gives it the id).
const ApplicationID = persistence.ApplicationID

// ErrNotGigq matches the error of Open (and Check and Backup) for a file
// that is not a gigq database: another program's SQLite database, a GigQ
// (Python) one, a file that is not SQLite, or a damaged one (which matches
// ErrCorrupt too). The message
// says what the file looks like and which path to use instead; gigq left
// the file byte for byte as it was, with no -wal or -shm beside it.
var ErrNotGigq = persistence.ErrNotGigq

// ErrReadOnly is returned by every write (Submit, Cancel, AddSchedule, ...)
// on a node opened with Config.ReadOnly. Nothing was written.
var ErrReadOnly = persistence.ErrReadOnly

// CheckOptions tune Check. The zero value (or nil) runs the full check.
type CheckOptions struct {
	// Quick runs PRAGMA quick_check instead of integrity_check: faster on
	// a big file, it does not check that indexes match their tables.
	Quick bool
}

// CheckReport is what Check found.
type CheckReport struct {
	// OK is true when SQLite found nothing wrong.
	OK bool
	// Problems are what SQLite reported (integrity_check's lines), or
	// why it could not read the file; none when OK.
	Problems []string
}

// Check runs SQLite's integrity check on the gigq database at path, on a
// read-only connection: it never changes the file and can run while nodes
// use it. A damaged database gives a report with OK false and what SQLite
// said. A file that is not a gigq database (another program's, GigQ's, not
// SQLite) gives an error matching ErrNotGigq that says what it is; a
// missing one an error naming the path.
func Check(ctx context.Context, path string, opts *CheckOptions) (*CheckReport, error) {
	quick := opts != nil && opts.Quick
	res, err := persistence.Check(ctx, path, quick)
	if err != nil {
		return nil, fmt.Errorf("gigq: %w", err)
	}
	return &CheckReport{OK: res.OK(), Problems: res.Problems}, nil
}

// BackupOptions tune Backup. The zero value (or nil) refuses to replace
// an existing file.
type BackupOptions struct {
	// Overwrite replaces dest when it exists (only once the new copy is
	// complete).
	Overwrite bool
}

// BackupInfo says what Backup copied.
type BackupInfo struct {
	// Dest is the copy's path.
	Dest string
	// Bytes is the copy's size.
	Bytes int64
	// Jobs is how many jobs the copy holds.
	Jobs int64
}

// Backup copies the gigq database at path to dest, consistently, while
// nodes may be running on it: the copy (SQLite's VACUUM INTO, in one read
// transaction) is the database as of one commit, compacted. It is written
// under a temporary name beside dest, synced, checked to open as a gigq
// database, then renamed to dest; the source is only read. An existing
// dest is an error unless opts.Overwrite. The copy opens with Open like any
// gigq database.
func Backup(ctx context.Context, path, dest string, opts *BackupOptions) (*BackupInfo, error) {
	overwrite := opts != nil && opts.Overwrite
	res, err := persistence.Backup(ctx, path, dest, overwrite)
	if err != nil {
		return nil, fmt.Errorf("gigq: %w", err)
	}
	return &BackupInfo{Dest: res.Dest, Bytes: res.Bytes, Jobs: res.Jobs}, nil
}
