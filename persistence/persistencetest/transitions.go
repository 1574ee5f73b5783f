package persistencetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// The transition table (persistence/doc.go):
//
//	pending  -> running    Claim
//	running  -> completed  Finish(OutcomeCompleted)
//	running  -> pending    Finish(OutcomeFailed|OutcomeTimeout), attempts left
//	running  -> failed     Finish(OutcomeFailed), no attempts left
//	running  -> timeout    Finish(OutcomeTimeout), no attempts left
//	pending  -> cancelled  Cancel
//	failed|timeout|cancelled -> pending   Requeue
//
// allowed lists, per state, the operations the table allows. Everything
// else must be refused.
var allowed = map[persistence.Status][]string{
	persistence.StatusPending:   {"claim", "cancel"},
	persistence.StatusRunning:   {"complete", "fail", "timeout", "release"},
	persistence.StatusCompleted: {},
	persistence.StatusFailed:    {"requeue"},
	persistence.StatusTimeout:   {"requeue"},
	persistence.StatusCancelled: {"requeue"},
}

// A state makes a job in one of the six states and returns its id. Some
// states are reached two ways (with and without a past attempt), since a
// past attempt leaves an execution id on the row.
type state struct {
	name   string
	status persistence.Status
	make   func(t *testing.T, b *bundle) persistence.JobID
}

func states() []state {
	pending := func(t *testing.T, b *bundle) persistence.JobID {
		j := newJob()
		b.insert(t, j)
		return j.ID
	}
	retrying := func(t *testing.T, b *bundle) persistence.JobID {
		id := pending(t, b)
		b.fail(t, id, b.claim(t, id), "boom")
		return id
	}
	lastAttempt := func(t *testing.T, b *bundle) (persistence.JobID, persistence.ExecutionID) {
		j := newJob(maxAttempts(1))
		b.insert(t, j)
		return j.ID, b.claim(t, j.ID)
	}
	return []state{
		{"pending", persistence.StatusPending, pending},
		{"pending after a failed attempt", persistence.StatusPending, retrying},
		{"running", persistence.StatusRunning, func(t *testing.T, b *bundle) persistence.JobID {
			id := pending(t, b)
			b.claim(t, id)
			return id
		}},
		{"completed", persistence.StatusCompleted, func(t *testing.T, b *bundle) persistence.JobID {
			id := pending(t, b)
			b.complete(t, id, b.claim(t, id), `{"ok":true}`)
			return id
		}},
		{"failed", persistence.StatusFailed, func(t *testing.T, b *bundle) persistence.JobID {
			id, exec := lastAttempt(t, b)
			b.fail(t, id, exec, "boom")
			return id
		}},
		{"timeout", persistence.StatusTimeout, func(t *testing.T, b *bundle) persistence.JobID {
			id, exec := lastAttempt(t, b)
			b.timeOut(t, id, exec, "too slow")
			return id
		}},
		{"cancelled", persistence.StatusCancelled, func(t *testing.T, b *bundle) persistence.JobID {
			id := pending(t, b)
			b.cancel(t, id)
			return id
		}},
		{"cancelled after a failed attempt", persistence.StatusCancelled, func(t *testing.T, b *bundle) persistence.JobID {
			id := retrying(t, b)
			b.cancel(t, id)
			return id
		}},
	}
}

// An operation is one of the seven changes, named as TransitionError.Op
// names it. Reports (complete, fail, timeout) are made for the job's
// current execution, so that only the state can refuse them.
type operation struct {
	name string
	to   persistence.Status // TransitionError.To
	run  func(s *persistence.Store, id persistence.JobID, current persistence.ExecutionID) error
}

func operations() []operation {
	report := func(o persistence.Outcome) func(*persistence.Store, persistence.JobID, persistence.ExecutionID) error {
		return func(s *persistence.Store, id persistence.JobID, current persistence.ExecutionID) error {
			_, err := s.Finish(persistence.Finish{JobID: id, ExecutionID: current, Outcome: o,
				Result: json.RawMessage(`{"late":true}`), Error: "late report"})
			return err
		}
	}
	return []operation{
		{"claim", persistence.StatusRunning, func(s *persistence.Store, id persistence.JobID, _ persistence.ExecutionID) error {
			_, err := s.Claim(persistence.Claim{JobID: id, ExecutionID: newExecID(), WorkerID: "worker-2"})
			return err
		}},
		{"complete", persistence.StatusCompleted, report(persistence.OutcomeCompleted)},
		{"fail", persistence.StatusFailed, report(persistence.OutcomeFailed)},
		{"timeout", persistence.StatusTimeout, report(persistence.OutcomeTimeout)},
		{"release", persistence.StatusPending, report(persistence.OutcomeReleased)},
		{"cancel", persistence.StatusCancelled, func(s *persistence.Store, id persistence.JobID, _ persistence.ExecutionID) error {
			_, err := s.Cancel(id)
			return err
		}},
		{"requeue", persistence.StatusPending, func(s *persistence.Store, id persistence.JobID, _ persistence.ExecutionID) error {
			_, _, err := s.Requeue(id)
			return err
		}},
	}
}

