package persistence

import "time"

// timeLayout is RFC 3339 in UTC with exactly nine fractional digits, so that
// stored times sort correctly as text (time.RFC3339Nano trims zeros and
// does not).
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a stored time; empty (NULL) is the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func fromSeconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
