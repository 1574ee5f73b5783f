package persistence

import (
	"fmt"

	"zombiezen.com/go/sqlite"
)

// What one job's end does to the jobs that depend on it. Every query
// starts from the job_dependencies_parent index (a parent's children) or
// the jobs_cancelled_by index, so the work is proportional to the
// dependents touched, never to the table.

// childrenQuery lists a parent's children.
const childrenQuery = `SELECT job_id FROM job_dependencies WHERE parent_id = $parent`

// releaseQuery counts a completed parent off one child (a child that is no
// longer pending has no job_waits row); waitsRowQuery reads the result.
// (Not UPDATE ... RETURNING, here and below: SQLite runs a RETURNING
// statement with a statement journal, which costs more than the update.)
const (
	releaseQuery  = `UPDATE job_waits SET deps_remaining = deps_remaining - 1 WHERE job_id = $id AND deps_remaining > 0`
	waitsRowQuery = `SELECT deps_remaining, coalesce(workflow_id, '') FROM job_waits WHERE job_id = $id`
)

// unblockQuery makes a pending job whose last parent completed claimable,
// with a new ready_seq (other processes see it); readyKeyQuery reads its
// ordering key.
const (
	unblockQuery  = `UPDATE jobs SET waiting = 0, ready_seq = $seq WHERE id = $id AND +status = 'pending' AND waiting`
	readyKeyQuery = `SELECT function, priority, created_at, name, queue FROM jobs WHERE id = $id`
)

// cascadeCancelQuery cancels every pending job below a parent.
const cascadeCancelQuery = `WITH RECURSIVE down(id) AS (
		SELECT job_id FROM job_dependencies WHERE parent_id = $from
		UNION
		SELECT d.job_id FROM job_dependencies d JOIN down ON d.parent_id = down.id
	)
	UPDATE jobs SET status = 'cancelled', error = $error, cancelled_by = $cause, completed_at = $now,
		updated_at = $now, retry_after = NULL
	WHERE id IN (SELECT id FROM down) AND +status = 'pending'
	RETURNING id, function, priority, created_at, coalesce(workflow_id, ''), name, queue`

// reviveQuery brings back the jobs cancelled because of a requeued job.
const reviveQuery = `UPDATE jobs SET status = 'pending', error = NULL, cancelled_by = NULL, completed_at = NULL,
	updated_at = $now, ready_seq = $seq
	WHERE cancelled_by = $cause AND +status = 'cancelled'
	RETURNING id, function, priority, created_at, coalesce(workflow_id, ''), name, queue`

// waitsQuery counts a job's parents, and those not completed.
const waitsQuery = `SELECT count(*), coalesce(sum(p.status != 'completed'), 0)
	FROM job_dependencies d JOIN jobs p ON p.id = d.parent_id WHERE d.job_id = $id`

// deadParentQuery finds a parent of a job that can no longer complete.
const deadParentQuery = `SELECT p.id, p.name, p.status, coalesce(p.cancelled_by, ''), coalesce(p.error, '')
	FROM job_dependencies d JOIN jobs p ON p.id = d.parent_id
	WHERE d.job_id = $id AND +p.status IN ('failed', 'timeout', 'cancelled')
	ORDER BY d.position LIMIT 1`

