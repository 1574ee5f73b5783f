package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
)

// The write operations below must run inside Begin/Commit, on the goroutine
// that owns the write connection. Each state change is one UPDATE guarded
// by the job's current state (and, for reports, its current execution), so
// the transition table in doc.go is enforced by SQL: an UPDATE that changes
// no row was not allowed, and the error says why.

// ErrNotDue is returned by Claim when a pending job waits for its retry
// delay.
var ErrNotDue = errors.New("job is not due yet")

// Claim moves a due pending job to running for a new attempt, whose id,
// worker and start the row holds until the attempt ends (Executions shows
// it as running; Finish writes its job_executions row). It returns the
// claimed job. A job that is
// not pending gives a *TransitionError, one waiting for its retry delay
// ErrNotDue, an unknown one ErrNotFound.
func (s *Store) Claim(c Claim) (*Job, error) {
	now := s.opts.Now()
	nowText := formatTime(now)
	stmt := s.conn.Prep(`UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = $worker,
		started_at = $now, updated_at = $now, execution_id = $exec, retry_after = NULL
		WHERE id = $id AND +status = 'pending' AND waiting = 0 AND (retry_after IS NULL OR retry_after <= $now)`)
	stmt.SetText("$worker", c.WorkerID)
	stmt.SetText("$now", nowText)
	stmt.SetText("$exec", string(c.ExecutionID))
	stmt.SetText("$id", string(c.JobID))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return nil, fmt.Errorf("claim job %s: %w", c.JobID, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return nil, s.refusal(c.JobID, "claim", StatusRunning)
	}
	// Read back what the worker needs. (Not UPDATE ... RETURNING: SQLite
	// runs a RETURNING statement in two passes with a statement journal,
	// which copies every page it touches; this read hits cached pages.)
	stmt = s.conn.Prep(`SELECT name, function, params, priority, max_attempts, timeout, retry_delay, description,
		attempts, created_at, dependencies, coalesce(workflow_id, ''), queue FROM jobs WHERE id = $id`)
	stmt.SetText("$id", string(c.JobID))
	if ok, err := stmt.Step(); err != nil || !ok {
		stmt.Reset()
		return nil, fmt.Errorf("read claimed job %s: %w", c.JobID, errOr(interpretError(err), ErrNotFound))
	}
	j := &Job{
		ID:          c.JobID,
		Name:        stmt.ColumnText(0),
		Function:    stmt.ColumnText(1),
		Params:      json.RawMessage(stmt.ColumnText(2)),
		Priority:    stmt.ColumnInt(3),
		MaxAttempts: stmt.ColumnInt(4),
		Timeout:     fromSeconds(stmt.ColumnFloat(5)),
		RetryDelay:  fromSeconds(stmt.ColumnFloat(6)),
		Description: stmt.ColumnText(7),
		Attempts:    stmt.ColumnInt(8),
		CreatedAt:   parseTime(stmt.ColumnText(9)),
		Status:      StatusRunning,
		WorkerID:    c.WorkerID,
		StartedAt:   now.UTC(),
		UpdatedAt:   now.UTC(),
		ExecutionID: c.ExecutionID,
		WorkflowID:  WorkflowID(stmt.ColumnText(11)),
		Queue:       stmt.ColumnText(12),
	}
	deps := stmt.ColumnText(10)
	stmt.Reset()
	if deps != "[]" {
		// The parents' results go with the job to its worker. They are
		// read here, on the write connection, whose cache holds what it
		// just wrote; a read-pool connection would reload its pages
		// after every commit.
		if err := json.Unmarshal([]byte(deps), &j.Dependencies); err != nil {
			return nil, fmt.Errorf("read dependencies of job %s: %w", c.JobID, err)
		}
		if j.ParentResults, err = parentResults(s.conn, c.JobID); err != nil {
			return nil, fmt.Errorf("read parent results of job %s: %w", c.JobID, err)
		}
	}
	return j, nil
}

