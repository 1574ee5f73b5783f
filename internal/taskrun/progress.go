package taskrun

import "context"

// MaxProgressMessage bounds a progress message, in bytes.
const MaxProgressMessage = 1024

type progressKey struct{}

// WithProgress returns ctx carrying report: where the handler's progress
// goes. report gets the fraction clamped to [0, 1] and the message cut to
// MaxProgressMessage bytes (at a UTF-8 boundary); it must be safe for
// concurrent use, as a handler may report from several goroutines.
func WithProgress(ctx context.Context, report func(fraction float64, message string)) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

// ReportProgress hands a handler's progress to the report function ctx
// carries; it reports false, and does nothing, when ctx carries none.
func ReportProgress(ctx context.Context, fraction float64, message string) bool {
	report, ok := ctx.Value(progressKey{}).(func(float64, string))
	if !ok {
		return false
	}
	report(min(max(fraction, 0), 1), truncate(message, MaxProgressMessage))
	return true
}

// truncate cuts s to at most n bytes, at the start of a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
