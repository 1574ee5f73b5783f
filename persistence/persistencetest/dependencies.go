package persistencetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// Dependencies and workflows: a job waits (pending, not claimable) until
// every parent completed; a parent's final failure, timeout or cancel
// cancels its pending descendants, naming it; its requeue revives them.

// upstream is the error of a job cancelled because of job j.
func upstream(j persistence.NewJob, st persistence.Status) string {
	return fmt.Sprintf("upstream job %s (%s) %s", j.ID, j.Name, st)
}

// waiting requires a job to be pending and waiting for n parents, as the
// store reports it and as the row says.
func (b *bundle) waiting(t *testing.T, id persistence.JobID, n int) {
	t.Helper()
	j := b.job(t, id)
	require.Equal(t, persistence.StatusPending, j.Status, "job %s", id)
	require.Equal(t, n, j.Waiting, "job %s", id)
	require.Empty(t, j.Error, "job %s", id)
	require.True(t, j.CompletedAt.IsZero(), "job %s", id)
	require.Equal(t, n, b.count(t, `SELECT coalesce((SELECT deps_remaining FROM job_waits WHERE job_id = ?), 0)`, string(id)), "job %s", id)
	require.Equal(t, min(n, 1), b.count(t, `SELECT waiting FROM jobs WHERE id = ?`, string(id)), "job %s", id)
	require.Equal(t, "<null>", b.text(t, `SELECT cancelled_by FROM jobs WHERE id = ?`, string(id)), "job %s", id)
}

// cancelledBecause requires a job to be cancelled because of cause, with
// the given error.
func (b *bundle) cancelledBecause(t *testing.T, id, cause persistence.JobID, errText string) {
	t.Helper()
	j := b.job(t, id)
	require.Equal(t, persistence.StatusCancelled, j.Status, "job %s", id)
	require.Equal(t, errText, j.Error, "job %s", id)
	require.False(t, j.CompletedAt.IsZero(), "job %s", id)
	require.True(t, j.RetryAfter.IsZero(), "job %s", id)
	require.Equal(t, string(cause), b.text(t, `SELECT cancelled_by FROM jobs WHERE id = ?`, string(id)), "job %s", id)
}

// claimErr tries to claim a job without a savepoint and returns the error.
func (b *bundle) claimErr(t *testing.T, id persistence.JobID) error {
	t.Helper()
	return b.direct(t, func() error {
		_, err := b.s.Claim(persistence.Claim{JobID: id, ExecutionID: newExecID(), WorkerID: "worker-2"})
		return err
	})
}

// requireWaitRefused requires a claim of a waiting job to be refused,
// leaving its row and executions as they were.
func (b *bundle) requireWaitRefused(t *testing.T, id persistence.JobID) {
	t.Helper()
	before := b.snapshot(t, id)
	err := b.claimErr(t, id)
	require.ErrorIs(t, err, persistence.ErrNotDue)
	require.True(t, persistence.IsRefusal(err))
	require.Contains(t, err.Error(), "waits for its dependencies")
	require.Contains(t, err.Error(), string(id))
	require.Equal(t, before, b.snapshot(t, id), "the refused claim changed the job")
}

func testWaitingJobNotReady(t *testing.T, b *bundle) {
	parent := newJob(named("parent"))
	child := newJob(named("child"), dependsOn(parent.ID))
	ins := b.insertJobs(t, parent, child)
	require.Equal(t, persistence.Inserted{Status: persistence.StatusPending}, ins[0])
	require.Equal(t, persistence.Inserted{Status: persistence.StatusPending, Waiting: 1}, ins[1])

	b.waiting(t, child.ID, 1)
	require.Equal(t, []persistence.JobID{parent.ID}, b.ready(t, 100, "echo"))
	b.requireWaitRefused(t, child.ID)

	// A running parent is not a completed one, for a job waiting on it
	// or for one inserted now.
	exec := b.claim(t, parent.ID)
	require.Empty(t, b.ready(t, 100, "echo"))
	b.requireWaitRefused(t, child.ID)
	late := newJob(named("late child"), dependsOn(parent.ID))
	ins = b.insertJobs(t, late)
	require.Equal(t, persistence.Inserted{Status: persistence.StatusPending, Waiting: 1}, ins[0])
	b.waiting(t, late.ID, 1)
	b.requireWaitRefused(t, late.ID)

	// Nor is a parent whose attempt failed with attempts left.
	out := b.fail(t, parent.ID, exec, "boom")
	require.Equal(t, persistence.StatusPending, out.Status)
	require.Empty(t, out.Cascade.Released)
	require.Empty(t, out.Cascade.Cancelled)
	b.waiting(t, child.ID, 1)
	require.Equal(t, []persistence.JobID{parent.ID}, b.ready(t, 100, "echo"))
	b.requireWaitRefused(t, child.ID)

	// Nor one the node released as it shut down.
	exec = b.claim(t, parent.ID)
	out = b.finish(t, persistence.Finish{JobID: parent.ID, ExecutionID: exec, Outcome: persistence.OutcomeReleased, Error: "shutdown"})
	require.Equal(t, persistence.StatusPending, out.Status)
	require.Empty(t, out.Cascade.Released)
	b.requireWaitRefused(t, child.ID)

	out = b.run(t, parent.ID, `{"n":2}`)
	require.Equal(t, persistence.StatusCompleted, out.Status)
	require.ElementsMatch(t, []persistence.JobID{child.ID, late.ID}, dependentIDs(out.Cascade.Released))
	b.waiting(t, child.ID, 0)
	b.waiting(t, late.ID, 0)
	require.ElementsMatch(t, []persistence.JobID{child.ID, late.ID}, b.ready(t, 100, "echo"))
	b.run(t, child.ID, `{}`)
	require.Equal(t, persistence.StatusCompleted, b.job(t, child.ID).Status)
	require.Zero(t, b.job(t, child.ID).Waiting, "a job not pending waits for nothing")
}

