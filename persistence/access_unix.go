//go:build unix

package persistence

import (
	"io/fs"
	"syscall"
)

// dirWritable reports whether this process may create files in dir (an
// error matching fs.ErrPermission when not).
func dirWritable(dir string) error {
	const wOK, xOK = 0x2, 0x1
	if err := syscall.Access(dir, wOK|xOK); err != nil {
		if err == syscall.EACCES || err == syscall.EROFS || err == syscall.EPERM {
			return &fs.PathError{Op: "write", Path: dir, Err: err}
		}
	}
	return nil
}
