package handlers

import (
	"unicode/utf8"

	"github.com/gigq-go/gigq/internal/utf8cut"
)

// DefaultMaxOutputBytes is the default cap on each captured output: a
// command's stdout and its stderr, and an HTTP response body (1 MiB).
const DefaultMaxOutputBytes = 1 << 20

// capOrDefault is max, or DefaultMaxOutputBytes when max is not positive.
func capOrDefault(max int) int {
	if max <= 0 {
		return DefaultMaxOutputBytes
	}
	return max
}

// headBuffer keeps the first max bytes written to it and notes whether
// more came. Its Write never fails, so a writer is never blocked by it.
type headBuffer struct {
	max       int
	buf       []byte
	truncated bool
}

func (b *headBuffer) Write(p []byte) (int, error) {
	n := min(len(p), b.max-len(b.buf))
	b.buf = append(b.buf, p[:n]...)
	if n < len(p) {
		b.truncated = true
	}
	return len(p), nil
}

// String is the kept head, cut back to a whole UTF-8 character.
func (b *headBuffer) String() string {
	s := b.buf
	if b.truncated {
		s = utf8cut.TrimEnd(s)
	}
	return string(s)
}

// tailBuffer keeps the last max bytes written to it and notes whether
// earlier bytes were dropped. Its Write never fails.
type tailBuffer struct {
	max       int
	buf       []byte // at most 2*max bytes; the tail is the last max
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	if len(p) >= b.max {
		b.truncated = b.truncated || len(p) > b.max || len(b.buf) > 0
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	if len(b.buf) > b.max {
		b.truncated = true
	}
	return len(p), nil
}

// String is the kept tail, starting at a whole UTF-8 character.
func (b *tailBuffer) String() string {
	s := b.buf[max(0, len(b.buf)-b.max):]
	if b.truncated {
		s = trimPartialStart(s)
	}
	return string(s)
}

// trimPartialStart drops the continuation bytes that a cut left at the
// start of s.
func trimPartialStart(s []byte) []byte {
	for i := 0; i < len(s) && i < utf8.UTFMax; i++ {
		if utf8.RuneStart(s[i]) {
			return s[i:]
		}
	}
	return s
}

// lastBytes is the end of s, at most n bytes from a whole UTF-8
// character, marked with a leading "…" when cut.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + string(trimPartialStart([]byte(s[len(s)-n:])))
}

// firstBytes is the start of s, at most n bytes to a whole UTF-8
// character, marked with a trailing "…" when cut.
func firstBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return string(utf8cut.TrimEnd([]byte(s[:n]))) + "…"
}
