package persistence

import (
	"fmt"

	"zombiezen.com/go/sqlite"
)

// What one job's end does to the jobs that depend on it. Every query
// starts from the job_dependencies_parent index (a parent's children) or
// the jobs_cancelled_by index, so the work is proportional to the
// dependents touched, never to the table.

// hasChildrenQuery tells whether any job depends on a parent.
const hasChildrenQuery = `SELECT 1 FROM job_dependencies WHERE parent_id = $parent LIMIT 1`

// releaseQuery counts a completed parent off its pending children; a child
// whose counter reaches 0 gets a new ready_seq (other processes see it).
const releaseQuery = `UPDATE jobs SET deps_remaining = deps_remaining - 1,
	ready_seq = CASE WHEN deps_remaining = 1 THEN $seq ELSE ready_seq END
	WHERE id IN (SELECT job_id FROM job_dependencies WHERE parent_id = $parent)
	AND +status = 'pending' AND deps_remaining > 0
	RETURNING id, function, priority, created_at, deps_remaining, coalesce(workflow_id, ''), name`

// cascadeCancelQuery cancels every pending job below a parent.
const cascadeCancelQuery = `WITH RECURSIVE down(id) AS (
		SELECT job_id FROM job_dependencies WHERE parent_id = $from
		UNION
		SELECT d.job_id FROM job_dependencies d JOIN down ON d.parent_id = down.id
	)
	UPDATE jobs SET status = 'cancelled', error = $error, cancelled_by = $cause, completed_at = $now,
		updated_at = $now, retry_after = NULL
	WHERE id IN (SELECT id FROM down) AND +status = 'pending'
	RETURNING id, function, priority, created_at, coalesce(workflow_id, ''), name`

// reviveQuery brings back the jobs cancelled because of a requeued job,
// each waiting again for its parents not completed.
const reviveQuery = `UPDATE jobs SET status = 'pending', error = NULL, cancelled_by = NULL, completed_at = NULL,
	updated_at = $now, ready_seq = $seq,
	deps_remaining = (SELECT count(*) FROM job_dependencies d JOIN jobs p ON p.id = d.parent_id
		WHERE d.job_id = jobs.id AND p.status != 'completed')
	WHERE cancelled_by = $cause AND +status = 'cancelled'
	RETURNING id, function, priority, created_at, deps_remaining, coalesce(workflow_id, ''), name`

// deadParentQuery finds a parent of a job that can no longer complete.
const deadParentQuery = `SELECT p.id, p.name, p.status, coalesce(p.cancelled_by, ''), coalesce(p.error, '')
	FROM job_dependencies d JOIN jobs p ON p.id = d.parent_id
	WHERE d.job_id = $id AND p.status IN ('failed', 'timeout', 'cancelled')
	ORDER BY d.position LIMIT 1`

// release counts a completed job off its children.
func (s *Store) release(parent JobID) ([]Dependent, error) {
	probe := s.conn.Prep(hasChildrenQuery)
	probe.SetText("$parent", string(parent))
	has, err := probe.Step()
	probe.Reset()
	if err != nil {
		return nil, fmt.Errorf("read dependents of job %s: %w", parent, interpretError(err))
	}
	if !has {
		return nil, nil
	}
	seq, err := s.nextSeq()
	if err != nil {
		return nil, fmt.Errorf("release dependents of job %s: %w", parent, err)
	}
	stmt := s.conn.Prep(releaseQuery)
	stmt.SetText("$parent", string(parent))
	stmt.SetInt64("$seq", seq)
	out, err := scanDependents(stmt, StatusPending, "", true)
	if err != nil {
		return nil, fmt.Errorf("release dependents of job %s: %w", parent, err)
	}
	s.released.Add(int64(len(out)))
	return out, nil
}

// cascadeCancel cancels every pending job below from, naming cause (the
// upstream job whose requeue revives them) and its error.
func (s *Store) cascadeCancel(from, cause JobID, errText string) ([]Dependent, error) {
	stmt := s.conn.Prep(cascadeCancelQuery)
	stmt.SetText("$from", string(from))
	stmt.SetText("$cause", string(cause))
	stmt.SetText("$error", errText)
	stmt.SetText("$now", formatTime(s.opts.Now()))
	out, err := scanDependents(stmt, StatusCancelled, errText, false)
	if err != nil {
		return nil, fmt.Errorf("cancel dependents of job %s: %w", from, err)
	}
	return out, nil
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
	all, err := scanDependents(stmt, StatusPending, "", true)
	if err != nil {
		return nil, nil, fmt.Errorf("revive dependents of job %s: %w", cause, err)
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
	return nil
}

// scanDependents steps an UPDATE ... RETURNING of dependents to its end.
// With remaining, the rows carry deps_remaining before workflow_id.
func scanDependents(stmt *sqlite.Stmt, status Status, errText string, remaining bool) ([]Dependent, error) {
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
		d := Dependent{Job: ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
			Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3))}, Status: status, Error: errText}
		col := 4
		if remaining {
			d.Remaining = stmt.ColumnInt(col)
			col++
		}
		d.WorkflowID = WorkflowID(stmt.ColumnText(col))
		d.Name = stmt.ColumnText(col + 1)
		out = append(out, d)
	}
}
