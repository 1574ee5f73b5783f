package persistence_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// TestDurability commits, closes and reopens: what was committed is there.
func TestDurability(t *testing.T) {
	t.Parallel()
	for _, sync := range []persistence.Sync{persistence.SyncNormal, persistence.SyncFull} {
		t.Run(string(sync), func(t *testing.T) {
			t.Parallel()
			path := newPath(t)
			ctx := t.Context()
			s, err := persistence.Open(path, persistence.Options{Sync: sync})
			require.NoError(t, err)
			done, waiting := newJob(), newJob()
			insert(t, s, time.Now(), done, waiting)
			exec := claim(t, s, done.ID)
			finish(t, s, persistence.Finish{JobID: done.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted,
				Result: json.RawMessage(`[1,2,3]`)})
			wantDone, err := s.Job(ctx, done.ID)
			require.NoError(t, err)
			wantExecs, err := s.Executions(ctx, done.ID)
			require.NoError(t, err)
			wantWaiting, err := s.Job(ctx, waiting.ID)
			require.NoError(t, err)
			require.NoError(t, s.Close())

			s = openStore(t, path, persistence.Options{Sync: sync})
			got, err := s.Job(ctx, done.ID)
			require.NoError(t, err)
			require.Equal(t, wantDone, got)
			execs, err := s.Executions(ctx, done.ID)
			require.NoError(t, err)
			require.Equal(t, wantExecs, execs)
			got, err = s.Job(ctx, waiting.ID)
			require.NoError(t, err)
			require.Equal(t, wantWaiting, got)
			ready, err := s.ReadyJobs(ctx, 10, []string{"echo"})
			require.NoError(t, err)
			require.Equal(t, []persistence.JobID{waiting.ID}, jobIDs(ready))
		})
	}
}

// TestCloseRollsBackOpenTransaction: Close with a transaction open keeps
// nothing of it.
func TestCloseRollsBackOpenTransaction(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	s, err := persistence.Open(path, persistence.Options{})
	require.NoError(t, err)
	kept, lost := newJob(), newJob()
	insert(t, s, time.Now(), kept)
	require.NoError(t, s.Begin())
	require.NoError(t, s.Do(func() error { _, err := s.InsertJobs([]persistence.NewJob{lost}, time.Now()); return err }))
	require.NoError(t, s.Close())

	s = openStore(t, path, persistence.Options{})
	_, err = s.Job(t.Context(), kept.ID)
	require.NoError(t, err)
	_, err = s.Job(t.Context(), lost.ID)
	require.ErrorIs(t, err, persistence.ErrNotFound)
}
