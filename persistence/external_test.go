package persistence_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// Two stores on one file stand for two processes: each has its own write
// connection, so each sees the other's commits through PRAGMA data_version.

func openPair(t *testing.T) (a, b *persistence.Store) {
	t.Helper()
	path := newPath(t)
	return openStore(t, path, persistence.Options{}), openStore(t, path, persistence.Options{})
}

// changes calls ExternalChanges with a limit large enough for one page.
func changes(t *testing.T, s *persistence.Store) (bool, []persistence.ReadyJob) {
	t.Helper()
	changed, jobs, more, err := s.ExternalChanges(100)
	require.NoError(t, err)
	require.False(t, more)
	return changed, jobs
}

func TestExternalChangesSeesOtherStoresJobs(t *testing.T) {
	t.Parallel()
	a, b := openPair(t)

	changed, _ := changes(t, a)
	require.False(t, changed, "nothing happened since Open")

	j1, j2 := newJob(), newJob(func(j *persistence.NewJob) { j.Priority = 4; j.Function = "other" })
	at := time.Now()
	insert(t, b, at, j1, j2)
	changed, jobs := changes(t, a)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{j1.ID, j2.ID}, jobIDs(jobs))
	require.Equal(t, "other", jobs[1].Function)
	require.Equal(t, 4, jobs[1].Priority)
	require.True(t, at.Equal(jobs[1].CreatedAt))
	require.True(t, jobs[1].RetryAfter.IsZero())

	changed, _ = changes(t, a)
	require.False(t, changed, "nothing happened since the last look")

	// A claim commits, but makes nothing pending.
	exec := claim(t, b, j1.ID)
	changed, jobs = changes(t, a)
	require.True(t, changed)
	require.Empty(t, jobs)

	// A failed attempt with attempts left makes the job pending again.
	finish(t, b, persistence.Finish{JobID: j1.ID, ExecutionID: exec, Outcome: persistence.OutcomeFailed, Error: "boom"})
	changed, jobs = changes(t, a)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{j1.ID}, jobIDs(jobs))

	// A cancel commits, but makes nothing pending.
	write(t, b, func() error { _, err := b.Cancel(j2.ID); return err })
	changed, jobs = changes(t, a)
	require.True(t, changed)
	require.Empty(t, jobs)

	// A requeue does.
	write(t, b, func() (err error) { _, _, err = b.Requeue(j2.ID); return err })
	changed, jobs = changes(t, a)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{j2.ID}, jobIDs(jobs))
}

func TestExternalChangesCarryRetryAfter(t *testing.T) {
	t.Parallel()
	a, b := openPair(t)
	j := newJob(func(j *persistence.NewJob) { j.RetryDelay = time.Hour })
	insert(t, b, time.Now(), j)
	exec := claim(t, b, j.ID)
	changes(t, a)

	out := finish(t, b, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeTimeout, Error: "slow"})
	changed, jobs := changes(t, a)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{j.ID}, jobIDs(jobs))
	require.False(t, jobs[0].RetryAfter.IsZero())
	require.True(t, out.Job.RetryAfter.Equal(jobs[0].RetryAfter))
}

func TestExternalChangesIgnoresOwnCommits(t *testing.T) {
	t.Parallel()
	a, b := openPair(t)

	j := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 1 })
	insert(t, a, time.Now(), j)
	changed, _ := changes(t, a)
	require.False(t, changed, "a's own insert")

	exec := claim(t, a, j.ID)
	finish(t, a, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeFailed})
	write(t, a, func() (err error) { _, _, err = a.Requeue(j.ID); return err })
	changed, _ = changes(t, a)
	require.False(t, changed, "a's own claim, report and requeue")

	// b sees all of it, as one change.
	changed, jobs := changes(t, b)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{j.ID}, jobIDs(jobs))

	// After seeing b's change, a's next own commit is still not one.
	insert(t, b, time.Now(), newJob())
	changed, _ = changes(t, a)
	require.True(t, changed)
	insert(t, a, time.Now(), newJob())
	changed, _ = changes(t, a)
	require.False(t, changed)
}

