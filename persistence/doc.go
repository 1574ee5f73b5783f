// Package persistence is gigq's SQLite layer: the schema and its embedded,
// versioned migrations, the guarded state changes, and the read queries.
// SQL lives only here.
//
// Package persistence is part of gigq's engine: its API is internal, for the
// root package and gigq's own commands, with no compatibility promise; use
// package gigq.
//
// # Connections
//
// A Store owns one write connection, used by one goroutine (the store
// actor), and a small pool of read-only connections for status, list and
// stats. Every write runs inside BEGIN IMMEDIATE ... COMMIT; the store actor
// applies all the commands that are waiting in one transaction (group
// commit) and answers each caller only after COMMIT.
//
// Before it opens the write connection, Open inspects the file (Inspect):
// its header with a plain read, and its schema and application id on an
// immutable read-only connection, so that a file that is not gigq's is
// refused (a *FileError) without a byte or a -wal/-shm file changed, and
// a file or folder it may not write with a *PermissionError. New files get
// ApplicationID. With Options.ReadOnly there is no write connection.
//
// # Pragmas and durability
//
// journal_mode=WAL (verified on open), foreign_keys=ON, busy_timeout (5 s by
// default), and synchronous=NORMAL by default or FULL as an option. In WAL
// mode NORMAL survives a crash of the process: a job acknowledged after
// COMMIT is not lost when the node is killed. Only a power loss or an OS
// crash may lose the last commits; choose FULL (an fsync per commit) when
// that matters.
//
// # Transitions
//
// Every state change is one UPDATE guarded by the current state, and
// follows this table exactly; anything else is refused with a
// *TransitionError that names the job, its state and the change, and
// leaves the row as it was:
//
//	pending  -> running    Claim (a due job; records an execution)
//	running  -> completed  Finish(OutcomeCompleted)
//	running  -> pending    Finish(OutcomeFailed|OutcomeTimeout), attempts left
//	running  -> failed     Finish(OutcomeFailed), no attempts left
//	running  -> timeout    Finish(OutcomeTimeout), no attempts left
//	running  -> pending    Finish(OutcomeReleased): shut down under it; the attempt does not count
//	running  -> failed     Finish(OutcomeSkipRetry): the handler said not to retry
//	running  -> pending    Finish(OutcomeSnoozed): retry_after = now + Snooze; the attempt does not count
//	running  -> cancelled  CancelRunning: a user cancelled it; its execution ends "cancelled"
//	pending  -> cancelled  Cancel; or an upstream job ended failed, timeout or cancelled
//	failed|timeout|cancelled -> pending   Requeue (attempts reset, error cleared)
//
// Reports about an attempt are also guarded by the job's current
// execution_id: a report for an attempt that is no longer current gives a
// *StaleExecutionError.
//
// # Dependencies and workflows
//
// A job's dependencies are rows of job_dependencies (child, parent,
// position), read through the parent index; the jobs.dependencies JSON
// column keeps GigQ's shape for readers. A pending job with a parent not
// completed has waiting = 1 and its count of such parents in job_waits;
// only pending jobs with waiting = 0 are in the ready indexes, and a claim
// is guarded by waiting = 0. The transaction that completes a parent
// counts it off each child (one small job_waits row each) and clears
// waiting on the children that reached 0, with a new ready_seq. The
// transaction that ends a job failed, timeout or cancelled cancels every
// pending job below it (a recursive walk of the edges) with the error
// "upstream job <id> (<name>) <state>" and cancelled_by = that job;
// Requeue revives the jobs cancelled_by the requeued job, each waiting
// again for its parents not completed. So a child is never stranded
// between its parent's end and its release: both are one commit.
//
// A workflow (workflows: id, name, status, created_at, updated_at) groups
// jobs written in one transaction. SettleWorkflow, run in the transaction
// of every change that ends or revives one of its jobs, keeps its status
// in step: one probe of the jobs_workflow_active index while a job can
// still run, and the full count (RefreshWorkflow) once, when the last one
// ended.
//
// # Checkpoints
//
// A checkpointer on its own connection copies the WAL back into the file
// in the background (PASSIVE, after commits); the write connection's own
// automatic checkpoint is far out (10,000 pages), a safety net, so no
// commit pays for a checkpoint.
//
// # Noticing other processes
//
// Every process that opens the file is a full node. Each write transaction
// that makes jobs pending takes the next value of the shared counter
// gigq_meta.ready_seq and stamps those jobs with it. A node watches PRAGMA
// data_version on its write connection (it changes only when another
// connection commits) and, when it changed, reads the pending jobs whose
// ready_seq it has not seen, through the jobs_ready_seq index.
//
// # Nodes
//
// Every process that runs jobs has a row in nodes (id = the worker_id it
// writes on jobs, host, pid, started_at, last_seen, handlers) and refreshes
// last_seen on a timer. LostNodes finds the nodes whose lease has passed,
// those of this host whose process is gone, and running jobs whose worker
// has no row; ReclaimNode fails their attempts with "node <id> lost" (a
// Finish like any other, so retries and fencing apply) and deletes the row.
//
// # Times
//
// Times are stored as UTC RFC 3339 text with nine fractional digits, so
// they sort as text. Job ids are time-ordered UUIDv7.
package persistence
