package persistence_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// bigParams is a JSON object of about n bytes: it needs overflow pages, so
// inserting it grows the file.
func bigParams(n int) json.RawMessage {
	return json.RawMessage(`{"pad":"` + strings.Repeat("x", n) + `"}`)
}

// TestFullDatabase: with the file held at its size (MaxPageCount below the
// current size), a multi-job insert fails with ErrFull and writes none of
// its jobs, a report that needs space fails the same way, reads work, and
// raising the limit lets the same writes succeed.
func TestFullDatabase(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	s := openStore(t, path, persistence.Options{})
	ctx := context.Background()
	now := time.Now()
	running := newJob()
	insert(t, s, now, running)
	exec := claim(t, s, running.ID)

	s.SetMaxPageCount(1) // below the current size: the file cannot grow
	small, big := newJob(), newJob(func(j *persistence.NewJob) { j.Params = bigParams(64 << 10) })
	require.NoError(t, s.Begin())
	err := s.Do(func() error { _, err := s.InsertJobs([]persistence.NewJob{small, big}, now); return err })
	require.ErrorIs(t, err, persistence.ErrFull)
	require.Contains(t, err.Error(), "full")
	require.False(t, persistence.IsRefusal(err))
	// SQLite rolls the whole transaction back on a full database; Do says
	// so, and the store knows the transaction is closed.
	require.ErrorIs(t, err, persistence.ErrRolledBack)
	require.Error(t, s.Commit())
	require.NoError(t, s.Rollback())

	// A completion with a big result needs space too.
	f := persistence.Finish{JobID: running.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted,
		Result: bigParams(64 << 10)}
	require.NoError(t, s.Begin())
	err = s.Do(func() error { _, err := s.Finish(f); return err })
	require.ErrorIs(t, err, persistence.ErrFull)
	require.NoError(t, s.Rollback())

	// Nothing of the failed insert was written, and reads work.
	for _, id := range []persistence.JobID{small.ID, big.ID} {
		_, err := s.Job(ctx, id)
		require.ErrorIs(t, err, persistence.ErrNotFound)
	}
	raw := openRaw(t, path)
	require.Equal(t, int64(1), queryInt(t, raw, `SELECT count(*) FROM jobs`))
	j, err := s.Job(ctx, running.ID)
	require.NoError(t, err)
	require.Equal(t, persistence.StatusRunning, j.Status)
	st, err := s.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Running)
	list, err := s.ListJobs(ctx, persistence.ListParams{})
	require.NoError(t, err)
	require.Len(t, list, 1)

	// Space returns: the same writes succeed on the same store.
	s.SetMaxPageCount(0)
	insert(t, s, now, small, big)
	out := finish(t, s, f)
	require.Equal(t, persistence.StatusCompleted, out.Status)
	require.Equal(t, int64(3), queryInt(t, raw, `SELECT count(*) FROM jobs`))
	pending, err := s.PendingJobs([]persistence.JobID{small.ID, big.ID, running.ID})
	require.NoError(t, err)
	require.ElementsMatch(t, []persistence.JobID{small.ID, big.ID}, jobIDs(pending))
}

// TestMaxPageCountOption: Options.MaxPageCount caps the file from Open.
func TestMaxPageCountOption(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPath(t), persistence.Options{MaxPageCount: 1})
	require.NoError(t, s.Begin())
	err := s.Do(func() error {
		_, err := s.InsertJobs([]persistence.NewJob{newJob(func(j *persistence.NewJob) { j.Params = bigParams(64 << 10) })}, time.Now())
		return err
	})
	require.ErrorIs(t, err, persistence.ErrFull)
	require.NoError(t, s.Rollback())
	// Writes that need no new page still work.
	require.NoError(t, s.Begin())
	require.NoError(t, s.Commit())
}
