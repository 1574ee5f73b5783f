package persistence_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// A child released by its last parent's completion in one store (process)
// becomes claimable for the others too: the release stamps it with a new
// ready_seq, so another store on the file sees it through ExternalChanges,
// and not before its last parent completed.
func TestExternalChangesSeeReleasedChildren(t *testing.T) {
	t.Parallel()
	a, b := openPair(t)
	deps := func(ids ...persistence.JobID) func(*persistence.NewJob) {
		return func(j *persistence.NewJob) { j.Dependencies = ids }
	}
	run := func(id persistence.JobID) persistence.Finished {
		t.Helper()
		return finish(t, a, persistence.Finish{JobID: id, ExecutionID: claim(t, a, id), Outcome: persistence.OutcomeCompleted})
	}

	p1, p2 := newJob(), newJob()
	child := newJob(deps(p1.ID, p2.ID))
	grandchild := newJob(deps(child.ID))
	insert(t, a, time.Now(), p1, p2, child, grandchild)
	changed, jobs := changes(t, b)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{p1.ID, p2.ID}, jobIDs(jobs), "waiting jobs are not announced")

	// The first parent's completion counts the child off, but it still
	// waits: nothing to announce.
	out := run(p1.ID)
	require.Equal(t, 1, out.Cascade.Released[0].Remaining)
	changed, jobs = changes(t, b)
	require.True(t, changed)
	require.Empty(t, jobs)

	out = run(p2.ID)
	require.Zero(t, out.Cascade.Released[0].Remaining)
	changed, jobs = changes(t, b)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{child.ID}, jobIDs(jobs))

	// b can claim what it was told about.
	exec := claim(t, b, child.ID)
	finish(t, b, persistence.Finish{JobID: child.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted})
	changed, jobs = changes(t, a)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{grandchild.ID}, jobIDs(jobs))

	// A revived job waits for its requeued parent: b sees the parent, and
	// the child only once the parent completed.
	bad := newJob(func(j *persistence.NewJob) { j.MaxAttempts = 1 })
	under := newJob(deps(bad.ID))
	insert(t, a, time.Now(), bad, under)
	finish(t, a, persistence.Finish{JobID: bad.ID, ExecutionID: claim(t, a, bad.ID), Outcome: persistence.OutcomeFailed, Error: "boom"})
	changes(t, b)
	write(t, a, func() error { _, _, err := a.Requeue(bad.ID); return err })
	changed, jobs = changes(t, b)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{bad.ID}, jobIDs(jobs))
	run(bad.ID)
	changed, jobs = changes(t, b)
	require.True(t, changed)
	require.Equal(t, []persistence.JobID{under.ID}, jobIDs(jobs))
}