// release counts a completed job off its children. (One statement per
// child, not an UPDATE ... WHERE job_id IN (subquery): SQLite builds an
// ephemeral table and a bloom filter for each run of that, which costs
// more than the update itself for the usual handful of children.)
func (s *Store) release(parent JobID) ([]Dependent, error) {
	list := s.conn.Prep(childrenQuery)
	list.SetText("$parent", string(parent))
	var children []JobID
	for {
		ok, err := list.Step()
		if err != nil {
			list.Reset()
			return nil, fmt.Errorf("read dependents of job %s: %w", parent, interpretError(err))
		}
		if !ok {
			break
		}
		children = append(children, JobID(list.ColumnText(0)))
	}
	list.Reset()
	var out []Dependent
	for _, id := range children {
		stmt := s.conn.Prep(releaseQuery)
		stmt.SetText("$id", string(id))
		_, err := stmt.Step()
		stmt.Reset()
		if err == nil && s.conn.Changes() > 0 {
			row := s.conn.Prep(waitsRowQuery)
			row.SetText("$id", string(id))
			var ok bool
			if ok, err = row.Step(); ok {
				out = append(out, Dependent{Job: ReadyJob{ID: id}, Remaining: row.ColumnInt(0),
					WorkflowID: WorkflowID(row.ColumnText(1)), Status: StatusPending})
			}
			row.Reset()
		}
		if err != nil {
			return nil, fmt.Errorf("release job %s: %w", id, interpretError(err))
		}
	}
	s.released.Add(int64(len(out)))
	// The children whose last parent this was become claimable.
	kept := out[:0]
	for _, d := range out {
		if d.Remaining == 0 {
			ok, err := s.unblock(&d)
			if err != nil {
				return nil, fmt.Errorf("release job %s: %w", d.Job.ID, err)
			}
			if !ok {
				continue
			}
		}
		kept = append(kept, d)
	}
	return kept, nil
}

// unblock makes a pending, waiting job claimable and fills in its
// ordering key; false if it is not pending and waiting.
func (s *Store) unblock(d *Dependent) (bool, error) {
	seq, err := s.nextSeq()
	if err != nil {
		return false, err
	}
	stmt := s.conn.Prep(unblockQuery)
	stmt.SetText("$id", string(d.Job.ID))
	stmt.SetInt64("$seq", seq)
	_, err = stmt.Step()
	stmt.Reset()
	if err != nil || s.conn.Changes() == 0 {
		return false, interpretError(err)
	}
	row := s.conn.Prep(readyKeyQuery)
	defer row.Reset()
	row.SetText("$id", string(d.Job.ID))
	ok, err := row.Step()
	if err != nil || !ok {
		return false, errOr(interpretError(err), ErrNotFound)
	}
	d.Job.Function, d.Job.Priority, d.Job.CreatedAt = row.ColumnText(0), row.ColumnInt(1), parseTime(row.ColumnText(2))
	d.Name, d.Job.Queue = row.ColumnText(3), row.ColumnText(4)
	return true, nil
}

// rewait recounts the parents not completed of a job that is pending
// again (requeued or revived), sets its wait, and fills d.Remaining.
func (s *Store) rewait(d *Dependent) error {
	stmt := s.conn.Prep(waitsQuery)
	stmt.SetText("$id", string(d.Job.ID))
	_, err := stmt.Step()
	total, remaining := stmt.ColumnInt(0), stmt.ColumnInt(1)
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("count dependencies of job %s: %w", d.Job.ID, interpretError(err))
	}
	d.Remaining = remaining
	if total == 0 {
		return nil
	}
	if err := s.setWaits(d.Job.ID, d.WorkflowID, remaining); err != nil {
		return err
	}
	upd := s.conn.Prep(`UPDATE jobs SET waiting = $waiting WHERE id = $id`)
	upd.SetBool("$waiting", remaining > 0)
	upd.SetText("$id", string(d.Job.ID))
	_, err = upd.Step()
	upd.Reset()
	if err != nil {
		return fmt.Errorf("set job %s waiting: %w", d.Job.ID, interpretError(err))
	}
	return nil
}

