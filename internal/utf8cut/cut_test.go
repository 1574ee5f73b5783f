package utf8cut_test

import (
	"testing"

	"github.com/gigq-go/gigq/internal/utf8cut"
)

func TestTrimEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"é", "é"},
		{"a\xc3", "a"},  // the first byte of é
		{"a€"[:3], "a"}, // two of the three bytes of €
		{"a😀"[:4], "a"}, // three of the four bytes of 😀
		{"a😀", "a😀"},
		{"a\x80", "a\x80"},       // a stray continuation byte is not a cut character
		{"\xff\xfe", "\xff\xfe"}, // invalid bytes stay
	} {
		if got := string(utf8cut.TrimEnd([]byte(tc.in))); got != tc.want {
			t.Errorf("TrimEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