// direct runs fn in a transaction of its own but without a savepoint, and
// commits: whatever a refused call wrote before refusing would stay, so
// comparing the rows afterwards checks the guard itself.
func (b *bundle) direct(t *testing.T, fn func() error) error {
	t.Helper()
	require.NoError(t, b.s.Begin())
	err := fn()
	require.NoError(t, b.s.Commit())
	return err
}

func testForbiddenTransitions(t *testing.T, b *bundle) {
	refused := 0
	for _, st := range states() {
		for _, op := range operations() {
			if slices.Contains(allowed[st.status], op.name) {
				continue
			}
			refused++
			t.Run(st.name+"/"+op.name, func(t *testing.T) {
				id := st.make(t, b)
				current := b.job(t, id).ExecutionID
				before := b.snapshot(t, id)

				err := b.direct(t, func() error { return op.run(b.s, id, current) })

				require.ErrorIs(t, err, persistence.ErrInvalidTransition)
				var te *persistence.TransitionError
				require.ErrorAs(t, err, &te)
				require.Equal(t, id, te.JobID)
				require.Equal(t, st.status, te.From)
				require.Equal(t, op.to, te.To)
				require.Equal(t, op.name, te.Op)
				require.Contains(t, err.Error(), string(id))
				require.Contains(t, err.Error(), string(st.status))
				require.Equal(t, before, b.snapshot(t, id), "the refused %s changed the job", op.name)
			})
		}
	}
	// 8 states x 7 operations, less 2 allowed from each of the two
	// pending states, 4 from running and 1 from each of the four
	// failed, timeout and cancelled states.
	require.Equal(t, 8*7-2*2-4-4*1, refused)
}