func testReleaseCounts(t *testing.T, b *bundle) {
	wf := newWorkflowID()
	b.insertWorkflow(t, wf, "release counts")
	done := newJob(named("done"))
	b.insert(t, done)
	b.run(t, done.ID, `1`)

	a := newJob(named("a"), inWorkflow(wf))
	c := newJob(named("c"), inWorkflow(wf))
	child := newJob(named("child"), function("join"), priority(3), inWorkflow(wf), dependsOn(a.ID, done.ID, c.ID))
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	var ins []persistence.Inserted
	b.must(t, func() (err error) {
		ins, err = b.s.InsertJobs([]persistence.NewJob{a, c, child}, at)
		return err
	})
	require.Equal(t, 2, ins[2].Waiting, "a completed parent is not waited for")
	b.waiting(t, child.ID, 2)

	out := b.run(t, a.ID, `"a"`)
	require.Equal(t, wf, out.Cascade.WorkflowID)
	require.Len(t, out.Cascade.Released, 1)
	r := out.Cascade.Released[0]
	require.Equal(t, child.ID, r.Job.ID)
	require.Equal(t, wf, r.WorkflowID)
	require.Equal(t, 1, r.Remaining, "one parent to go")
	require.Equal(t, persistence.StatusPending, r.Status)
	require.Empty(t, r.Error)
	require.Empty(t, out.Cascade.Cancelled)
	require.Empty(t, out.Cascade.Revived)
	b.waiting(t, child.ID, 1)
	require.Equal(t, []persistence.JobID{c.ID}, b.ready(t, 100, "echo", "join"))
	b.requireWaitRefused(t, child.ID)

	out = b.run(t, c.ID, `"c"`)
	require.Len(t, out.Cascade.Released, 1)
	r = out.Cascade.Released[0]
	require.Equal(t, child.ID, r.Job.ID)
	require.Zero(t, r.Remaining, "claimable now")
	// Released, the child carries its ordering key for the dispatcher.
	require.Equal(t, "join", r.Job.Function)
	require.Equal(t, 3, r.Job.Priority)
	sameTime(t, at, r.Job.CreatedAt)
	require.True(t, r.Job.RetryAfter.IsZero())
	require.Equal(t, "child", r.Name)
	require.Equal(t, wf, r.WorkflowID)
	b.waiting(t, child.ID, 0)
	require.Equal(t, []persistence.JobID{child.ID}, b.ready(t, 100, "echo", "join"))

	// A parent completing under a child cancelled by its other parent
	// releases nothing: the child stays cancelled, its counter as it was.
	ok, bad := newJob(named("ok")), newJob(named("bad"), maxAttempts(1))
	both := newJob(named("both"), dependsOn(ok.ID, bad.ID))
	b.insert(t, ok, bad, both)
	b.fail(t, bad.ID, b.claim(t, bad.ID), "boom")
	b.cancelledBecause(t, both.ID, bad.ID, upstream(bad, persistence.StatusFailed))
	before := b.snapshot(t, both.ID)
	released := b.s.ReleasedDependents()
	out = b.run(t, ok.ID, `{}`)
	require.Empty(t, out.Cascade.Released)
	require.Equal(t, before, b.snapshot(t, both.ID))
	require.Equal(t, released, b.s.ReleasedDependents())
}

func testReleasedDependents(t *testing.T, b *bundle) {
	require.Zero(t, b.s.ReleasedDependents())
	a := newJob()
	bb := newJob(dependsOn(a.ID))
	c := newJob(dependsOn(bb.ID))
	lone := newJob()
	fan := newJob()
	kids := []persistence.NewJob{newJob(dependsOn(fan.ID)), newJob(dependsOn(fan.ID)), newJob(dependsOn(fan.ID))}
	b.insert(t, a, bb, c, lone, fan)
	b.insert(t, kids...)

	grows := func(id persistence.JobID, by int64) {
		t.Helper()
		before := b.s.ReleasedDependents()
		b.run(t, id, `{}`)
		require.Equal(t, by, b.s.ReleasedDependents()-before, "completing %s", id)
	}
	grows(a.ID, 1)
	grows(bb.ID, 1)
	grows(c.ID, 0)
	grows(lone.ID, 0)
	grows(fan.ID, 3)
	for _, k := range kids {
		grows(k.ID, 0)
	}

	// Failures, retries and cancels release nothing.
	p := newJob(maxAttempts(2))
	k := newJob(dependsOn(p.ID))
	b.insert(t, p, k)
	before := b.s.ReleasedDependents()
	b.fail(t, p.ID, b.claim(t, p.ID), "retry")
	b.fail(t, p.ID, b.claim(t, p.ID), "final")
	require.Equal(t, before, b.s.ReleasedDependents())
}

func testUnknownDependency(t *testing.T, b *bundle) {
	existing := newJob()
	b.insert(t, existing)
	unknown := newJobID()
	before := b.tableCounts(t)

	first := newJob(named("first"))
	second := newJob(named("second"), dependsOn(existing.ID, first.ID))
	bad := newJob(named("bad"), dependsOn(existing.ID, unknown))
	// Without a savepoint: whatever InsertJobs wrote before refusing
	// would stay.
	err := b.direct(t, func() error {
		_, err := b.s.InsertJobs([]persistence.NewJob{first, second, bad}, time.Now())
		return err
	})
	require.ErrorIs(t, err, persistence.ErrUnknownDependency)
	require.True(t, persistence.IsRefusal(err))
	var de *persistence.DependencyError
	require.ErrorAs(t, err, &de)
	require.Equal(t, persistence.DependencyError{JobID: bad.ID, Name: "bad", Parent: unknown}, *de)
	require.Contains(t, err.Error(), string(bad.ID))
	require.Contains(t, err.Error(), string(unknown))
	require.Equal(t, before, b.tableCounts(t), "a refused submit wrote something")

	// A later job of the same call is not a known parent either.
	child := newJob(named("early child"))
	later := newJob(named("later parent"))
	child.Dependencies = []persistence.JobID{later.ID}
	err = b.direct(t, func() error {
		_, err := b.s.InsertJobs([]persistence.NewJob{child, later}, time.Now())
		return err
	})
	require.ErrorAs(t, err, &de)
	require.Equal(t, persistence.DependencyError{JobID: child.ID, Name: "early child", Parent: later.ID}, *de)
	require.Equal(t, before, b.tableCounts(t))

	// A refused submit does not take its transaction's other commands
	// with it.
	ok := newJob()
	errs := b.write(t,
		func() error { _, err := b.s.InsertJobs([]persistence.NewJob{bad}, time.Now()); return err },
		func() error { _, err := b.s.InsertJobs([]persistence.NewJob{ok}, time.Now()); return err },
	)
	require.ErrorIs(t, errs[0], persistence.ErrUnknownDependency)
	require.NoError(t, errs[1])
	before["jobs"]++
	require.Equal(t, before, b.tableCounts(t))
}

func testInvalidDependencies(t *testing.T, b *bundle) {
	parent := newJob()
	b.insert(t, parent)
	before := b.tableCounts(t)
	for _, tc := range []struct {
		name string
		jobs func() []persistence.NewJob
	}{
		{"listed twice", func() []persistence.NewJob {
			return []persistence.NewJob{newJob(), newJob(dependsOn(parent.ID, parent.ID))}
		}},
		{"listed twice, in the same call", func() []persistence.NewJob {
			p := newJob()
			return []persistence.NewJob{p, newJob(dependsOn(p.ID, parent.ID, p.ID))}
		}},
		{"itself", func() []persistence.NewJob {
			j := newJob()
			j.Dependencies = []persistence.JobID{parent.ID, j.ID}
			return []persistence.NewJob{newJob(), j}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := tc.jobs()
			bad := jobs[len(jobs)-1]
			err := b.direct(t, func() error { _, err := b.s.InsertJobs(jobs, time.Now()); return err })
			require.Error(t, err)
			require.Contains(t, err.Error(), string(bad.ID))
			require.Equal(t, before, b.tableCounts(t), "a refused submit wrote something")
		})
	}
}

