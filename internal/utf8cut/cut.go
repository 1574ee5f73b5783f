package utf8cut

import "unicode/utf8"

// TrimEnd drops an incomplete UTF-8 character that a cut left at the end
// of b, and returns the rest of b (b itself when nothing was left
// incomplete). Bytes that were never valid UTF-8 are kept as they are.
func TrimEnd(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