func testAllowedTransitions(t *testing.T, b *bundle) {
	t.Run("pending to running by claim", func(t *testing.T) {
		j := newJob(priority(7), retryDelay(time.Second))
		b.insert(t, j)
		exec := newExecID()
		from := time.Now()
		var claimed *persistence.Job
		b.must(t, func() (err error) {
			claimed, err = b.s.Claim(persistence.Claim{JobID: j.ID, ExecutionID: exec, WorkerID: "worker-7"})
			return err
		})
		to := time.Now()

		require.Equal(t, j.ID, claimed.ID)
		require.Equal(t, j.Name, claimed.Name)
		require.Equal(t, j.Function, claimed.Function)
		require.JSONEq(t, string(j.Params), string(claimed.Params))
		require.Equal(t, j.Priority, claimed.Priority)
		require.Equal(t, j.MaxAttempts, claimed.MaxAttempts)
		require.Equal(t, j.Timeout, claimed.Timeout)
		require.Equal(t, j.RetryDelay, claimed.RetryDelay)
		require.Equal(t, j.Description, claimed.Description)
		require.Equal(t, persistence.StatusRunning, claimed.Status)
		require.Equal(t, 1, claimed.Attempts)
		require.Equal(t, "worker-7", claimed.WorkerID)
		require.Equal(t, exec, claimed.ExecutionID)

		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusRunning, got.Status)
		require.Equal(t, 1, got.Attempts)
		require.Equal(t, "worker-7", got.WorkerID)
		require.Equal(t, exec, got.ExecutionID)
		within(t, got.StartedAt, from, to)
		require.True(t, got.CompletedAt.IsZero())
	})

	t.Run("running to completed", func(t *testing.T) {
		j := newJob()
		b.insert(t, j)
		exec := b.claim(t, j.ID)
		from := time.Now()
		out := b.finish(t, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted,
			Result: json.RawMessage(`{"sum":3}`)})
		to := time.Now()

		require.Equal(t, persistence.StatusCompleted, out.Status)
		require.Equal(t, 1, out.Attempts)
		require.Equal(t, 3, out.MaxAttempts)
		require.Equal(t, j.Name, out.Name)
		require.Equal(t, j.ID, out.Job.ID)
		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusCompleted, got.Status)
		require.JSONEq(t, `{"sum":3}`, string(got.Result))
		require.Empty(t, got.Error)
		within(t, got.CompletedAt, from, to)
	})

	for _, outcome := range []persistence.Outcome{persistence.OutcomeFailed, persistence.OutcomeTimeout} {
		t.Run("running to pending by a "+outcomeName(outcome)+" attempt with attempts left", func(t *testing.T) {
			j := newJob(priority(3))
			b.insert(t, j)
			exec := b.claim(t, j.ID)
			out := b.finish(t, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: outcome, Error: "attempt 1 went wrong"})

			require.Equal(t, persistence.StatusPending, out.Status)
			require.Equal(t, 1, out.Attempts)
			require.Equal(t, 3, out.MaxAttempts)
			require.Equal(t, j.ID, out.Job.ID)
			require.Equal(t, j.Function, out.Job.Function)
			require.Equal(t, 3, out.Job.Priority)
			require.True(t, out.Job.RetryAfter.IsZero(), "no retry delay")
			got := b.job(t, j.ID)
			require.Equal(t, persistence.StatusPending, got.Status)
			require.Equal(t, 1, got.Attempts)
			require.Equal(t, "attempt 1 went wrong", got.Error)
			require.True(t, got.CompletedAt.IsZero())
			require.True(t, got.RetryAfter.IsZero())
			require.Contains(t, b.ready(t, 100, j.Function), j.ID)
		})
	}

	t.Run("running to failed with no attempts left", func(t *testing.T) {
		j := newJob(maxAttempts(2))
		b.insert(t, j)
		b.fail(t, j.ID, b.claim(t, j.ID), "first")
		from := time.Now()
		out := b.fail(t, j.ID, b.claim(t, j.ID), "second")
		to := time.Now()

		require.Equal(t, persistence.StatusFailed, out.Status)
		require.Equal(t, 2, out.Attempts)
		require.Equal(t, 2, out.MaxAttempts)
		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusFailed, got.Status)
		require.Equal(t, 2, got.Attempts)
		require.Equal(t, "second", got.Error)
		within(t, got.CompletedAt, from, to)
		require.NotContains(t, b.ready(t, 100, j.Function), j.ID)
	})

	t.Run("running to timeout with no attempts left", func(t *testing.T) {
		j := newJob(maxAttempts(1))
		b.insert(t, j)
		out := b.timeOut(t, j.ID, b.claim(t, j.ID), "took too long")

		require.Equal(t, persistence.StatusTimeout, out.Status)
		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusTimeout, got.Status)
		require.Equal(t, 1, got.Attempts)
		require.Equal(t, "took too long", got.Error)
		require.False(t, got.CompletedAt.IsZero())
		require.NotContains(t, b.ready(t, 100, j.Function), j.ID)
	})

	t.Run("running to pending by release, the attempt not counted", func(t *testing.T) {
		j := newJob(maxAttempts(1), retryDelay(time.Hour))
		b.insert(t, j)
		exec := b.claim(t, j.ID)
		out := b.finish(t, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeReleased,
			Error: "interrupted"})

		require.Equal(t, persistence.StatusPending, out.Status)
		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusPending, got.Status)
		require.Equal(t, 0, got.Attempts, "a released attempt does not count")
		require.True(t, got.RetryAfter.IsZero(), "a released job is ready at once, whatever its retry delay")
		require.Contains(t, b.ready(t, 100, j.Function), j.ID)
		execs := b.executions(t, j.ID)
		require.Len(t, execs, 1)
		require.Equal(t, persistence.ExecutionFailed, execs[0].Status)
		require.Equal(t, "interrupted", execs[0].Error)
	})

	t.Run("pending to cancelled", func(t *testing.T) {
		j := newJob()
		b.insert(t, j)
		b.cancel(t, j.ID)

		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusCancelled, got.Status)
		require.False(t, got.CompletedAt.IsZero())
		require.NotContains(t, b.ready(t, 100, j.Function), j.ID)
	})

	t.Run("pending waiting for its retry delay to cancelled", func(t *testing.T) {
		j := newJob(retryDelay(time.Hour))
		b.insert(t, j)
		b.fail(t, j.ID, b.claim(t, j.ID), "boom")
		b.cancel(t, j.ID)

		got := b.job(t, j.ID)
		require.Equal(t, persistence.StatusCancelled, got.Status)
		require.True(t, got.RetryAfter.IsZero())
		delayed, err := b.s.DelayedJobs(b.ctx, 100)
		require.NoError(t, err)
		require.NotContains(t, readyIDs(delayed), j.ID)
	})

	for _, st := range states() {
		if !slices.Contains(allowed[st.status], "requeue") {
			continue
		}
		t.Run(st.name+" to pending by requeue", func(t *testing.T) {
			id := st.make(t, b)
			before := b.job(t, id)
			var d persistence.Dependent
			b.must(t, func() (err error) { d, _, err = b.s.Requeue(id); return err })
			r := d.Job

			require.Equal(t, id, r.ID)
			require.Equal(t, before.Function, r.Function)
			require.Equal(t, before.Priority, r.Priority)
			sameTime(t, before.CreatedAt, r.CreatedAt)
			got := b.job(t, id)
			require.Equal(t, persistence.StatusPending, got.Status)
			require.Zero(t, got.Attempts)
			require.Empty(t, got.Error)
			require.Nil(t, got.Result)
			require.True(t, got.CompletedAt.IsZero())
			require.True(t, got.RetryAfter.IsZero())
			require.Contains(t, b.ready(t, 100, got.Function), id)

			// It runs again with a full set of attempts.
			b.claim(t, id)
			require.Equal(t, 1, b.job(t, id).Attempts)
		})
	}
}