func testDependenciesInSameCall(t *testing.T, b *bundle) {
	a := newJob(named("a"))
	bb := newJob(named("b"), dependsOn(a.ID))
	c := newJob(named("c"), dependsOn(a.ID, bb.ID))
	ins := b.insertJobs(t, a, bb, c)
	require.Equal(t, []int{0, 1, 2}, []int{ins[0].Waiting, ins[1].Waiting, ins[2].Waiting})
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM job_dependencies`))
	require.Equal(t, []persistence.JobID{a.ID}, b.ready(t, 100, "echo"))

	out := b.run(t, a.ID, `{}`)
	require.ElementsMatch(t, []persistence.JobID{bb.ID, c.ID}, dependentIDs(out.Cascade.Released))
	for _, r := range out.Cascade.Released {
		want := map[persistence.JobID]int{bb.ID: 0, c.ID: 1}[r.Job.ID]
		require.Equal(t, want, r.Remaining, "job %s", r.Name)
	}
	require.Equal(t, []persistence.JobID{bb.ID}, b.ready(t, 100, "echo"))
	out = b.run(t, bb.ID, `{}`)
	require.Equal(t, []persistence.JobID{c.ID}, dependentIDs(out.Cascade.Released))
	require.Zero(t, out.Cascade.Released[0].Remaining)
	b.run(t, c.ID, `{}`)

	// A job of the call cancelled by a dead parent cancels the later
	// jobs of the call that depend on it, naming the same upstream job.
	dead := newJob(named("dead"), maxAttempts(1))
	b.insert(t, dead)
	b.timeOut(t, dead.ID, b.claim(t, dead.ID), "slow")
	p := newJob(named("p"), dependsOn(dead.ID))
	q := newJob(named("q"), dependsOn(p.ID))
	free := newJob(named("free"))
	ins = b.insertJobs(t, p, q, free)
	errText := upstream(dead, persistence.StatusTimeout)
	require.Equal(t, persistence.StatusCancelled, ins[0].Status)
	require.Equal(t, errText, ins[0].Error)
	require.Equal(t, persistence.StatusCancelled, ins[1].Status)
	require.Equal(t, errText, ins[1].Error)
	require.Equal(t, persistence.Inserted{Status: persistence.StatusPending}, ins[2])
	b.cancelledBecause(t, p.ID, dead.ID, errText)
	b.cancelledBecause(t, q.ID, dead.ID, errText)
}

func testInsertUnderDeadParent(t *testing.T, b *bundle) {
	failed := newJob(named("failed parent"), maxAttempts(1))
	b.insert(t, failed)
	b.fail(t, failed.ID, b.claim(t, failed.ID), "boom")

	child := newJob(named("child"))
	child.Dependencies = []persistence.JobID{failed.ID}
	ins := b.insertJobs(t, child)
	errText := upstream(failed, persistence.StatusFailed)
	require.Equal(t, persistence.StatusCancelled, ins[0].Status)
	require.Equal(t, errText, ins[0].Error)
	b.cancelledBecause(t, child.ID, failed.ID, errText)
	require.Empty(t, b.ready(t, 100, "echo"))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM job_dependencies WHERE job_id = ?`, string(child.ID)),
		"the edge is written, for the revive")

	// A job under the cancelled child gets the child's own upstream
	// error: the job whose requeue brings both back.
	grandchild := newJob(named("grandchild"), dependsOn(child.ID))
	ins = b.insertJobs(t, grandchild)
	require.Equal(t, persistence.StatusCancelled, ins[0].Status)
	require.Equal(t, errText, ins[0].Error)
	b.cancelledBecause(t, grandchild.ID, failed.ID, errText)

	// The other dead states.
	timedOut := newJob(named("timed out"), maxAttempts(1))
	cancelled := newJob(named("cancelled"))
	b.insert(t, timedOut, cancelled)
	b.timeOut(t, timedOut.ID, b.claim(t, timedOut.ID), "slow")
	b.cancel(t, cancelled.ID)
	pending := newJob()
	b.insert(t, pending)
	under := []persistence.NewJob{newJob(dependsOn(pending.ID, timedOut.ID)), newJob(dependsOn(cancelled.ID))}
	ins = b.insertJobs(t, under...)
	b.cancelledBecause(t, under[0].ID, timedOut.ID, upstream(timedOut, persistence.StatusTimeout))
	b.cancelledBecause(t, under[1].ID, cancelled.ID, upstream(cancelled, persistence.StatusCancelled))
	require.Equal(t, upstream(timedOut, persistence.StatusTimeout), ins[0].Error)
	require.Equal(t, upstream(cancelled, persistence.StatusCancelled), ins[1].Error)

	// Requeuing the failed parent revives both, each waiting for its
	// parent; then the chain runs.
	d, c := b.requeue(t, failed.ID)
	require.Equal(t, failed.ID, d.Job.ID)
	require.Equal(t, persistence.StatusPending, d.Status)
	require.Zero(t, d.Remaining)
	require.ElementsMatch(t, []persistence.JobID{child.ID, grandchild.ID}, dependentIDs(c.Revived))
	for _, r := range c.Revived {
		require.Equal(t, 1, r.Remaining, "job %s", r.Name)
		require.Equal(t, persistence.StatusPending, r.Status)
		require.Empty(t, r.Error)
	}
	require.Empty(t, c.Cancelled)
	b.waiting(t, child.ID, 1)
	b.waiting(t, grandchild.ID, 1)
	b.run(t, failed.ID, `{}`)
	b.run(t, child.ID, `{}`)
	b.run(t, grandchild.ID, `{}`)

	// Requeuing the cancelled parent revives its child too.
	_, c = b.requeue(t, cancelled.ID)
	require.Equal(t, []persistence.JobID{under[1].ID}, dependentIDs(c.Revived))
	b.waiting(t, under[1].ID, 1)
}

// chain inserts a -> b -> c -> d (each depending on the one before), a
// job e that also depends on a, and an unrelated job, and returns them.
func (b *bundle) chain(t *testing.T, first persistence.NewJob) []persistence.NewJob {
	t.Helper()
	jobs := []persistence.NewJob{first}
	for _, n := range []string{"b", "c", "d"} {
		jobs = append(jobs, newJob(named(n), dependsOn(jobs[len(jobs)-1].ID)))
	}
	jobs = append(jobs, newJob(named("e"), dependsOn(first.ID)), newJob(named("unrelated")))
	b.insert(t, jobs...)
	return jobs
}

