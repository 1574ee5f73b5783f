package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// writeJSON writes v as one line of JSON (compact, HTML characters
// unescaped) followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSONList writes items as one line of JSON, a list, as writeJSON
// would, but one item at a time: the whole list is never encoded in
// memory at once.
func writeJSONList[T any](w io.Writer, items []T) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('[')
	for i, item := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(item); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
	}
	buf.WriteString("]\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// newTable returns a tabwriter for the human tables.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// fmtTime formats a time for humans: UTC RFC 3339, "-" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtSeconds formats a duration as seconds ("0.5s", "300s").
func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}

// fmtElapsed formats a short duration for humans: "412µs", "3ms", "1.25s".
func fmtElapsed(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural returns "1 job" or "n jobs".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// indentJSON pretty-prints raw JSON for humans (keys in their stored
// order), each line after the first prefixed with prefix; "-" when empty,
// and the raw text when it is not valid JSON.
func indentJSON(raw []byte, prefix string) string {
	if len(raw) == 0 {
		return "-"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
