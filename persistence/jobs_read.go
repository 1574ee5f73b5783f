package persistence

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"zombiezen.com/go/sqlite"
)

// The reads below use the read-only pool and are safe for concurrent use.

const jobColumns = `id, name, function, params, priority, dependencies, max_attempts, timeout, retry_delay,
	description, status, attempts, coalesce(result, ''), coalesce(error, ''), coalesce(worker_id, ''),
	created_at, updated_at, coalesce(started_at, ''), coalesce(completed_at, ''),
	coalesce(retry_after, ''), coalesce(execution_id, ''), coalesce(workflow_id, ''),
	CASE WHEN status = 'pending' AND waiting THEN (SELECT deps_remaining FROM job_waits WHERE job_id = jobs.id) ELSE 0 END,
	coalesce(run_at, ''), coalesce(unique_key, ''), progress IS NOT NULL, coalesce(progress, 0), coalesce(progress_message, ''),
	backoff_base, backoff_factor, backoff_max, backoff_jitter, queue`

func scanJob(stmt *sqlite.Stmt) Job {
	j := Job{
		ID:              JobID(stmt.ColumnText(0)),
		Name:            stmt.ColumnText(1),
		Function:        stmt.ColumnText(2),
		Params:          json.RawMessage(stmt.ColumnText(3)),
		Priority:        stmt.ColumnInt(4),
		MaxAttempts:     stmt.ColumnInt(6),
		Timeout:         fromSeconds(stmt.ColumnFloat(7)),
		RetryDelay:      fromSeconds(stmt.ColumnFloat(8)),
		Description:     stmt.ColumnText(9),
		Status:          Status(stmt.ColumnText(10)),
		Attempts:        stmt.ColumnInt(11),
		Error:           stmt.ColumnText(13),
		WorkerID:        stmt.ColumnText(14),
		CreatedAt:       parseTime(stmt.ColumnText(15)),
		UpdatedAt:       parseTime(stmt.ColumnText(16)),
		StartedAt:       parseTime(stmt.ColumnText(17)),
		CompletedAt:     parseTime(stmt.ColumnText(18)),
		RetryAfter:      parseTime(stmt.ColumnText(19)),
		ExecutionID:     ExecutionID(stmt.ColumnText(20)),
		WorkflowID:      WorkflowID(stmt.ColumnText(21)),
		Waiting:         stmt.ColumnInt(22),
		RunAt:           parseTime(stmt.ColumnText(23)),
		UniqueKey:       stmt.ColumnText(24),
		HasProgress:     stmt.ColumnBool(25),
		Progress:        stmt.ColumnFloat(26),
		ProgressMessage: stmt.ColumnText(27),
		Backoff:         backoffColumns(stmt, 28),
		Queue:           stmt.ColumnText(32),
	}
	if r := stmt.ColumnText(12); r != "" {
		j.Result = json.RawMessage(r)
	}
	var deps []JobID
	if err := json.Unmarshal([]byte(stmt.ColumnText(5)), &deps); err == nil {
		j.Dependencies = deps
	}
	return j
}

