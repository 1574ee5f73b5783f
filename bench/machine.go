package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
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
	v, err := SQLiteVersion()
	if err != nil {
		return Machine{}, err
	}
	return Machine{CPU: cpuModel("/proc/cpuinfo"), Cores: runtime.NumCPU(), Go: runtime.Version(), SQLite: v}, nil
}

// SQLiteVersion is the version of the SQLite gigq is built with ("3.49.2"),
// from SELECT sqlite_version() on an in-memory connection: it creates and
// opens no file. It is safe for concurrent use by multiple goroutines.
func SQLiteVersion() (_ string, err error) {
	conn, err := sqlite.OpenConn(":memory:", sqlite.OpenReadWrite|sqlite.OpenMemory)
	if err != nil {
		return "", fmt.Errorf("open an in-memory SQLite connection to read its version: %w", err)
	}
	defer func() {
		if cerr := conn.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the in-memory SQLite connection: %w", cerr)
		}
	}()
	var v string
	err = sqlitex.ExecuteTransient(conn, "SELECT sqlite_version()", &sqlitex.ExecOptions{
		ResultFunc: func(stmt *sqlite.Stmt) error { v = stmt.ColumnText(0); return nil },
	})
	if err != nil {
		return "", fmt.Errorf("read the SQLite version: %w", err)
	}
	return v, nil
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
