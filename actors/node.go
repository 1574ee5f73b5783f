package actors

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
)

// working reports whether the node dispatches jobs: to workers of its
// own, or to worker nodes that join it.
func (d *Deps) working() bool { return d.Workers > 0 || d.Remote != nil }

// handlerNames lists the task names this node runs, sorted.
func (d *Deps) handlerNames() []string { return sortedNames(d.Handlers) }

// sortedNames lists the task names of handlers, sorted.
func sortedNames(handlers map[string]Handler) []string {
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// processAlive probes a process of this host with signal 0. Where that
// probe does not exist (Windows), every process counts as alive and only
// the lease finds lost nodes.
func processAlive(pid int) bool {
	if runtime.GOOS == "windows" || pid <= 0 {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid)
}

// zombie reports whether a Linux process has exited but was not reaped by
// its parent yet (state Z in /proc): it answers signal 0, yet runs nothing.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}
