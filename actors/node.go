package actors

import (
	"errors"
	"os"
	"runtime"
	"sort"
	"syscall"
)

// handlerNames lists the task names this node runs, sorted.
func (d *Deps) handlerNames() []string {
	names := make([]string, 0, len(d.Handlers))
	for n := range d.Handlers {
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
	return err == nil || errors.Is(err, syscall.EPERM)
}
