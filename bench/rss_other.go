//go:build !unix

package bench

// peakRSS is unknown (0) where getrusage does not exist.
func peakRSS() int64 { return 0 }

// resetPeakRSS does nothing here.
func resetPeakRSS() {}
