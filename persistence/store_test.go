package persistence_test

import (
	"testing"

	"github.com/gigq-go/gigq/persistence"
	"github.com/gigq-go/gigq/persistence/persistencetest"
)

// TestStore runs the store contract against each store profile.
func TestStore(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		name string
		opts persistence.Options
	}{
		{"FileDefault", persistence.Options{}},
		{"FileSyncFull", persistence.Options{Sync: persistence.SyncFull}},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			persistencetest.Exercise(t, func(t *testing.T) *persistence.Store {
				return openStore(t, newPath(t), p.opts)
			})
		})
	}
}
