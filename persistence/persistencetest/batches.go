package persistencetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// The store actor applies the commands waiting in its mailbox in one
// transaction, each inside Store.Do. One failing command must not take the
// others down with it.

func testFailedCommandIsUndoneAlone(t *testing.T, b *bundle) {
	dup := newJob()
	b.insert(t, dup)
	claimed := newJob()
	b.insert(t, claimed)
	first, last := newJob(), newJob()
	errRefused := errors.New("handler refused")
	claimedBefore := b.snapshot(t, claimed.ID)

	errs := b.write(t,
		func() error { _, err := b.s.InsertJobs([]persistence.NewJob{first}, time.Now()); return err },
		func() error { _, err := b.s.InsertJobs([]persistence.NewJob{dup}, time.Now()); return err }, // duplicate id
		func() error {
			// Writes, then fails: what it wrote must go.
			if _, err := b.s.Claim(persistence.Claim{JobID: claimed.ID, ExecutionID: newExecID(), WorkerID: "w"}); err != nil {
				return err
			}
			return errRefused
		},
		func() error { _, err := b.s.InsertJobs([]persistence.NewJob{last}, time.Now()); return err },
	)

	require.NoError(t, errs[0])
	require.Error(t, errs[1])
	require.Contains(t, errs[1].Error(), string(dup.ID))
	require.ErrorIs(t, errs[2], errRefused)
	require.NoError(t, errs[3])

	require.Equal(t, persistence.StatusPending, b.job(t, first.ID).Status)
	require.Equal(t, persistence.StatusPending, b.job(t, last.ID).Status)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM jobs WHERE id = ?`, string(dup.ID)))
	require.Equal(t, claimedBefore, b.snapshot(t, claimed.ID), "the failed command's claim was kept")
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM jobs`))
}

func testInsertIsAllOrNothing(t *testing.T, b *bundle) {
	existing := newJob()
	b.insert(t, existing)
	a, c := newJob(), newJob()

	errs := b.write(t, func() error {
		_, err := b.s.InsertJobs([]persistence.NewJob{a, existing, c}, time.Now())
		return err
	})

	require.Error(t, errs[0])
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM jobs`), "a batch with a duplicate wrote some of its jobs")
}

func testRollbackUndoesBatch(t *testing.T, b *bundle) {
	j := newJob()
	require.NoError(t, b.s.Begin())
	require.NoError(t, b.s.Do(func() error { _, err := b.s.InsertJobs([]persistence.NewJob{j}, time.Now()); return err }))
	require.NoError(t, b.s.Rollback())

	_, err := b.s.Job(b.ctx, j.ID)
	require.ErrorIs(t, err, persistence.ErrNotFound)
	require.Zero(t, b.count(t, `SELECT count(*) FROM jobs`))

	// The store is usable afterwards.
	b.insert(t, j)
	require.Equal(t, persistence.StatusPending, b.job(t, j.ID).Status)
}

func testTransactionMisuse(t *testing.T, b *bundle) {
	require.Error(t, b.s.Do(func() error { return nil }), "Do outside a transaction")
	require.Error(t, b.s.Commit(), "Commit outside a transaction")
	require.NoError(t, b.s.Rollback(), "Rollback outside a transaction is a no-op")

	require.NoError(t, b.s.Begin())
	require.Error(t, b.s.Begin(), "Begin inside a transaction")
	_, _, _, err := b.s.ExternalChanges(10)
	require.Error(t, err, "ExternalChanges inside a transaction")
	require.NoError(t, b.s.Commit())
}
