package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a report was measured.
type Machine struct {
	CPU    string `json:"cpu"`    // model name from /proc/cpuinfo, or "unknown"
	Cores  int    `json:"cores"`  // runtime.NumCPU
	Go     string `json:"go"`     // runtime.Version
	SQLite string `json:"sqlite"` // SELECT sqlite_version()
}

// String describes the machine in one line: "CPU, N cores, goX, SQLite
// V".
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s, SQLite %s", m.CPU, m.Cores, m.Go, m.SQLite)
}

// readMachine describes this machine.
func readMachine() (Machine, error) {
	v, err := sqliteVersion()
	if err != nil {
		return Machine{}, err
	}
	return Machine{CPU: cpuModel("/proc/cpuinfo"), Cores: runtime.NumCPU(), Go: runtime.Version(), SQLite: v}, nil
}

// cpuModel is the first "model name" in a cpuinfo file, or "unknown".
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			if v := strings.TrimSpace(val); v != "" {
				return v
			}
		}
	}
	return "unknown"
}

// dbBytes is the size of the database file and its -wal file.
func dbBytes(path string) int64 {
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return total
}