func testCascadeOnFailure(t *testing.T, b *bundle) {
	for _, tc := range []struct {
		name    string
		outcome persistence.Outcome
		status  persistence.Status
	}{
		{"failed", persistence.OutcomeFailed, persistence.StatusFailed},
		{"timeout", persistence.OutcomeTimeout, persistence.StatusTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := b.chain(t, newJob(named("a"), maxAttempts(2)))
			a := jobs[0]

			// An attempt that retries cancels nothing.
			out := b.finish(t, persistence.Finish{JobID: a.ID, ExecutionID: b.claim(t, a.ID), Outcome: tc.outcome, Error: "first"})
			require.Equal(t, persistence.StatusPending, out.Status)
			require.Empty(t, out.Cascade.Cancelled)
			require.Empty(t, out.Cascade.Released)
			for _, j := range jobs[1:5] {
				b.waiting(t, j.ID, 1)
			}

			out = b.finish(t, persistence.Finish{JobID: a.ID, ExecutionID: b.claim(t, a.ID), Outcome: tc.outcome, Error: "last"})
			require.Equal(t, tc.status, out.Status)
			require.Empty(t, out.Cascade.WorkflowID)
			require.Empty(t, out.Cascade.Released)
			errText := upstream(a, tc.status)
			require.ElementsMatch(t, []persistence.JobID{jobs[1].ID, jobs[2].ID, jobs[3].ID, jobs[4].ID}, dependentIDs(out.Cascade.Cancelled))
			for _, d := range out.Cascade.Cancelled {
				require.Equal(t, persistence.StatusCancelled, d.Status)
				require.Equal(t, errText, d.Error)
			}
			for _, j := range jobs[1:5] {
				b.cancelledBecause(t, j.ID, a.ID, errText)
			}
			require.Equal(t, "last", b.job(t, a.ID).Error, "the job keeps its own error")
			b.waiting(t, jobs[5].ID, 0)
		})
	}
}

func testCascadeOnCancel(t *testing.T, b *bundle) {
	jobs := b.chain(t, newJob(named("a")))
	a := jobs[0]
	c := b.cancelCascade(t, a.ID)
	require.Empty(t, c.WorkflowID)
	require.Empty(t, c.Released)
	require.Empty(t, c.Revived)
	errText := upstream(a, persistence.StatusCancelled)
	require.ElementsMatch(t, []persistence.JobID{jobs[1].ID, jobs[2].ID, jobs[3].ID, jobs[4].ID}, dependentIDs(c.Cancelled))
	for _, d := range c.Cancelled {
		require.Equal(t, errText, d.Error)
		require.Equal(t, persistence.StatusCancelled, d.Status)
	}
	require.Equal(t, persistence.StatusCancelled, b.job(t, a.ID).Status)
	require.Equal(t, "<null>", b.text(t, `SELECT cancelled_by FROM jobs WHERE id = ?`, string(a.ID)))
	for _, j := range jobs[1:5] {
		b.cancelledBecause(t, j.ID, a.ID, errText)
	}
	b.waiting(t, jobs[5].ID, 0)

	// Cancelling in the middle cancels only what is below.
	jobs = b.chain(t, newJob(named("a2")))
	c = b.cancelCascade(t, jobs[2].ID)
	require.ElementsMatch(t, []persistence.JobID{jobs[3].ID}, dependentIDs(c.Cancelled))
	b.waiting(t, jobs[1].ID, 1)
	b.waiting(t, jobs[4].ID, 1)
	b.cancelledBecause(t, jobs[3].ID, jobs[2].ID, upstream(jobs[2], persistence.StatusCancelled))
}

func testRequeueRevivesChain(t *testing.T, b *bundle) {
	jobs := b.chain(t, newJob(named("a"), maxAttempts(1)))
	a := jobs[0]
	b.fail(t, a.ID, b.claim(t, a.ID), "boom")

	d, c := b.requeue(t, a.ID)
	require.Equal(t, a.ID, d.Job.ID)
	require.Zero(t, d.Remaining)
	require.Empty(t, c.Cancelled)
	require.Empty(t, c.Released)
	require.ElementsMatch(t, []persistence.JobID{jobs[1].ID, jobs[2].ID, jobs[3].ID, jobs[4].ID}, dependentIDs(c.Revived))
	for _, r := range c.Revived {
		require.Equal(t, 1, r.Remaining, "job %s waits for its own parent", r.Name)
	}
	j := b.job(t, a.ID)
	require.Equal(t, persistence.StatusPending, j.Status)
	require.Zero(t, j.Attempts)
	require.Empty(t, j.Error)
	for _, j := range jobs[1:5] {
		b.waiting(t, j.ID, 1)
	}
	require.ElementsMatch(t, []persistence.JobID{a.ID, jobs[5].ID}, b.ready(t, 100, "echo"))

	// The chain runs to the end.
	for i, j := range jobs[:3] {
		require.Contains(t, b.ready(t, 100, "echo"), j.ID)
		out := b.run(t, j.ID, fmt.Sprintf(`{"step":%d}`, i))
		require.Contains(t, dependentIDs(out.Cascade.Released), jobs[i+1].ID)
	}
	b.run(t, jobs[3].ID, `{}`)
	b.run(t, jobs[4].ID, `{}`)
	for _, j := range jobs[:5] {
		require.Equal(t, persistence.StatusCompleted, b.job(t, j.ID).Status)
	}

	// A job cancelled by hand under a pending parent, requeued, waits for
	// it again.
	p, k := newJob(named("p")), newJob(named("k"))
	k.Dependencies = []persistence.JobID{p.ID}
	b.insert(t, p, k)
	b.cancel(t, k.ID)
	d, c = b.requeue(t, k.ID)
	require.Equal(t, k.ID, d.Job.ID)
	require.Equal(t, 1, d.Remaining)
	b.waiting(t, k.ID, 1)
	b.requireWaitRefused(t, k.ID)

	// Counts are recomputed: a job with one completed parent and one
	// failed one waits, once revived, only for the failed one.
	done, bad := newJob(named("done")), newJob(named("bad"), maxAttempts(1))
	b.insert(t, done, bad)
	kid := newJob(named("kid"), dependsOn(done.ID, bad.ID))
	grandkid := newJob(named("grandkid"), dependsOn(kid.ID, done.ID))
	b.insert(t, kid, grandkid)
	b.run(t, done.ID, `{}`)
	b.waiting(t, kid.ID, 1)
	b.waiting(t, grandkid.ID, 1)
	b.fail(t, bad.ID, b.claim(t, bad.ID), "boom")
	b.requeue(t, bad.ID)
	b.waiting(t, kid.ID, 1)
	b.waiting(t, grandkid.ID, 1)
	b.run(t, bad.ID, `{}`)
	b.waiting(t, kid.ID, 0)
	b.run(t, kid.ID, `{}`)
	b.waiting(t, grandkid.ID, 0)
}

func testRequeueBlocked(t *testing.T, b *bundle) {
	jobs := b.chain(t, newJob(named("a"), maxAttempts(1)))
	a := jobs[0]
	b.fail(t, a.ID, b.claim(t, a.ID), "boom")

	// The child and the grandchild both name a: requeuing a is what
	// brings them back.
	for _, j := range jobs[1:4] {
		before := b.snapshot(t, j.ID)
		err := b.direct(t, func() error { _, _, err := b.s.Requeue(j.ID); return err })
		require.ErrorIs(t, err, persistence.ErrInvalidTransition, "requeue %s", j.Name)
		require.True(t, persistence.IsRefusal(err))
		var be *persistence.BlockedError
		require.ErrorAs(t, err, &be)
		require.Equal(t, persistence.BlockedError{JobID: j.ID, Parent: a.ID, ParentName: "a", ParentStatus: persistence.StatusFailed}, *be)
		require.Contains(t, err.Error(), "requeue "+string(a.ID))
		require.Equal(t, before, b.snapshot(t, j.ID), "the refused requeue changed %s", j.Name)
	}

	// A job cancelled by hand blocks its child's requeue in its own name.
	jobs = b.chain(t, newJob(named("a2")))
	b.cancel(t, jobs[1].ID)
	err := b.direct(t, func() error { _, _, err := b.s.Requeue(jobs[3].ID); return err })
	var be *persistence.BlockedError
	require.ErrorAs(t, err, &be)
	require.Equal(t, persistence.BlockedError{JobID: jobs[3].ID, Parent: jobs[1].ID, ParentName: "b", ParentStatus: persistence.StatusCancelled}, *be)
	_, c := b.requeue(t, jobs[1].ID)
	require.ElementsMatch(t, []persistence.JobID{jobs[2].ID, jobs[3].ID}, dependentIDs(c.Revived))
}