func testStaleReports(t *testing.T, b *bundle) {
	j := newJob()
	b.insert(t, j)
	first := b.claim(t, j.ID)
	b.fail(t, j.ID, first, "boom")

	t.Run("pending after the attempt", func(t *testing.T) {
		before := b.snapshot(t, j.ID)
		other := newExecID()
		err := b.direct(t, func() error {
			_, err := b.s.Finish(persistence.Finish{JobID: j.ID, ExecutionID: other, Outcome: persistence.OutcomeCompleted})
			return err
		})
		var stale *persistence.StaleExecutionError
		require.ErrorAs(t, err, &stale)
		require.Equal(t, persistence.StaleExecutionError{JobID: j.ID, ExecutionID: other, Current: first,
			Status: persistence.StatusPending}, *stale)
		require.Equal(t, before, b.snapshot(t, j.ID))
	})

	second := b.claim(t, j.ID)
	for _, outcome := range []persistence.Outcome{persistence.OutcomeCompleted, persistence.OutcomeFailed, persistence.OutcomeTimeout} {
		for _, exec := range []persistence.ExecutionID{first, newExecID()} {
			t.Run("running under another execution/"+outcomeName(outcome), func(t *testing.T) {
				before := b.snapshot(t, j.ID)
				err := b.direct(t, func() error {
					_, err := b.s.Finish(persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: outcome,
						Result: json.RawMessage(`{"stale":true}`), Error: "stale"})
					return err
				})
				var stale *persistence.StaleExecutionError
				require.ErrorAs(t, err, &stale)
				require.Equal(t, persistence.StaleExecutionError{JobID: j.ID, ExecutionID: exec, Current: second,
					Status: persistence.StatusRunning}, *stale)
				require.Contains(t, err.Error(), string(j.ID))
				require.NotErrorIs(t, err, persistence.ErrInvalidTransition)
				require.Equal(t, before, b.snapshot(t, j.ID))
			})
		}
	}

	// The current attempt still reports normally.
	b.complete(t, j.ID, second, `"done"`)
	require.Equal(t, persistence.StatusCompleted, b.job(t, j.ID).Status)
}

func testUnknownJob(t *testing.T, b *bundle) {
	id := newJobID()
	for _, op := range operations() {
		t.Run(op.name, func(t *testing.T) {
			err := b.direct(t, func() error { return op.run(b.s, id, newExecID()) })
			require.ErrorIs(t, err, persistence.ErrNotFound)
			require.Contains(t, err.Error(), string(id))
		})
	}
	_, err := b.s.Job(b.ctx, id)
	require.ErrorIs(t, err, persistence.ErrNotFound)
	require.Zero(t, b.count(t, `SELECT count(*) FROM jobs`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM job_executions`))
}

func outcomeName(o persistence.Outcome) string {
	switch o {
	case persistence.OutcomeCompleted:
		return "completed"
	case persistence.OutcomeFailed:
		return "failed"
	case persistence.OutcomeTimeout:
		return "timed-out"
	}
	return "unknown"
}

// within requires from <= got <= to.
func within(t *testing.T, got, from, to time.Time) {
	t.Helper()
	require.False(t, got.Before(from), "%s is before %s", got, from)
	require.False(t, got.After(to), "%s is after %s", got, to)
}

func sameTime(t *testing.T, want, got time.Time) {
	t.Helper()
	require.True(t, want.Equal(got), "want %s, got %s", want, got)
}
