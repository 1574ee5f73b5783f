//go:build unix

package handlers_test

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

var osexecLookPath = exec.LookPath

// readPID waits for a pid file the command writes and returns its pid.
func readPID(t testing.TB, path string) int {
	t.Helper()
	var pid int
	eventually(t, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	require.Positive(t, pid)
	return pid
}

// processGone tells whether pid is dead: no such process, or (on Linux) a
// zombie waiting for a reaper. An orphan is re-parented to pid 1, which in
// some containers never reaps it.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	if runtime.GOOS != "linux" {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return os.IsNotExist(err)
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}

// killProcess kills pid, which a test left running on purpose.
func killProcess(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