func testReviveWithAnotherDeadParent(t *testing.T, b *bundle) {
	a := newJob(named("a"), maxAttempts(1))
	x := newJob(named("x"), maxAttempts(1))
	child := newJob(named("child"), dependsOn(a.ID, x.ID))
	grandchild := newJob(named("grandchild"), dependsOn(child.ID))
	b.insert(t, a, x, child, grandchild)

	b.fail(t, a.ID, b.claim(t, a.ID), "a broke")
	aErr := upstream(a, persistence.StatusFailed)
	b.cancelledBecause(t, child.ID, a.ID, aErr)
	b.cancelledBecause(t, grandchild.ID, a.ID, aErr)
	out := b.fail(t, x.ID, b.claim(t, x.ID), "x broke")
	require.Empty(t, out.Cascade.Cancelled, "its dependents were cancelled already")

	// Requeuing a revives the child, which x still blocks: it is
	// cancelled again, because of x, with everything below it.
	_, c := b.requeue(t, a.ID)
	xErr := upstream(x, persistence.StatusFailed)
	require.Empty(t, c.Revived)
	require.ElementsMatch(t, []persistence.JobID{child.ID, grandchild.ID}, dependentIDs(c.Cancelled))
	for _, d := range c.Cancelled {
		require.Equal(t, persistence.StatusCancelled, d.Status)
		require.Equal(t, xErr, d.Error)
	}
	b.cancelledBecause(t, child.ID, x.ID, xErr)
	b.cancelledBecause(t, grandchild.ID, x.ID, xErr)
	require.Equal(t, []persistence.JobID{a.ID}, b.ready(t, 100, "echo"))

	// Requeuing x brings them back, waiting for a and x, then for the
	// child.
	_, c = b.requeue(t, x.ID)
	require.ElementsMatch(t, []persistence.JobID{child.ID, grandchild.ID}, dependentIDs(c.Revived))
	require.Empty(t, c.Cancelled)
	b.waiting(t, child.ID, 2)
	b.waiting(t, grandchild.ID, 1)

	// The other dead parent may itself be cancelled by an upstream job:
	// the revived job is cancelled again in that job's name.
	z := newJob(named("z"), maxAttempts(1))
	y := newJob(named("y"), dependsOn(z.ID))
	p := newJob(named("p"), maxAttempts(1))
	k := newJob(named("k"), dependsOn(p.ID, y.ID))
	b.insert(t, z, y, p, k)
	b.fail(t, z.ID, b.claim(t, z.ID), "z broke")
	zErr := upstream(z, persistence.StatusFailed)
	b.cancelledBecause(t, y.ID, z.ID, zErr)
	b.cancelledBecause(t, k.ID, z.ID, zErr)
	// k was cancelled by z; p's failure finds nothing pending.
	b.fail(t, p.ID, b.claim(t, p.ID), "p broke")
	// Nothing to revive for p: k names z.
	_, c = b.requeue(t, p.ID)
	require.Empty(t, c.Revived)
	require.Empty(t, c.Cancelled)
	b.cancelledBecause(t, k.ID, z.ID, zErr)
	_, c = b.requeue(t, z.ID)
	require.ElementsMatch(t, []persistence.JobID{y.ID, k.ID}, dependentIDs(c.Revived))
	b.waiting(t, y.ID, 1)
	b.waiting(t, k.ID, 2)

	// And the same with the dead parent cancelled by an upstream job when
	// the revive runs.
	z2 := newJob(named("z2"), maxAttempts(1))
	y2 := newJob(named("y2"), dependsOn(z2.ID))
	p2 := newJob(named("p2"), maxAttempts(1))
	k2 := newJob(named("k2"), dependsOn(p2.ID, y2.ID))
	b.insert(t, z2, y2, p2, k2)
	b.fail(t, p2.ID, b.claim(t, p2.ID), "p2 broke")
	b.cancelledBecause(t, k2.ID, p2.ID, upstream(p2, persistence.StatusFailed))
	b.fail(t, z2.ID, b.claim(t, z2.ID), "z2 broke")
	z2Err := upstream(z2, persistence.StatusFailed)
	b.cancelledBecause(t, y2.ID, z2.ID, z2Err)
	_, c = b.requeue(t, p2.ID)
	require.Empty(t, c.Revived)
	require.Equal(t, []persistence.JobID{k2.ID}, dependentIDs(c.Cancelled))
	require.Equal(t, z2Err, c.Cancelled[0].Error)
	b.cancelledBecause(t, k2.ID, z2.ID, z2Err)
	_, c = b.requeue(t, z2.ID)
	require.ElementsMatch(t, []persistence.JobID{y2.ID, k2.ID}, dependentIDs(c.Revived))
	b.waiting(t, k2.ID, 2)
}

func testDependenciesColumn(t *testing.T, b *bundle) {
	p1, p2, p3 := newJob(), newJob(), newJob()
	b.insert(t, p1, p2, p3)
	// Not in id order, so that the order kept is the caller's.
	deps := []persistence.JobID{p3.ID, p1.ID, p2.ID}
	child := newJob(dependsOn(deps...))
	plain := newJob()
	b.insert(t, child, plain)

	want, err := json.Marshal(deps)
	require.NoError(t, err)
	require.JSONEq(t, string(want), b.text(t, `SELECT dependencies FROM jobs WHERE id = ?`, string(child.ID)))
	require.Equal(t, "[]", b.text(t, `SELECT dependencies FROM jobs WHERE id = ?`, string(plain.ID)))
	require.Equal(t, deps, b.job(t, child.ID).Dependencies)
	require.Empty(t, b.job(t, plain.ID).Dependencies)
	edges := query(t, b.raw, `SELECT parent_id, position FROM job_dependencies WHERE job_id = ? ORDER BY position`, string(child.ID))
	require.Equal(t, [][]any{{string(p3.ID), int64(0)}, {string(p1.ID), int64(1)}, {string(p2.ID), int64(2)}}, edges)

	listed, err := b.s.ListJobs(b.ctx, persistence.ListParams{Limit: 100})
	require.NoError(t, err)
	for _, j := range listed {
		if j.ID == child.ID {
			require.Equal(t, deps, j.Dependencies)
		}
	}

	for _, p := range []persistence.NewJob{p1, p2, p3} {
		b.run(t, p.ID, `{}`)
	}
	var claimed *persistence.Job
	b.must(t, func() (err error) {
		claimed, err = b.s.Claim(persistence.Claim{JobID: child.ID, ExecutionID: newExecID(), WorkerID: "w"})
		return err
	})
	require.Equal(t, deps, claimed.Dependencies)
}