// TestExternalChangesInterleaved: when the other store took a ready_seq
// between two of this store's looks, this store's own jobs of a later
// transaction may be reported again, but the other store's never missed.
func TestExternalChangesInterleaved(t *testing.T) {
	t.Parallel()
	a, b := openPair(t)
	theirs, ours := newJob(), newJob()
	insert(t, b, time.Now(), theirs)
	insert(t, a, time.Now(), ours)

	changed, jobs := changes(t, a)
	require.True(t, changed)
	require.Contains(t, jobIDs(jobs), theirs.ID)
	changed, _ = changes(t, a)
	require.False(t, changed)
}

// pages reads every page of a change, limit jobs at a time.
func pages(t *testing.T, s *persistence.Store, limit int) (changed bool, sizes []int, ids []persistence.JobID) {
	t.Helper()
	changed, jobs, more, err := s.ExternalChanges(limit)
	require.NoError(t, err)
	for {
		require.LessOrEqual(t, len(jobs), limit)
		sizes = append(sizes, len(jobs))
		ids = append(ids, jobIDs(jobs)...)
		if !more {
			return changed, sizes, ids
		}
		jobs, more, err = s.MoreExternalChanges(limit)
		require.NoError(t, err)
	}
}

func TestExternalChangesPaging(t *testing.T) {
	t.Parallel()

	t.Run("OneTransactionLargerThanAPage", func(t *testing.T) {
		t.Parallel()
		a, b := openPair(t)
		var want []persistence.JobID
		var jobs []persistence.NewJob
		for range 7 {
			j := newJob()
			jobs = append(jobs, j)
			want = append(want, j.ID)
		}
		insert(t, b, time.Now(), jobs...)
		raw := openRaw(t, b.Path())
		require.EqualValues(t, 1, queryInt(t, raw, `SELECT count(DISTINCT ready_seq) FROM jobs`), "one transaction, one ready_seq")

		changed, sizes, ids := pages(t, a, 3)
		require.True(t, changed)
		require.Equal(t, []int{3, 3, 1}, sizes)
		require.Equal(t, want, ids, "every job once, in id order")
	})

	t.Run("SeveralTransactions", func(t *testing.T) {
		t.Parallel()
		a, b := openPair(t)
		var want []persistence.JobID
		for _, n := range []int{2, 3, 1} {
			var jobs []persistence.NewJob
			for range n {
				j := newJob()
				jobs = append(jobs, j)
				want = append(want, j.ID)
			}
			insert(t, b, time.Now(), jobs...)
		}
		changed, _, ids := pages(t, a, 2)
		require.True(t, changed)
		require.Equal(t, want, ids)
	})

	t.Run("CommitsWhilePaging", func(t *testing.T) {
		t.Parallel()
		a, b := openPair(t)
		var first []persistence.NewJob
		for range 5 {
			first = append(first, newJob())
		}
		insert(t, b, time.Now(), first...)

		changed, jobs, more, err := a.ExternalChanges(2)
		require.NoError(t, err)
		require.True(t, changed)
		require.True(t, more)
		seen := jobIDs(jobs)

		// b commits more between two pages, and requeues nothing of the first page.
		later := []persistence.NewJob{newJob(), newJob()}
		insert(t, b, time.Now(), later...)
		for more {
			jobs, more, err = a.MoreExternalChanges(2)
			require.NoError(t, err)
			seen = append(seen, jobIDs(jobs)...)
		}
		// Whatever the paging picked up, the next look finds the rest.
		_, jobs = changes(t, a)
		seen = append(seen, jobIDs(jobs)...)

		var want []persistence.JobID
		for _, j := range append(first, later...) {
			want = append(want, j.ID)
		}
		slices.Sort(seen)
		require.Equal(t, want, seen, "every job exactly once")
		changed, _ = changes(t, a)
		require.False(t, changed)
	})
}