// cascadeCancel cancels every pending job below from, naming cause (the
// upstream job whose requeue revives them) and its error.
func (s *Store) cascadeCancel(from, cause JobID, errText string) ([]Dependent, error) {
	stmt := s.conn.Prep(cascadeCancelQuery)
	stmt.SetText("$from", string(from))
	stmt.SetText("$cause", string(cause))
	stmt.SetText("$error", errText)
	stmt.SetText("$now", formatTime(s.opts.Now()))
	out, err := scanDependents(stmt, StatusCancelled, errText)
	if err != nil {
		return nil, fmt.Errorf("cancel dependents of job %s: %w", from, err)
	}
	for _, d := range out {
		if err := s.dropWaits(d.Job.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dropWaits forgets the count of a job that is no longer pending
// (cancelled): completions of its other parents then leave it alone, and
// a requeue or a revival counts again.
func (s *Store) dropWaits(id JobID) error {
	stmt := s.conn.Prep(`DELETE FROM job_waits WHERE job_id = $id`)
	stmt.SetText("$id", string(id))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("forget dependencies of job %s: %w", id, interpretError(err))
	}
	return nil
}

// revive returns to pending the jobs cancelled because of cause. A revived
// job that has another parent that cannot complete is cancelled again,
// because of that parent, with everything below it.
func (s *Store) revive(cause JobID) (revived, cancelled []Dependent, err error) {
	seq, err := s.nextSeq()
	if err != nil {
		return nil, nil, fmt.Errorf("revive dependents of job %s: %w", cause, err)
	}
	stmt := s.conn.Prep(reviveQuery)
	stmt.SetText("$cause", string(cause))
	stmt.SetText("$now", formatTime(s.opts.Now()))
	stmt.SetInt64("$seq", seq)
	all, err := scanDependents(stmt, StatusPending, "")
	if err != nil {
		return nil, nil, fmt.Errorf("revive dependents of job %s: %w", cause, err)
	}
	for i := range all {
		if err := s.rewait(&all[i]); err != nil {
			return nil, nil, err
		}
	}
	again := map[JobID]bool{}
	for _, d := range all {
		if again[d.Job.ID] {
			continue
		}
		dead, ok, err := s.deadParent(d.Job.ID)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		c, errText := dead.state.upstream(dead.id)
		if err := s.cancelOne(d.Job.ID, c, errText); err != nil {
			return nil, nil, err
		}
		again[d.Job.ID] = true
		d.Status, d.Error = StatusCancelled, errText
		cancelled = append(cancelled, d)
		below, err := s.cascadeCancel(d.Job.ID, c, errText)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range below {
			again[b.Job.ID] = true
		}
		cancelled = append(cancelled, below...)
	}
	for _, d := range all {
		if !again[d.Job.ID] {
			revived = append(revived, d)
		}
	}
	return revived, cancelled, nil
}

// deadParentOf is a parent that failed, timed out or was cancelled.
type deadParentOf struct {
	id    JobID
	state parentState
}

func (s *Store) deadParent(id JobID) (deadParentOf, bool, error) {
	stmt := s.conn.Prep(deadParentQuery)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("read dependencies of job %s: %w", id, interpretError(err))
		}
		return deadParentOf{}, false, err
	}
	return deadParentOf{id: JobID(stmt.ColumnText(0)), state: parentState{name: stmt.ColumnText(1),
		status: Status(stmt.ColumnText(2)), cause: JobID(stmt.ColumnText(3)), err: stmt.ColumnText(4)}}, true, nil
}

// cancelOne cancels one pending job because of an upstream job.
func (s *Store) cancelOne(id, cause JobID, errText string) error {
	now := formatTime(s.opts.Now())
	stmt := s.conn.Prep(`UPDATE jobs SET status = 'cancelled', error = $error, cancelled_by = $cause,
		completed_at = $now, updated_at = $now, retry_after = NULL WHERE id = $id AND +status = 'pending'`)
	stmt.SetText("$error", errText)
	stmt.SetText("$cause", string(cause))
	stmt.SetText("$now", now)
	stmt.SetText("$id", string(id))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("cancel job %s: %w", id, interpretError(err))
	}
	return s.dropWaits(id)
}

// scanDependents steps an UPDATE ... RETURNING id, function, priority,
// created_at, workflow_id, name to its end.
func scanDependents(stmt *sqlite.Stmt, status Status, errText string) ([]Dependent, error) {
	defer stmt.Reset()
	var out []Dependent
	for {
		ok, err := stmt.Step()
		if err != nil {
			return nil, interpretError(err)
		}
		if !ok {
			return out, nil
		}
		out = append(out, Dependent{Job: ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
			Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), Queue: stmt.ColumnText(6)},
			WorkflowID: WorkflowID(stmt.ColumnText(4)), Name: stmt.ColumnText(5), Status: status, Error: errText})
	}
}