func testParentResults(t *testing.T, b *bundle) {
	p1, p2, p3 := newJob(named("one")), newJob(named("two")), newJob(named("three"))
	other := newJob(named("other"))
	b.insert(t, p1, p2, p3, other)
	child := newJob(dependsOn(p3.ID, p1.ID, p2.ID))
	b.insert(t, child)

	got, err := b.s.ParentResults(b.ctx, child.ID)
	require.NoError(t, err)
	require.Equal(t, []persistence.ParentResult{
		{JobID: p3.ID, Name: "three", Status: persistence.StatusPending},
		{JobID: p1.ID, Name: "one", Status: persistence.StatusPending},
		{JobID: p2.ID, Name: "two", Status: persistence.StatusPending},
	}, got)

	b.run(t, p1.ID, `{"v":1}`)
	b.run(t, p2.ID, `[2,"two"]`)
	b.run(t, p3.ID, ``) // no result: stored as null
	b.run(t, other.ID, `{"not":"mine"}`)
	got, err = b.s.ParentResults(b.ctx, child.ID)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, []persistence.JobID{p3.ID, p1.ID, p2.ID}, []persistence.JobID{got[0].JobID, got[1].JobID, got[2].JobID})
	for _, r := range got {
		require.Equal(t, persistence.StatusCompleted, r.Status)
	}
	require.JSONEq(t, `null`, string(got[0].Result))
	require.JSONEq(t, `{"v":1}`, string(got[1].Result))
	require.JSONEq(t, `[2,"two"]`, string(got[2].Result))
	require.Equal(t, "three", got[0].Name)

	got, err = b.s.ParentResults(b.ctx, other.ID)
	require.NoError(t, err)
	require.Empty(t, got, "a job without dependencies")
}

// testParentResultsAfterClear: ParentResults promises a row (with a nil
// result) for a parent no longer in the database. A completed parent of a
// job that still waits for another parent is deleted by ClearCompleted.
// testParentResultsAfterClear: ClearCompleted keeps a completed parent
// while a job that depends on it has not completed, so that job still
// reads every parent's result; once it completed, both go.
func testParentResultsAfterClear(t *testing.T, b *bundle) {
	done, slow := newJob(named("done")), newJob(named("slow"))
	b.insert(t, done, slow)
	child := newJob(dependsOn(done.ID, slow.ID))
	b.insert(t, child)
	b.run(t, done.ID, `{"v":1}`)
	var n int
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(time.Time{}); return err })
	require.Zero(t, n, "done is kept: child waits for slow and will read done's result")
	b.run(t, slow.ID, `{"v":2}`)

	got, err := b.s.ParentResults(b.ctx, child.ID)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, []persistence.JobID{done.ID, slow.ID}, []persistence.JobID{got[0].JobID, got[1].JobID})
	require.JSONEq(t, `{"v":1}`, string(got[0].Result))
	require.JSONEq(t, `{"v":2}`, string(got[1].Result))

	b.run(t, child.ID, `{}`)
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(time.Time{}); return err })
	require.Equal(t, 3, n)
	require.Zero(t, b.count(t, `SELECT count(*) FROM job_dependencies`))
}

func testWorkflowStatus(t *testing.T, b *bundle) {
	_, _, err := b.s.RefreshWorkflow(newWorkflowID())
	require.ErrorIs(t, err, persistence.ErrNotFound)

	t.Run("completed", func(t *testing.T) {
		wf := newWorkflowID()
		b.insertWorkflow(t, wf, "to completion")
		a := newJob(inWorkflow(wf))
		c := newJob(inWorkflow(wf), dependsOn(a.ID))
		b.insert(t, a, c)
		w, jobs, err := b.s.Workflow(b.ctx, wf)
		require.NoError(t, err)
		require.Equal(t, persistence.WorkflowRunning, w.Status)
		require.Equal(t, "to completion", w.Name)
		require.Equal(t, wf, w.ID)
		require.Len(t, jobs, 2)
		require.Equal(t, []persistence.JobID{a.ID, c.ID}, []persistence.JobID{jobs[0].ID, jobs[1].ID})
		require.Equal(t, wf, jobs[1].WorkflowID)
		require.Equal(t, 1, jobs[1].Waiting)

		st, changed := b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowRunning, st)
		require.False(t, changed)
		b.run(t, a.ID, `{}`)
		st, changed = b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowRunning, st)
		require.False(t, changed)
		b.claim(t, c.ID)
		st, _ = b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowRunning, st, "a running job keeps it running")
		b.complete(t, c.ID, b.job(t, c.ID).ExecutionID, `{}`)
		st, changed = b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowCompleted, st)
		require.True(t, changed)
		st, changed = b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowCompleted, st)
		require.False(t, changed)
		w, _, err = b.s.Workflow(b.ctx, wf)
		require.NoError(t, err)
		require.Equal(t, persistence.WorkflowCompleted, w.Status)
		require.Equal(t, "completed", b.text(t, `SELECT status FROM workflows WHERE id = ?`, string(wf)))
	})

	for _, tc := range []struct {
		name    string
		outcome persistence.Outcome
	}{{"failed", persistence.OutcomeFailed}, {"timeout", persistence.OutcomeTimeout}} {
		t.Run(tc.name+" then requeued", func(t *testing.T) {
			wf := newWorkflowID()
			b.insertWorkflow(t, wf, "to failure")
			a := newJob(inWorkflow(wf), maxAttempts(1))
			c := newJob(inWorkflow(wf), dependsOn(a.ID))
			b.insert(t, a, c)
			out := b.finish(t, persistence.Finish{JobID: a.ID, ExecutionID: b.claim(t, a.ID), Outcome: tc.outcome, Error: "x"})
			require.Equal(t, wf, out.Cascade.WorkflowID)
			require.Equal(t, wf, out.Cascade.Cancelled[0].WorkflowID)
			st, changed := b.refresh(t, wf)
			require.Equal(t, persistence.WorkflowFailed, st, "failed wins over cancelled")
			require.True(t, changed)

			_, cas := b.requeue(t, a.ID)
			require.Equal(t, wf, cas.WorkflowID)
			st, changed = b.refresh(t, wf)
			require.Equal(t, persistence.WorkflowRunning, st)
			require.True(t, changed)
			b.run(t, a.ID, `{}`)
			b.run(t, c.ID, `{}`)
			st, changed = b.refresh(t, wf)
			require.Equal(t, persistence.WorkflowCompleted, st)
			require.True(t, changed)
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		wf := newWorkflowID()
		b.insertWorkflow(t, wf, "to cancel")
		a := newJob(inWorkflow(wf))
		c := newJob(inWorkflow(wf), dependsOn(a.ID))
		done := newJob(inWorkflow(wf))
		b.insert(t, a, c, done)
		b.run(t, done.ID, `{}`)
		cas := b.cancelCascade(t, a.ID)
		require.Equal(t, wf, cas.WorkflowID)
		st, changed := b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowCancelled, st)
		require.True(t, changed)
		b.requeue(t, a.ID)
		st, changed = b.refresh(t, wf)
		require.Equal(t, persistence.WorkflowRunning, st)
		require.True(t, changed)
	})
}

