//go:build unix

package handlers

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own and makes its
// cancellation kill the whole group, so that no process the command
// started outlives it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := killGroup(cmd)
		if err != nil && !errors.Is(err, os.ErrProcessDone) {
			return cmd.Process.Kill()
		}
		return err
	}
}

// killLeftovers kills the processes left in cmd's group after it exited.
func killLeftovers(cmd *exec.Cmd) { _ = killGroup(cmd) }

// killGroup sends SIGKILL to cmd's process group. A group already gone
// gives os.ErrProcessDone.
//
// The group id is the command's pid. Once the command is reaped that pid
// stays reserved while any member of its group lives; only an empty group's
// id can be reused, and only after the pid numbers wrap around.
func killGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