// Finish applies the end of an attempt: completed; or failed/timed out,
// going back to pending while attempts remain (after the job's backoff, or
// else its fixed retry delay), else to failed/timeout; failed at once for
// OutcomeSkipRetry; pending for f.Snooze, the attempt not counted, for
// OutcomeSnoozed. A report about an execution that is no longer the
// job's current one gives a *StaleExecutionError and writes nothing.
func (s *Store) Finish(f Finish) (Finished, error) {
	now := s.opts.Now()
	nowText := formatTime(now)
	// The attempt count and the policy are read in the same UPDATE that
	// is guarded by the execution id, so the decision and the write see
	// the same row.
	var stmt *sqlite.Stmt
	execStatus := ExecutionCompleted
	switch f.Outcome {
	case OutcomeCompleted:
		stmt = s.conn.Prep(`UPDATE jobs SET status = 'completed', result = $result, error = NULL,
			completed_at = $now, updated_at = $now
			WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
		stmt.SetText("$result", string(orNull(f.Result)))
	case OutcomeFailed, OutcomeTimeout:
		final := StatusFailed
		execStatus = ExecutionFailed
		if f.Outcome == OutcomeTimeout {
			final, execStatus = StatusTimeout, ExecutionTimeout
		}
		// The delay is the job's backoff's (computed here: it needs the
		// attempt count and a random number), else its fixed retry_delay.
		// Read on the write connection inside this transaction, guarded
		// like the UPDATE, so it is the row the UPDATE changes.
		delay, ok, err := s.retryDelayOf(f)
		if err != nil {
			return Finished{}, err
		}
		if !ok {
			return Finished{}, s.staleOrRefused(f)
		}
		seq, err := s.nextSeq()
		if err != nil {
			return Finished{}, fmt.Errorf("finish job %s: %w", f.JobID, err)
		}
		stmt = s.conn.Prep(`UPDATE jobs SET
			status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE $final END,
			error = $error, updated_at = $now,
			completed_at = CASE WHEN attempts < max_attempts THEN NULL ELSE $now END,
			retry_after = CASE WHEN attempts < max_attempts AND $delay_ns > 0
				THEN strftime('%Y-%m-%dT%H:%M:%S', ($now_ns + $delay_ns) / 1000000000, 'unixepoch')
					|| printf('.%09dZ', ($now_ns + $delay_ns) % 1000000000)
				ELSE NULL END,
			ready_seq = CASE WHEN attempts < max_attempts THEN $seq ELSE ready_seq END
			WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
		stmt.SetText("$final", string(final))
		stmt.SetText("$error", f.Error)
		stmt.SetInt64("$now_ns", now.UnixNano())
		stmt.SetInt64("$delay_ns", int64(delay))
		stmt.SetInt64("$seq", seq)
	case OutcomeSkipRetry:
		// The handler said a retry cannot help: failed now, whatever
		// attempts remain.
		execStatus = ExecutionFailed
		stmt = s.conn.Prep(`UPDATE jobs SET status = 'failed', error = $error, updated_at = $now,
			completed_at = $now, retry_after = NULL
			WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
		stmt.SetText("$error", f.Error)
	case OutcomeSnoozed:
		// The handler asked to run again later: pending, not claimable
		// before now + Snooze, and the attempt does not count.
		execStatus = ExecutionSnoozed
		if f.Error == "" {
			f.Error = SnoozedText(f.Snooze)
		}
		seq, err := s.nextSeq()
		if err != nil {
			return Finished{}, fmt.Errorf("snooze job %s: %w", f.JobID, err)
		}
		stmt = s.conn.Prep(`UPDATE jobs SET status = 'pending', attempts = max(attempts - 1, 0), error = $error,
			updated_at = $now, retry_after = $retry_after, ready_seq = $seq
			WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
		stmt.SetText("$error", f.Error)
		stmt.SetInt64("$seq", seq)
		if f.Snooze > 0 {
			stmt.SetText("$retry_after", formatTime(now.Add(f.Snooze)))
		} else {
			stmt.SetNull("$retry_after")
		}
	case OutcomeReleased:
		// The node shut down under the attempt: back to pending at once,
		// and the attempt does not count.
		execStatus = ExecutionFailed
		seq, err := s.nextSeq()
		if err != nil {
			return Finished{}, fmt.Errorf("release job %s: %w", f.JobID, err)
		}
		stmt = s.conn.Prep(`UPDATE jobs SET status = 'pending', attempts = max(attempts - 1, 0), error = $error,
			updated_at = $now, retry_after = NULL, ready_seq = $seq
			WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
		stmt.SetText("$error", f.Error)
		stmt.SetInt64("$seq", seq)
	default:
		return Finished{}, fmt.Errorf("finish job %s: unknown outcome %d", f.JobID, f.Outcome)
	}
	stmt.SetText("$now", nowText)
	stmt.SetText("$id", string(f.JobID))
	stmt.SetText("$exec", string(f.ExecutionID))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return Finished{}, fmt.Errorf("finish job %s: %w", f.JobID, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		refused := f
		switch f.Outcome { // (say what was refused in the terms staleOrRefused knows)
		case OutcomeSkipRetry:
			refused.Outcome = OutcomeFailed
		case OutcomeSnoozed:
			refused.Outcome = OutcomeReleased
		}
		return Finished{}, s.staleOrRefused(refused)
	}
	out, err := s.finishedJob(f)
	if err != nil {
		return Finished{}, err
	}
	switch out.Status {
	case StatusCompleted:
		if out.Cascade.Released, err = s.release(f.JobID); err != nil {
			return Finished{}, err
		}
	case StatusFailed, StatusTimeout:
		if out.Cascade.Cancelled, err = s.cascadeCancel(f.JobID, f.JobID, upstreamError(f.JobID, out.Name, out.Status)); err != nil {
			return Finished{}, err
		}
	}
	// The attempt's row is written once, at its end. (A database from
	// before that holds a running row for an attempt that was running at
	// the upgrade: the upsert closes it.)
	upd := s.conn.Prep(`INSERT INTO job_executions (id, job_id, worker_id, status, started_at, completed_at, result, error)
		VALUES ($exec, $job, $worker, $status, $started, $now, $result, $error)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, completed_at = excluded.completed_at,
			result = excluded.result, error = excluded.error`)
	upd.SetText("$exec", string(f.ExecutionID))
	upd.SetText("$job", string(f.JobID))
	upd.SetText("$worker", out.workerID)
	upd.SetText("$started", formatTime(out.startedAt))
	upd.SetText("$status", string(execStatus))
	upd.SetText("$now", nowText)
	if f.Outcome == OutcomeCompleted {
		upd.SetText("$result", string(orNull(f.Result)))
		upd.SetNull("$error")
	} else {
		upd.SetNull("$result")
		upd.SetText("$error", f.Error)
	}
	_, err = upd.Step()
	upd.Reset()
	if err != nil {
		return Finished{}, fmt.Errorf("record execution %s: %w", f.ExecutionID, interpretError(err))
	}
	return out, nil
}

// finishedJob says what the finished job now is: from the claimed job the
// report carries, for a completion, else read back from the row.
func (s *Store) finishedJob(f Finish) (Finished, error) {
	if j := f.Claimed; j != nil && f.Outcome == OutcomeCompleted {
		return Finished{Status: StatusCompleted, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, Name: j.Name,
			Job:       ReadyJob{ID: f.JobID, Priority: j.Priority, CreatedAt: j.CreatedAt, Function: j.Function, Queue: j.Queue},
			Cascade:   Cascade{WorkflowID: j.WorkflowID},
			workerID:  j.WorkerID,
			startedAt: j.StartedAt}, nil
	}
	stmt := s.conn.Prep(`SELECT status, attempts, max_attempts, coalesce(retry_after, ''), priority, created_at, function, name,
		coalesce(workflow_id, ''), coalesce(worker_id, ''), coalesce(started_at, ''), queue FROM jobs WHERE id = $id`)
	defer stmt.Reset()
	stmt.SetText("$id", string(f.JobID))
	if ok, err := stmt.Step(); err != nil || !ok {
		return Finished{}, fmt.Errorf("read finished job %s: %w", f.JobID, errOr(interpretError(err), ErrNotFound))
	}
	return Finished{
		Status:      Status(stmt.ColumnText(0)),
		Attempts:    stmt.ColumnInt(1),
		MaxAttempts: stmt.ColumnInt(2),
		Name:        stmt.ColumnText(7),
		Job: ReadyJob{
			ID:         f.JobID,
			RetryAfter: parseTime(stmt.ColumnText(3)),
			Priority:   stmt.ColumnInt(4),
			CreatedAt:  parseTime(stmt.ColumnText(5)),
			Function:   stmt.ColumnText(6),
			Queue:      stmt.ColumnText(11),
		},
		Cascade:   Cascade{WorkflowID: WorkflowID(stmt.ColumnText(8))},
		workerID:  stmt.ColumnText(9),
		startedAt: parseTime(stmt.ColumnText(10)),
	}, nil
}

// Cancel moves a pending job to cancelled, and with it every job that
// depends on it, transitively (their error names it; requeuing it revives
// them).
func (s *Store) Cancel(id JobID) (Cascade, error) {
	now := formatTime(s.opts.Now())
	stmt := s.conn.Prep(`UPDATE jobs SET status = 'cancelled', completed_at = $now, updated_at = $now, retry_after = NULL
		WHERE id = $id AND +status = 'pending'`)
	stmt.SetText("$now", now)
	stmt.SetText("$id", string(id))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return Cascade{}, fmt.Errorf("cancel job %s: %w", id, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return Cascade{}, s.refusal(id, "cancel", StatusCancelled)
	}
	if err := s.dropWaits(id); err != nil {
		return Cascade{}, err
	}
	name, wf, err := s.jobNameAndWorkflow(id)
	if err != nil {
		return Cascade{}, err
	}
	c := Cascade{WorkflowID: wf}
	c.Cancelled, err = s.cascadeCancel(id, id, upstreamError(id, name, StatusCancelled))
	return c, err
}

// Requeue moves a failed, timed-out or cancelled job back to pending with
// its attempts reset and its error cleared, waiting again for any parent
// not completed, and revives the jobs that were cancelled because of it.
// A job with a parent that failed, timed out or was cancelled gives a
// *BlockedError: requeue that parent instead.
func (s *Store) Requeue(id JobID) (Dependent, Cascade, error) {
	if dead, ok, err := s.deadParent(id); err != nil {
		return Dependent{}, Cascade{}, err
	} else if ok {
		// (A job with such a parent was cancelled with it, so it is in a
		// state requeue starts from.) Name the job whose requeue helps.
		if c, _ := dead.state.upstream(dead.id); c != dead.id {
			return Dependent{}, Cascade{}, &BlockedError{JobID: id, Parent: c, ParentName: s.nameOf(c), ParentStatus: s.statusOf(c)}
		}
		return Dependent{}, Cascade{}, &BlockedError{JobID: id, Parent: dead.id, ParentName: dead.state.name, ParentStatus: dead.state.status}
	}
	seq, err := s.nextSeq()
	if err != nil {
		return Dependent{}, Cascade{}, fmt.Errorf("requeue job %s: %w", id, err)
	}
	stmt := s.conn.Prep(`UPDATE jobs SET status = 'pending', attempts = 0, error = NULL, result = NULL,
		completed_at = NULL, retry_after = NULL, cancelled_by = NULL, updated_at = $now, ready_seq = $seq
		WHERE id = $id AND +status IN ('failed', 'timeout', 'cancelled')
		RETURNING id, function, priority, created_at, coalesce(workflow_id, ''), name, queue`)
	stmt.SetText("$now", formatTime(s.opts.Now()))
	stmt.SetInt64("$seq", seq)
	stmt.SetText("$id", string(id))
	rows, err := scanDependents(stmt, StatusPending, "")
	if err != nil {
		return Dependent{}, Cascade{}, fmt.Errorf("requeue job %s: %w", id, err)
	}
	if len(rows) == 0 {
		return Dependent{}, Cascade{}, s.refusal(id, "requeue", StatusPending)
	}
	if err := s.rewait(&rows[0]); err != nil {
		return Dependent{}, Cascade{}, err
	}
	c := Cascade{WorkflowID: rows[0].WorkflowID}
	if c.Revived, c.Cancelled, err = s.revive(id); err != nil {
		return Dependent{}, Cascade{}, err
	}
	return rows[0], c, nil
}

// jobNameAndWorkflow reads a job's name and workflow on the write
// connection.
func (s *Store) jobNameAndWorkflow(id JobID) (string, WorkflowID, error) {
	stmt := s.conn.Prep(`SELECT name, coalesce(workflow_id, '') FROM jobs WHERE id = $id`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil {
		return "", "", fmt.Errorf("read job %s: %w", id, interpretError(err))
	}
	if !ok {
		return "", "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return stmt.ColumnText(0), WorkflowID(stmt.ColumnText(1)), nil
}

// nameOf and statusOf describe a job for an error message ("" if gone).
func (s *Store) nameOf(id JobID) string {
	name, _, _ := s.jobNameAndWorkflow(id)
	return name
}

func (s *Store) statusOf(id JobID) Status {
	st, _, _, _ := s.jobState(id)
	return st
}

// ClearCompleted deletes completed and cancelled jobs (with their
// executions) that finished before the given time; the zero time means all
// of them. It returns how many jobs it deleted. It keeps what could still
// be needed:
//   - a cancelled job whose cause (cancelled_by) failed or timed out: a
//     requeue of the cause revives it;
//   - a job that a kept job depends on: a job not completed may still run
//     and read its parents' results, or be revived and wait for them.
//
// Two statements, whatever the depth of a chain: the cancelled jobs first
// (a cancelled chain goes whole: its jobs' cause is its first job), then
// the completed ones.
func (s *Store) ClearCompleted(before time.Time) (int, error) {
	b := ""
	if !before.IsZero() {
		b = formatTime(before)
	}
	cancelled := s.conn.Prep(`WITH gone(id) AS (
			SELECT id FROM jobs WHERE status = 'cancelled'
			AND ($before = '' OR coalesce(completed_at, updated_at) < $before)
			AND NOT EXISTS (SELECT 1 FROM jobs cause WHERE cause.id = jobs.cancelled_by AND cause.status IN ('failed', 'timeout'))
		)
		DELETE FROM jobs WHERE id IN (SELECT id FROM gone)
		AND NOT EXISTS (SELECT 1 FROM job_dependencies d WHERE d.parent_id = jobs.id AND d.job_id NOT IN (SELECT id FROM gone))`)
	completed := s.conn.Prep(`DELETE FROM jobs WHERE status = 'completed'
		AND ($before = '' OR coalesce(completed_at, updated_at) < $before)
		AND NOT EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs c ON c.id = d.job_id
			WHERE d.parent_id = jobs.id AND c.status != 'completed')`)
	n := 0
	for _, stmt := range []*sqlite.Stmt{cancelled, completed} {
		stmt.SetText("$before", b)
		_, err := stmt.Step()
		stmt.Reset()
		if err != nil {
			return 0, fmt.Errorf("clear finished jobs: %w", interpretError(err))
		}
		n += s.conn.Changes()
	}
	// Finished workflows whose jobs are all gone go with them.
	wf := s.conn.Prep(`DELETE FROM workflows WHERE status != 'running'
		AND NOT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = workflows.id)`)
	_, err := wf.Step()
	wf.Reset()
	if err != nil {
		return 0, fmt.Errorf("clear finished workflows: %w", interpretError(err))
	}
	return n, nil
}

// refusal explains why a guarded update changed no row.
func (s *Store) refusal(id JobID, op string, to Status) error {
	status, retryAfter, _, err := s.jobState(id)
	if err != nil {
		return err
	}
	if op == "claim" && status == StatusPending && !retryAfter.IsZero() {
		return fmt.Errorf("%w: job %s waits for its retry delay until %s", ErrNotDue, id, retryAfter.Format(time.RFC3339Nano))
	}
	if op == "claim" && status == StatusPending {
		return fmt.Errorf("%w: job %s waits for its dependencies to complete", ErrNotDue, id)
	}
	return &TransitionError{JobID: id, From: status, To: to, Op: op}
}

func (s *Store) staleOrRefused(f Finish) error {
	status, _, exec, err := s.jobState(f.JobID)
	if err != nil {
		return err
	}
	if status == StatusRunning || exec != f.ExecutionID {
		return &StaleExecutionError{JobID: f.JobID, ExecutionID: f.ExecutionID, Current: exec, Status: status}
	}
	op, to := "complete", StatusCompleted
	switch f.Outcome {
	case OutcomeFailed:
		op, to = "fail", StatusFailed
	case OutcomeTimeout:
		op, to = "timeout", StatusTimeout
	case OutcomeReleased:
		op, to = "release", StatusPending
	}
	return &TransitionError{JobID: f.JobID, From: status, To: to, Op: op}
}

// jobState reads a job's status, retry_after and execution_id on the write
// connection.
func (s *Store) jobState(id JobID) (Status, time.Time, ExecutionID, error) {
	stmt := s.conn.Prep(`SELECT status, coalesce(retry_after, ''), coalesce(execution_id, '') FROM jobs WHERE id = $id`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil {
		return "", time.Time{}, "", fmt.Errorf("read job %s: %w", id, interpretError(err))
	}
	if !ok {
		return "", time.Time{}, "", fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return Status(stmt.ColumnText(0)), parseTime(stmt.ColumnText(1)), ExecutionID(stmt.ColumnText(2)), nil
}

// orNull turns an empty result into JSON null.
func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// errOr returns err, or fallback when err is nil.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