func testCancelWorkflow(t *testing.T, b *bundle) {
	_, err := b.s.CancelWorkflow(newWorkflowID())
	require.ErrorIs(t, err, persistence.ErrNotFound)

	wf := newWorkflowID()
	b.insertWorkflow(t, wf, "cancel me")
	done := newJob(named("done"), inWorkflow(wf))
	running := newJob(named("running"), inWorkflow(wf))
	failed := newJob(named("failed"), inWorkflow(wf), maxAttempts(1))
	p1 := newJob(named("p1"), inWorkflow(wf))
	p2 := newJob(named("p2"), inWorkflow(wf), dependsOn(done.ID))
	b.insert(t, done, running, failed, p1, p2)
	b.run(t, done.ID, `{}`)
	b.fail(t, failed.ID, b.claim(t, failed.ID), "boom")
	exec := b.claim(t, running.ID)
	// Plain jobs outside the workflow: x depends on p2, y on x.
	x := newJob(named("x"), dependsOn(p2.ID))
	y := newJob(named("y"), dependsOn(x.ID))
	free := newJob(named("free"))
	b.insert(t, x, y, free)
	keep := map[persistence.JobID]rows{}
	for _, id := range []persistence.JobID{done.ID, running.ID, failed.ID, free.ID} {
		keep[id] = b.snapshot(t, id)
	}

	var out []persistence.Dependent
	b.must(t, func() (err error) { out, err = b.s.CancelWorkflow(wf); return err })
	require.ElementsMatch(t, []persistence.JobID{p1.ID, p2.ID, x.ID, y.ID}, dependentIDs(out))
	xErr := upstream(p2, persistence.StatusCancelled)
	for _, d := range out {
		require.Equal(t, persistence.StatusCancelled, d.Status)
		switch d.Job.ID {
		case p1.ID, p2.ID:
			require.Equal(t, "workflow cancelled", d.Error)
			require.Equal(t, wf, d.WorkflowID)
		default:
			require.Equal(t, xErr, d.Error)
			require.Empty(t, d.WorkflowID)
		}
	}
	for _, id := range []persistence.JobID{p1.ID, p2.ID} {
		j := b.job(t, id)
		require.Equal(t, persistence.StatusCancelled, j.Status)
		require.Equal(t, "workflow cancelled", j.Error)
	}
	b.cancelledBecause(t, x.ID, p2.ID, xErr)
	b.cancelledBecause(t, y.ID, p2.ID, xErr)
	for id, before := range keep {
		require.Equal(t, before, b.snapshot(t, id), "job %s", id)
	}

	st, _ := b.refresh(t, wf)
	require.Equal(t, persistence.WorkflowRunning, st, "a job still runs")
	b.complete(t, running.ID, exec, `{}`)
	st, _ = b.refresh(t, wf)
	require.Equal(t, persistence.WorkflowFailed, st)

	// Requeuing p2 brings the plain jobs back.
	_, c := b.requeue(t, p2.ID)
	require.ElementsMatch(t, []persistence.JobID{x.ID, y.ID}, dependentIDs(c.Revived))
}

func testWorkflowGraph(t *testing.T, b *bundle) {
	_, err := b.s.WorkflowGraph(newWorkflowID())
	require.ErrorIs(t, err, persistence.ErrNotFound)

	ext := newJob(named("outside"))
	otherWF := newWorkflowID()
	b.insertWorkflow(t, otherWF, "other")
	foreign := newJob(named("foreign"), inWorkflow(otherWF))
	b.insert(t, ext, foreign)
	b.run(t, foreign.ID, `{}`)

	wf := newWorkflowID()
	b.insertWorkflow(t, wf, "graph")
	a := newJob(named("a"), inWorkflow(wf), priority(2), function("fa"))
	c := newJob(named("c"), inWorkflow(wf), dependsOn(a.ID, ext.ID))
	d := newJob(named("d"), inWorkflow(wf), dependsOn(foreign.ID, c.ID, a.ID))
	at := time.Date(2032, 5, 6, 7, 8, 9, 10, time.UTC)
	b.must(t, func() error { _, err := b.s.InsertJobs([]persistence.NewJob{a, c, d}, at); return err })

	g, err := b.s.WorkflowGraph(wf)
	require.NoError(t, err)
	require.Equal(t, wf, g.Workflow.ID)
	require.Equal(t, "graph", g.Workflow.Name)
	require.Equal(t, persistence.WorkflowRunning, g.Workflow.Status)
	require.Len(t, g.Jobs, 3)
	require.Equal(t, []persistence.JobID{a.ID, c.ID, d.ID}, []persistence.JobID{g.Jobs[0].Job.ID, g.Jobs[1].Job.ID, g.Jobs[2].Job.ID})
	require.Equal(t, "fa", g.Jobs[0].Job.Function)
	require.Equal(t, 2, g.Jobs[0].Job.Priority)
	sameTime(t, at, g.Jobs[0].Job.CreatedAt)
	require.Empty(t, g.Jobs[0].Parents)
	require.Equal(t, []persistence.JobID{a.ID, ext.ID}, g.Jobs[1].Parents)
	require.Equal(t, []persistence.JobID{foreign.ID, c.ID, a.ID}, g.Jobs[2].Parents)
	require.Equal(t, []int{0, 2, 2}, []int{g.Jobs[0].Remaining, g.Jobs[1].Remaining, g.Jobs[2].Remaining})
	for _, j := range g.Jobs {
		require.Equal(t, persistence.StatusPending, j.Status)
	}
	require.Equal(t, map[persistence.JobID]persistence.Status{
		ext.ID:     persistence.StatusPending,
		foreign.ID: persistence.StatusCompleted,
	}, g.External)

	b.fail(t, ext.ID, b.claim(t, ext.ID), "retry")
	b.run(t, a.ID, `{}`)
	g, err = b.s.WorkflowGraph(wf)
	require.NoError(t, err)
	require.Equal(t, persistence.StatusCompleted, g.Jobs[0].Status)
	require.Equal(t, []int{0, 1, 1}, []int{g.Jobs[0].Remaining, g.Jobs[1].Remaining, g.Jobs[2].Remaining})
	require.Equal(t, persistence.StatusPending, g.External[ext.ID])
}

