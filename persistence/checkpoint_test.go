package persistence_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// TestBackgroundCheckpoint: commits wake the checkpointer, whose
// checkpoints succeed beside the writer and the readers.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPath(t), persistence.Options{})
	done, failed := s.Checkpoints()
	require.Zero(t, done+failed, "no commit yet")
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for done < 3 {
		insert(t, s, time.Now(), newJob())
		_, err := s.Stats(t.Context()) // a reader beside it
		require.NoError(t, err)
		require.True(t, time.Now().Before(deadline), "only %d background checkpoints", done)
		<-tick.C
		done, failed = s.Checkpoints()
		require.Zero(t, failed)
	}
}