// Job reads one job. An unknown id gives ErrNotFound.
func (s *Store) Job(ctx context.Context, id JobID) (*Job, error) {
	var out *Job
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT ` + jobColumns + ` FROM jobs WHERE id = $id`)
		defer stmt.Reset()
		stmt.SetText("$id", string(id))
		ok, err := stmt.Step()
		if err != nil {
			return err
		}
		if ok {
			j := scanJob(stmt)
			out = &j
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", id, err)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return out, nil
}

// Executions reads a job's attempts, oldest first.
func (s *Store) Executions(ctx context.Context, id JobID) ([]Execution, error) {
	var out []Execution
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		// The running attempt first: if it ends meanwhile, its row is
		// read below and the one from the job's row is dropped.
		running, isRunning, err := runningExecution(conn, id)
		if err != nil {
			return err
		}
		stmt := conn.Prep(`SELECT id, job_id, coalesce(worker_id, ''), status, started_at, coalesce(completed_at, ''),
			coalesce(result, ''), coalesce(error, '') FROM job_executions WHERE job_id = $id ORDER BY started_at, rowid`)
		defer stmt.Reset()
		stmt.SetText("$id", string(id))
		for {
			ok, err := stmt.Step()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			e := Execution{
				ID:          ExecutionID(stmt.ColumnText(0)),
				JobID:       JobID(stmt.ColumnText(1)),
				WorkerID:    stmt.ColumnText(2),
				Status:      ExecutionStatus(stmt.ColumnText(3)),
				StartedAt:   parseTime(stmt.ColumnText(4)),
				CompletedAt: parseTime(stmt.ColumnText(5)),
				Error:       stmt.ColumnText(7),
			}
			if r := stmt.ColumnText(6); r != "" {
				e.Result = json.RawMessage(r)
			}
			out = append(out, e)
		}
		if isRunning && !slices.ContainsFunc(out, func(e Execution) bool { return e.ID == running.ID }) {
			out = append(out, running)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read executions of job %s: %w", id, err)
	}
	return out, nil
}

// runningExecution is the attempt a running job's row describes: its
// execution row is written when it ends. ok is false when the job is not
// running.
func runningExecution(conn *sqlite.Conn, id JobID) (e Execution, ok bool, err error) {
	stmt := conn.Prep(`SELECT execution_id, coalesce(worker_id, ''), started_at FROM jobs
		WHERE id = $id AND status = 'running' AND execution_id IS NOT NULL`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	if ok, err = stmt.Step(); err != nil || !ok {
		return e, false, err
	}
	e = Execution{ID: ExecutionID(stmt.ColumnText(0)), JobID: id, WorkerID: stmt.ColumnText(1),
		Status: ExecutionRunning, StartedAt: parseTime(stmt.ColumnText(2))}
	return e, true, nil
}

// ListJobs lists jobs newest first, optionally in one state. With a
// ValueLimit, a params, result or error longer than it is read only as far
// as its first ValueLimit bytes (cutJobColumns, scanCut).
func (s *Store) ListJobs(ctx context.Context, p ListParams) ([]Job, error) {
	if p.Limit <= 0 {
		p.Limit = 100
	}
	if p.Status != "" && !p.Status.Valid() {
		return nil, fmt.Errorf("list jobs: unknown status %q", p.Status)
	}
	var out []Job
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		// An id above every UUID stands for "no cursor", so one statement
		// serves both.
		before := string(p.Before)
		if before == "" {
			before = "~"
		}
		columns := jobColumns
		if p.ValueLimit > 0 {
			columns = cutJobColumns
		}
		var stmt *sqlite.Stmt
		if p.Status == "" {
			stmt = conn.Prep(`SELECT ` + columns + ` FROM jobs WHERE id < $before
				AND ($queue = '' OR queue = $queue) ORDER BY id DESC LIMIT $limit`)
		} else {
			stmt = conn.Prep(`SELECT ` + columns + ` FROM jobs WHERE status = $status AND id < $before
				AND ($queue = '' OR queue = $queue) ORDER BY id DESC LIMIT $limit`)
			stmt.SetText("$status", string(p.Status))
		}
		stmt.SetText("$queue", p.Queue)
		stmt.SetText("$before", before)
		if p.ValueLimit > 0 {
			stmt.SetInt64("$cut", int64(p.ValueLimit))
		}
		defer stmt.Reset()
		stmt.SetInt64("$limit", int64(p.Limit))
		if p.ValueLimit <= 0 {
			return eachRow(stmt, func() {
				out = append(out, scanJob(stmt))
			})
		}
		for {
			// The prefixes are read while the statement runs, so from the
			// same snapshot of the rows.
			if ok, err := stmt.Step(); err != nil || !ok {
				return err
			}
			j, err := scanCut(conn, stmt, p.ValueLimit)
			if err != nil {
				return fmt.Errorf("job %s: %w", j.ID, err)
			}
			out = append(out, j)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// Stats counts jobs by state.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	return s.QueueStats(ctx, "")
}

// QueueStats counts the jobs of one queue by state ("": every queue).
func (s *Store) QueueStats(ctx context.Context, queue string) (Stats, error) {
	var st Stats
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		var stmt *sqlite.Stmt
		if queue == "" {
			stmt = conn.Prep(`SELECT status, count(*) FROM jobs GROUP BY status`)
		} else {
			stmt = conn.Prep(`SELECT status, count(*) FROM jobs WHERE queue = $queue GROUP BY status`)
			stmt.SetText("$queue", queue)
		}
		defer stmt.Reset()
		return eachRow(stmt, func() {
			st.AddN(Status(stmt.ColumnText(0)), stmt.ColumnInt(1))
		})
	})
	if err != nil {
		return Stats{}, fmt.Errorf("read stats: %w", err)
	}
	return st, nil
}

// readyJobsQuery reads the ready window: a range of the jobs_ready index
// (pending jobs only) in dispatch order, so LIMIT stops the scan early.
const readyJobsQuery = `SELECT id, function, priority, created_at, queue FROM jobs INDEXED BY jobs_ready
	WHERE status = 'pending' AND waiting = 0 AND (retry_after IS NULL OR retry_after <= $now)
	AND function IN (SELECT value FROM json_each($functions))
	AND ($only = '' OR queue IN (SELECT value FROM json_each($only)))
	AND queue NOT IN (SELECT value FROM json_each($not))
	ORDER BY priority DESC, created_at, id LIMIT $limit`

// ReadyJobs reads up to limit claimable jobs in dispatch order (priority
// DESC, created_at ASC, id ASC) from the ready index, keeping only jobs
// whose function is in functions.
func (s *Store) ReadyJobs(ctx context.Context, limit int, functions []string) ([]ReadyJob, error) {
	return s.ReadyJobsIn(ctx, limit, functions, QueueFilter{})
}

// QueueFilter keeps the jobs of some queues: those in Only (nil: every
// queue), except those in Not.
type QueueFilter struct {
	Only, Not []string
}

// ReadyJobsIn is ReadyJobs for the jobs of the queues q keeps.
func (s *Store) ReadyJobsIn(ctx context.Context, limit int, functions []string, q QueueFilter) ([]ReadyJob, error) {
	fns, err := json.Marshal(functions)
	if err != nil {
		return nil, fmt.Errorf("read ready jobs: %w", err)
	}
	only := ""
	if q.Only != nil {
		b, _ := json.Marshal(q.Only)
		only = string(b)
	}
	not, _ := json.Marshal(append([]string{}, q.Not...))
	var out []ReadyJob
	err = s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(readyJobsQuery)
		defer stmt.Reset()
		stmt.SetText("$now", formatTime(s.opts.Now()))
		stmt.SetText("$functions", string(fns))
		stmt.SetText("$only", only)
		stmt.SetText("$not", string(not))
		stmt.SetInt64("$limit", int64(limit))
		return eachRow(stmt, func() {
			out = append(out, ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
				Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), Queue: stmt.ColumnText(4)})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read ready jobs: %w", err)
	}
	return out, nil
}

// delayedJobsQuery reads the jobs waiting for a time (a retry's delay, a
// delayed job's run_at) from the jobs_retry index, soonest first, after a
// given time.
const delayedJobsQuery = `SELECT id, function, priority, created_at, retry_after, queue FROM jobs INDEXED BY jobs_retry
	WHERE status = 'pending' AND retry_after IS NOT NULL AND retry_after > $after ORDER BY retry_after LIMIT $limit`

// DelayedJobs reads up to limit pending jobs that wait for a time (a
// retry delay, a delayed job's run_at), soonest first.
func (s *Store) DelayedJobs(ctx context.Context, limit int) ([]ReadyJob, error) {
	return s.DelayedJobsAfter(ctx, time.Time{}, limit)
}

// DelayedJobsAfter is DelayedJobs, for the jobs that wait beyond after.
func (s *Store) DelayedJobsAfter(ctx context.Context, after time.Time, limit int) ([]ReadyJob, error) {
	var out []ReadyJob
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(delayedJobsQuery)
		defer stmt.Reset()
		stmt.SetInt64("$limit", int64(limit))
		if after.IsZero() {
			stmt.SetText("$after", "")
		} else {
			stmt.SetText("$after", formatTime(after))
		}
		return eachRow(stmt, func() {
			out = append(out, ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
				Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), RetryAfter: parseTime(stmt.ColumnText(4)),
				Queue: stmt.ColumnText(5)})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read delayed jobs: %w", err)
	}
	return out, nil
}

// ExternalChanges tells whether another process committed since the last
// call (one PRAGMA data_version when nothing changed) and, if so, reads
// only the jobs that became pending since this store last looked: a range
// of the ready_seq index, never a scan of the table. It runs on the write
// connection, outside a transaction. When more than limit jobs changed,
// more is true and the next call continues where this one stopped.
func (s *Store) ExternalChanges(limit int) (changed bool, jobs []ReadyJob, more bool, err error) {
	if s.inTx {
		return false, nil, false, fmt.Errorf("external changes: a write transaction is open")
	}
	v, err := s.dataVersion()
	if err != nil {
		return false, nil, false, fmt.Errorf("read data_version: %w", err)
	}
	if v == s.dataVer {
		return false, nil, false, nil
	}
	jobs, more, err = s.pendingSinceSeen(limit)
	if err != nil {
		// Keep the old data_version, so the next call looks again.
		return true, nil, false, err
	}
	s.dataVer = v
	return true, jobs, more, nil
}

// MoreExternalChanges continues an ExternalChanges that returned more.
func (s *Store) MoreExternalChanges(limit int) ([]ReadyJob, bool, error) {
	return s.pendingSinceSeen(limit)
}

// pendingSinceSeenQuery reads the jobs that became pending after the seen
// watermark, up to top, from the jobs_ready_seq index, paged by
// (ready_seq, id).
const pendingSinceSeenQuery = `SELECT id, function, priority, created_at, coalesce(retry_after, ''), ready_seq, queue
	FROM jobs INDEXED BY jobs_ready_seq
	WHERE status = 'pending' AND waiting = 0 AND ready_seq > $seen AND ready_seq <= $top
	AND (ready_seq > $cur_seq OR (ready_seq = $cur_seq AND id > $cur_id))
	ORDER BY ready_seq, id LIMIT $limit`

func (s *Store) pendingSinceSeen(limit int) ([]ReadyJob, bool, error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("read changed jobs: limit must be positive (got %d)", limit)
	}
	// Read the counter first: every job with a seq up to it is committed.
	top, err := s.readySeq()
	if err != nil {
		return nil, false, fmt.Errorf("read ready_seq: %w", err)
	}
	if top <= s.seenSeq {
		return nil, false, nil
	}
	// Page by (ready_seq, id): one transaction can make many jobs pending
	// under the same seq.
	stmt := s.conn.Prep(pendingSinceSeenQuery)
	defer stmt.Reset()
	stmt.SetInt64("$seen", s.seenSeq)
	stmt.SetInt64("$top", top)
	stmt.SetInt64("$cur_seq", s.cursor.seq)
	stmt.SetText("$cur_id", string(s.cursor.id))
	stmt.SetInt64("$limit", int64(limit))
	var out []ReadyJob
	for {
		ok, err := stmt.Step()
		if err != nil {
			return nil, false, fmt.Errorf("read changed jobs: %w", interpretError(err))
		}
		if !ok {
			break
		}
		r := ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
			Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), RetryAfter: parseTime(stmt.ColumnText(4)),
			Queue: stmt.ColumnText(6)}
		out = append(out, r)
		s.cursor = seqCursor{seq: stmt.ColumnInt64(5), id: r.ID}
	}
	if len(out) >= limit {
		return out, true, nil
	}
	s.seenSeq, s.cursor = top, seqCursor{}
	return out, false, nil
}

// seqCursor is where a paged read of changed jobs stopped.
type seqCursor struct {
	seq int64
	id  JobID
}

// PendingJobs reads, on the write connection, those of the given jobs that
// are still pending, for announcing them to the dispatcher again (after a
// claim failed for want of space). It must be called by the owner of the
// write connection, outside a write transaction.
func (s *Store) PendingJobs(ids []JobID) ([]ReadyJob, error) {
	if s.inTx {
		return nil, fmt.Errorf("read pending jobs: a write transaction is open")
	}
	stmt := s.conn.Prep(`SELECT id, function, priority, created_at, coalesce(retry_after, ''), queue FROM jobs
		WHERE id = $id AND status = 'pending' AND waiting = 0`)
	var out []ReadyJob
	for _, id := range ids {
		stmt.SetText("$id", string(id))
		ok, err := stmt.Step()
		if err == nil && ok {
			out = append(out, ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
				Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), RetryAfter: parseTime(stmt.ColumnText(4)),
				Queue: stmt.ColumnText(5)})
		}
		if rerr := stmt.Reset(); err == nil {
			err = rerr
		}
		if err != nil {
			return nil, fmt.Errorf("read pending jobs: %w", interpretError(err))
		}
	}
	return out, nil
}
