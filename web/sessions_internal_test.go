package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSessionsBounded: at most max sessions live; a login beyond it ends
// the oldest, and expired ones are removed.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	ss := newSessions(time.Hour, 3)
	ids := []string{ss.start(), ss.start(), ss.start(), ss.start()}
	require.False(t, ss.valid(ids[0]), "the oldest ended")
	for _, id := range ids[1:] {
		require.True(t, ss.valid(id))
	}
	require.Len(t, ss.live, 3)

	expired := newSessions(time.Nanosecond, 3)
	for range 10 {
		expired.start()
	}
	require.LessOrEqual(t, len(expired.live), 1, "expired sessions are removed at the next login")
}
