// Package persistencetest is the conformance suite of the persistence
// layer: Exercise specifies, as tests, the contract every *persistence.Store
// keeps, whatever its options (the file database with the default pragmas,
// with SyncFull, or any later profile).
//
// Package persistencetest is part of gigq's engine: its API is internal, for
// gigq's own tests, with no compatibility promise; use package gigq.
//
// The contract covered:
//
//   - The transition table in persistence/doc.go: every allowed change
//     works, and every other change, from each of the six states, is
//     refused with a *persistence.TransitionError that names the job, its
//     state and the change, leaving the job's row and its executions
//     byte-for-byte as they were. Claims are exclusive.
//   - Reports are guarded by the attempt: a report for an execution that is
//     not the job's current one is a *persistence.StaleExecutionError and
//     writes nothing. Unknown jobs give persistence.ErrNotFound.
//   - Attempts: each claim counts an attempt, which Executions lists as
//     running (from the job's row); each report writes its own
//     job_executions row, with the result or the error text of that
//     attempt.
//   - Retry delays: a retry waiting for retry_after is not claimable
//     (persistence.ErrNotDue), not in the ready window, and listed by
//     DelayedJobs.
//   - The ready window: ReadyJobs returns only pending, due jobs of the
//     given functions, in dispatch order (priority DESC, created_at, id),
//     at most limit of them.
//   - Group commit: each command runs in its own savepoint (Store.Do); one
//     that fails is undone alone and the others commit with the batch.
//   - Reads: Job, Executions, ListJobs, Stats, ClearCompleted, and reads
//     from the pool running while the owner writes.
//   - Dependencies (dependencies.go): a job waits, unclaimable, until every
//     parent completed, and is released by its last parent's completion;
//     an unknown, repeated or self dependency refuses the whole insert
//     with nothing written; a final failure, timeout or cancel cancels
//     every pending job below it with "upstream job <id> (<name>)
//     <state>", and a requeue revives them (or names the job to requeue
//     instead); the release path touches one row per child; ParentResults
//     keeps dependency order; ClearCompleted keeps parents that a job not
//     completed still needs, and the jobs a requeue could revive, and
//     deletes a chain cancelled by hand whole.
//   - Workflows: status settles in the changes' own transactions (running,
//     completed, failed, cancelled, and back to running on requeue);
//     CancelWorkflow; WorkflowGraph; UnfinishedWorkflows.
//
// Checks of the written rows read the file through a read-only connection
// of their own, never through the store under test.
//
// What depends on how a store is opened (pragmas, migrations, durability
// across Close and Open, a second store on the same file, an injected
// clock) is tested in package persistence itself.
//
// Usage, once per store profile:
//
//	func TestStore(t *testing.T) {
//		t.Parallel()
//		persistencetest.Exercise(t, func(t *testing.T) *persistence.Store {
//			s, err := persistence.Open(filepath.Join(t.TempDir(), "gigq.db"), persistence.Options{})
//			require.NoError(t, err)
//			t.Cleanup(func() { require.NoError(t, s.Close()) })
//			return s
//		})
//	}
//
// open is called once per test and must return a new, empty store that is
// closed when the test ends. The tests run in parallel.
package persistencetest
