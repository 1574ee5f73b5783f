package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
)

// peakRSS is the peak resident set size in bytes since the last
// resetPeakRSS (VmHWM in /proc/self/status), or 0 when unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// resetPeakRSS returns the memory the Go heap no longer uses to the system
// and restarts the peak from the resident set now (writing 5 to
// /proc/self/clear_refs), so peakRSS measures the phase that follows, not
// the setup before it (the insert of a million queued jobs).
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