func testUnfinishedWorkflows(t *testing.T, b *bundle) {
	ids := []persistence.WorkflowID{newWorkflowID(), newWorkflowID(), newWorkflowID()}
	// Inserted out of order: the list is in id order.
	for _, i := range []int{2, 0, 1} {
		b.insertWorkflow(t, ids[i], fmt.Sprintf("w%d", i))
	}
	j := newJob(inWorkflow(ids[1]))
	b.insert(t, j)
	b.run(t, j.ID, `{}`)
	got, err := b.s.UnfinishedWorkflows(b.ctx)
	require.NoError(t, err)
	require.Equal(t, ids, got, "not refreshed yet")
	b.refresh(t, ids[1])
	got, err = b.s.UnfinishedWorkflows(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []persistence.WorkflowID{ids[0], ids[2]}, got)

	w, jobs, err := b.s.Workflow(b.ctx, ids[1])
	require.NoError(t, err)
	require.Equal(t, persistence.WorkflowCompleted, w.Status)
	require.Len(t, jobs, 1)
	_, _, err = b.s.Workflow(b.ctx, newWorkflowID())
	require.ErrorIs(t, err, persistence.ErrNotFound)
}

func testClearCompletedWorkflows(t *testing.T, b *bundle) {
	mk := func(name string) persistence.WorkflowID {
		id := newWorkflowID()
		b.insertWorkflow(t, id, name)
		return id
	}
	finished, running, failed, cancelled := mk("finished"), mk("running"), mk("failed"), mk("cancelled")

	f1 := newJob(inWorkflow(finished))
	f2 := newJob(inWorkflow(finished), dependsOn(f1.ID))
	r1 := newJob(inWorkflow(running))
	r2 := newJob(inWorkflow(running), dependsOn(r1.ID))
	x1 := newJob(inWorkflow(failed), maxAttempts(1))
	x2 := newJob(inWorkflow(failed), dependsOn(x1.ID))
	c1 := newJob(inWorkflow(cancelled))
	b.insert(t, f1, f2, r1, r2, x1, x2, c1)
	b.run(t, f1.ID, `{}`)
	b.run(t, f2.ID, `{}`)
	b.run(t, r1.ID, `{}`)
	b.fail(t, x1.ID, b.claim(t, x1.ID), "boom")
	b.cancel(t, c1.ID)
	for _, w := range []persistence.WorkflowID{finished, running, failed, cancelled} {
		b.refresh(t, w)
	}
	workflows := func() []string {
		var out []string
		for _, r := range query(t, b.raw, `SELECT id FROM workflows ORDER BY id`) {
			out = append(out, r[0].(string))
		}
		return out
	}

	// Nothing finished before an hour ago: every workflow stays.
	b.must(t, func() error { _, err := b.s.ClearCompleted(time.Now().Add(-time.Hour)); return err })
	require.Len(t, workflows(), 4)

	var n int
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(time.Time{}); return err })
	require.Equal(t, 3, n, "f1, f2 and c1; r1 stays while r2 waits for it, x2 while x1 could revive it")
	// The failed workflow keeps its failed job, so it stays; the running
	// one stays however few jobs it has left.
	require.Equal(t, []string{string(running), string(failed)}, workflows())
	_, _, err := b.s.Workflow(b.ctx, finished)
	require.ErrorIs(t, err, persistence.ErrNotFound)
	_, _, err = b.s.Workflow(b.ctx, cancelled)
	require.ErrorIs(t, err, persistence.ErrNotFound)
	b.waiting(t, r2.ID, 0)
	got, err := b.s.UnfinishedWorkflows(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []persistence.WorkflowID{running}, got)

	// Once the running one's last job is done and cleared, it stays
	// until it is refreshed.
	b.run(t, r2.ID, `{}`)
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(time.Time{}); return err })
	require.Equal(t, 2, n, "r1 and r2")
	require.Equal(t, []string{string(running), string(failed)}, workflows())
	require.Zero(t, b.count(t, `SELECT count(*) FROM jobs WHERE workflow_id = ?`, string(running)))
	st, changed := b.refresh(t, running)
	require.Equal(t, persistence.WorkflowCompleted, st)
	require.True(t, changed)
	b.must(t, func() error { _, err := b.s.ClearCompleted(time.Time{}); return err })
	require.Equal(t, []string{string(failed)}, workflows())
}

// testReviveAfterParentCleared: ClearCompleted keeps a cancelled job
// while a job that depends on it has not completed (here: is cancelled
// too), so a revival still finds every edge: the revived leaf waits for
// its revived parent, which waits for the requeued job.
func testReviveAfterParentCleared(t *testing.T, b *bundle) {
	f := newJob(named("f"), maxAttempts(1))
	mid := newJob(named("mid"), dependsOn(f.ID))
	b.insert(t, f, mid)
	b.fail(t, f.ID, b.claim(t, f.ID), "boom")
	fErr := upstream(f, persistence.StatusFailed)
	b.cancelledBecause(t, mid.ID, f.ID, fErr)
	// Inserted under the cancelled mid later on: cancelled at insert, in
	// f's name, finished after mid.
	later := time.Now().Add(time.Hour)
	leaf := newJob(named("leaf"), dependsOn(mid.ID))
	b.insertAt(t, later, leaf)
	b.cancelledBecause(t, leaf.ID, f.ID, fErr)
	var n int
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(later.Add(-time.Minute)); return err })
	require.Zero(t, n, "mid is old enough, but leaf depends on it")

	_, c := b.requeue(t, f.ID)
	require.ElementsMatch(t, []persistence.JobID{mid.ID, leaf.ID}, dependentIDs(c.Revived))
	b.waiting(t, mid.ID, 1)
	b.waiting(t, leaf.ID, 1)
	require.NotContains(t, b.ready(t, 100, "echo"), leaf.ID)
	require.Error(t, b.claimErr(t, leaf.ID))
}

// testClearKeepsRevivable: ClearCompleted keeps the jobs a requeue could
// bring back (cancelled because a job failed) and the completed parents
// they would wait for, and deletes a chain cancelled by hand whole, in one
// call.
func testClearKeepsRevivable(t *testing.T, b *bundle) {
	done := newJob(named("done"))
	x := newJob(named("x"), maxAttempts(1))
	y := newJob(named("y"), dependsOn(done.ID, x.ID))
	z := newJob(named("z"), dependsOn(y.ID))
	b.insert(t, done, x, y, z)
	b.run(t, done.ID, `{"v":1}`)
	b.fail(t, x.ID, b.claim(t, x.ID), "boom")
	b.cancelledBecause(t, z.ID, x.ID, upstream(x, persistence.StatusFailed))

	// A chain cancelled by hand.
	c1 := newJob(named("c1"))
	c2 := newJob(named("c2"), dependsOn(c1.ID))
	c3 := newJob(named("c3"), dependsOn(c2.ID))
	b.insert(t, c1, c2, c3)
	b.cancel(t, c1.ID)

	var n int
	b.must(t, func() (err error) { n, err = b.s.ClearCompleted(time.Time{}); return err })
	require.Equal(t, 3, n, "c1, c2, c3; y and z wait for x's requeue, and done for y")
	_, c := b.requeue(t, x.ID)
	require.ElementsMatch(t, []persistence.JobID{y.ID, z.ID}, dependentIDs(c.Revived))
	b.run(t, x.ID, `{"v":2}`)
	got, err := b.s.ParentResults(b.ctx, y.ID)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.JSONEq(t, `{"v":1}`, string(got[0].Result), "done's result, kept for y")
}
