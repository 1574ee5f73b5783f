package persistence

import (
	"context"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
)

// InsertWorkflow writes a workflow's row, running; its jobs follow in the
// same transaction (InsertJobs with their WorkflowID set).
func (s *Store) InsertWorkflow(w NewWorkflow, at time.Time) error {
	now := formatTime(at)
	stmt := s.conn.Prep(`INSERT INTO workflows (id, name, status, created_at, updated_at)
		VALUES ($id, $name, 'running', $now, $now)`)
	stmt.SetText("$id", string(w.ID))
	stmt.SetText("$name", w.Name)
	stmt.SetText("$now", now)
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("insert workflow %s: %w", w.ID, interpretError(err))
	}
	return nil
}

// RefreshWorkflow sets a workflow's status from its jobs' states: running
// while a job is pending or running, else failed if a job failed or timed
// out, else cancelled if a job was cancelled, else completed. It reads
// every job of the workflow (through the jobs_workflow index); after a
// change to a few jobs, SettleWorkflow is the cheap way. It returns the
// status and whether it changed.
func (s *Store) RefreshWorkflow(id WorkflowID) (WorkflowStatus, bool, error) {
	stmt := s.conn.Prep(`SELECT
			coalesce(sum(status IN ('pending', 'running')), 0),
			coalesce(sum(status IN ('failed', 'timeout')), 0),
			coalesce(sum(status = 'cancelled'), 0),
			(SELECT status FROM workflows WHERE id = $id)
		FROM jobs WHERE workflow_id = $id`)
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil || !ok {
		stmt.Reset()
		return "", false, fmt.Errorf("read workflow %s: %w", id, errOr(interpretError(err), workflowNotFound(id)))
	}
	active, failed, cancelled := stmt.ColumnInt(0), stmt.ColumnInt(1), stmt.ColumnInt(2)
	old := WorkflowStatus(stmt.ColumnText(3))
	stmt.Reset()
	if old == "" {
		return "", false, workflowNotFound(id)
	}
	status := WorkflowCompleted
	switch {
	case active > 0:
		status = WorkflowRunning
	case failed > 0:
		status = WorkflowFailed
	case cancelled > 0:
		status = WorkflowCancelled
	}
	if status == old {
		return status, false, nil
	}
	return s.setWorkflowStatus(id, status)
}

// setWorkflowStatus writes a workflow's status unless it has it already,
// and says whether it changed. A change takes the transaction's
// workflow_seq, so other processes see it.
func (s *Store) setWorkflowStatus(id WorkflowID, status WorkflowStatus) (WorkflowStatus, bool, error) {
	upd := s.conn.Prep(`UPDATE workflows SET status = $status, updated_at = $now WHERE id = $id AND status != $status`)
	upd.SetText("$status", string(status))
	upd.SetText("$now", formatTime(s.opts.Now()))
	upd.SetText("$id", string(id))
	_, err := upd.Step()
	upd.Reset()
	if err != nil {
		return "", false, fmt.Errorf("update workflow %s: %w", id, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return status, false, nil
	}
	seq, err := s.nextWorkflowSeq()
	if err != nil {
		return "", false, fmt.Errorf("update workflow %s: %w", id, err)
	}
	stamp := s.conn.Prep(`UPDATE workflows SET status_seq = $seq WHERE id = $id`)
	stamp.SetInt64("$seq", seq)
	stamp.SetText("$id", string(id))
	_, err = stamp.Step()
	stamp.Reset()
	if err != nil {
		return "", false, fmt.Errorf("update workflow %s: %w", id, interpretError(err))
	}
	return status, true, nil
}

// nextWorkflowSeq returns the workflow_seq of the open transaction, taking
// the next value of the shared counter the first time it is needed.
func (s *Store) nextWorkflowSeq() (int64, error) {
	if s.txWfSeq != 0 {
		return s.txWfSeq, nil
	}
	stmt := s.conn.Prep(`UPDATE gigq_meta SET value = value + 1 WHERE key = 'workflow_seq'`)
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return 0, interpretError(err)
	}
	if s.txWfSeq, err = s.metaValue("workflow_seq"); err != nil {
		return 0, err
	}
	return s.txWfSeq, nil
}

// WorkflowChange is a workflow whose status another process changed.
type WorkflowChange struct {
	ID     WorkflowID
	Status WorkflowStatus
}

// ExternalWorkflowChanges reads, on the write connection outside a
// transaction, the workflows whose status changed since this store last
// looked (through the workflows_status_seq index); its own changes are
// skipped when no other process changed one meanwhile. Call it when
// ExternalChanges says another process wrote.
func (s *Store) ExternalWorkflowChanges() ([]WorkflowChange, error) {
	if s.inTx {
		return nil, fmt.Errorf("external workflow changes: a write transaction is open")
	}
	top, err := s.metaValue("workflow_seq")
	if err != nil || top <= s.seenWf {
		return nil, err
	}
	stmt := s.conn.Prep(`SELECT id, status FROM workflows INDEXED BY workflows_status_seq
		WHERE status_seq > $seen AND status_seq <= $top ORDER BY status_seq`)
	defer stmt.Reset()
	stmt.SetInt64("$seen", s.seenWf)
	stmt.SetInt64("$top", top)
	var out []WorkflowChange
	for {
		ok, err := stmt.Step()
		if err != nil {
			return nil, fmt.Errorf("read changed workflows: %w", interpretError(err))
		}
		if !ok {
			break
		}
		out = append(out, WorkflowChange{ID: WorkflowID(stmt.ColumnText(0)), Status: WorkflowStatus(stmt.ColumnText(1))})
	}
	s.seenWf = top
	return out, nil
}

// workflowActiveQuery tells whether a workflow has a job that can still
// run, through the jobs_workflow_active index.
const workflowActiveQuery = `SELECT 1 FROM jobs INDEXED BY jobs_workflow_active
	WHERE workflow_id = $id AND status IN ('pending', 'running') LIMIT 1`

// SettleWorkflow keeps a workflow's status in step with its jobs after a
// change to some of them: running while one of its jobs can still run
// (one index probe), else its final status (RefreshWorkflow, which reads
// all its jobs, once per end). It returns the status and whether it
// changed.
func (s *Store) SettleWorkflow(id WorkflowID) (WorkflowStatus, bool, error) {
	probe := s.conn.Prep(workflowActiveQuery)
	probe.SetText("$id", string(id))
	active, err := probe.Step()
	probe.Reset()
	if err != nil {
		return "", false, fmt.Errorf("read workflow %s: %w", id, interpretError(err))
	}
	if !active {
		return s.RefreshWorkflow(id)
	}
	return s.setWorkflowStatus(id, WorkflowRunning)
}

// CancelWorkflow cancels every pending job of a workflow, and the jobs
// outside it that depend on them; running jobs finish. Parents are
// cancelled before their children: a job whose parent this cancel ended is
// cancelled because of that parent (requeuing the parent revives it), the
// others with the error "workflow cancelled". It returns the cancelled
// jobs. An unknown workflow gives ErrNotFound.
func (s *Store) CancelWorkflow(id WorkflowID) ([]Dependent, error) {
	if _, err := s.workflowRow(id); err != nil {
		return nil, err
	}
	var pending []JobID
	list := s.conn.Prep(`SELECT id FROM jobs WHERE workflow_id = $id AND status = 'pending' ORDER BY id`)
	list.SetText("$id", string(id))
	for {
		ok, err := list.Step()
		if err != nil {
			list.Reset()
			return nil, fmt.Errorf("cancel workflow %s: %w", id, interpretError(err))
		}
		if !ok {
			break
		}
		pending = append(pending, JobID(list.ColumnText(0)))
	}
	list.Reset()
	const errText = "workflow cancelled"
	now := formatTime(s.opts.Now())
	var out []Dependent
	for _, j := range pending {
		stmt := s.conn.Prep(`UPDATE jobs SET status = 'cancelled', error = $error, completed_at = $now,
			updated_at = $now, retry_after = NULL WHERE id = $id AND +status = 'pending'
			RETURNING id, function, priority, created_at, coalesce(workflow_id, ''), name, queue`)
		stmt.SetText("$error", errText)
		stmt.SetText("$now", now)
		stmt.SetText("$id", string(j))
		one, err := scanDependents(stmt, StatusCancelled, errText)
		if err != nil {
			return nil, fmt.Errorf("cancel workflow %s: %w", id, err)
		}
		if len(one) == 0 {
			continue // cancelled already, below a job cancelled before it
		}
		if err := s.dropWaits(j); err != nil {
			return nil, err
		}
		below, err := s.cascadeCancel(j, j, upstreamError(j, one[0].Name, StatusCancelled))
		if err != nil {
			return nil, err
		}
		out = append(append(out, one...), below...)
	}
	return out, nil
}

// workflowRow reads a workflow on the write connection.
func (s *Store) workflowRow(id WorkflowID) (Workflow, error) {
	stmt := s.conn.Prep(`SELECT ` + workflowColumns + ` FROM workflows WHERE id = $id`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil {
		return Workflow{}, fmt.Errorf("read workflow %s: %w", id, interpretError(err))
	}
	if !ok {
		return Workflow{}, workflowNotFound(id)
	}
	return scanWorkflow(stmt), nil
}

const workflowColumns = `id, name, status, created_at, updated_at`

func scanWorkflow(stmt *sqlite.Stmt) Workflow {
	return Workflow{ID: WorkflowID(stmt.ColumnText(0)), Name: stmt.ColumnText(1), Status: WorkflowStatus(stmt.ColumnText(2)),
		CreatedAt: parseTime(stmt.ColumnText(3)), UpdatedAt: parseTime(stmt.ColumnText(4))}
}

// WorkflowGraph reads, on the write connection (between transactions, by
// its owner), what the actor that tracks a workflow needs: its jobs with
// their state and parents, and the state of parents outside it.
func (s *Store) WorkflowGraph(id WorkflowID) (*WorkflowGraph, error) {
	w, err := s.workflowRow(id)
	if err != nil {
		return nil, err
	}
	g := &WorkflowGraph{Workflow: w, External: map[JobID]Status{}}
	idx := map[JobID]int{}
	stmt := s.conn.Prep(`SELECT j.id, j.function, j.priority, j.created_at, j.status,
		CASE WHEN j.waiting THEN coalesce(w.deps_remaining, 0) ELSE 0 END, j.queue
		FROM jobs j LEFT JOIN job_waits w ON w.job_id = j.id WHERE j.workflow_id = $id ORDER BY j.id`)
	stmt.SetText("$id", string(id))
	for {
		ok, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return nil, fmt.Errorf("read jobs of workflow %s: %w", id, interpretError(err))
		}
		if !ok {
			break
		}
		j := GraphJob{Job: ReadyJob{ID: JobID(stmt.ColumnText(0)), Function: stmt.ColumnText(1),
			Priority: stmt.ColumnInt(2), CreatedAt: parseTime(stmt.ColumnText(3)), Queue: stmt.ColumnText(6)},
			Status: Status(stmt.ColumnText(4)), Remaining: stmt.ColumnInt(5)}
		idx[j.Job.ID] = len(g.Jobs)
		g.Jobs = append(g.Jobs, j)
	}
	stmt.Reset()
	edges := s.conn.Prep(`SELECT d.job_id, d.parent_id, p.status, coalesce(p.workflow_id, '') = $id
		FROM jobs c JOIN job_dependencies d ON d.job_id = c.id JOIN jobs p ON p.id = d.parent_id
		WHERE c.workflow_id = $id ORDER BY d.job_id, d.position`)
	edges.SetText("$id", string(id))
	defer edges.Reset()
	for {
		ok, err := edges.Step()
		if err != nil {
			return nil, fmt.Errorf("read dependencies of workflow %s: %w", id, interpretError(err))
		}
		if !ok {
			return g, nil
		}
		child, parent := JobID(edges.ColumnText(0)), JobID(edges.ColumnText(1))
		if i, ok := idx[child]; ok {
			g.Jobs[i].Parents = append(g.Jobs[i].Parents, parent)
		}
		if edges.ColumnInt(3) == 0 {
			g.External[parent] = Status(edges.ColumnText(2))
		}
	}
}

// WorkflowRow reads one workflow's row (not its jobs) through the read
// pool. An unknown id gives ErrNotFound.
func (s *Store) WorkflowRow(ctx context.Context, id WorkflowID) (*Workflow, error) {
	var w *Workflow
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT ` + workflowColumns + ` FROM workflows WHERE id = $id`)
		defer stmt.Reset()
		stmt.SetText("$id", string(id))
		ok, err := stmt.Step()
		if ok {
			row := scanWorkflow(stmt)
			w = &row
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read workflow %s: %w", id, err)
	}
	if w == nil {
		return nil, workflowNotFound(id)
	}
	return w, nil
}

// Workflow reads a workflow and its jobs (oldest first) through the read
// pool. An unknown id gives ErrNotFound.
func (s *Store) Workflow(ctx context.Context, id WorkflowID) (*Workflow, []Job, error) {
	var w *Workflow
	var jobs []Job
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT ` + workflowColumns + ` FROM workflows WHERE id = $id`)
		stmt.SetText("$id", string(id))
		ok, err := stmt.Step()
		if ok {
			row := scanWorkflow(stmt)
			w = &row
		}
		stmt.Reset()
		if err != nil || !ok {
			return err
		}
		js := conn.Prep(`SELECT ` + jobColumns + ` FROM jobs WHERE workflow_id = $id ORDER BY id`)
		defer js.Reset()
		js.SetText("$id", string(id))
		for {
			ok, err := js.Step()
			if err != nil || !ok {
				return err
			}
			jobs = append(jobs, scanJob(js))
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read workflow %s: %w", id, err)
	}
	if w == nil {
		return nil, nil, workflowNotFound(id)
	}
	return w, jobs, nil
}

// UnfinishedWorkflows lists the workflows still running, oldest first.
func (s *Store) UnfinishedWorkflows(ctx context.Context) ([]WorkflowID, error) {
	var out []WorkflowID
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT id FROM workflows INDEXED BY workflows_running WHERE status = 'running' ORDER BY id`)
		defer stmt.Reset()
		for {
			ok, err := stmt.Step()
			if err != nil || !ok {
				return err
			}
			out = append(out, WorkflowID(stmt.ColumnText(0)))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list unfinished workflows: %w", err)
	}
	return out, nil
}

// WorkflowCounts counts the workflows in each status (a status with none
// is absent), through the read pool. It scans the workflows table.
func (s *Store) WorkflowCounts(ctx context.Context) (map[WorkflowStatus]int, error) {
	out := map[WorkflowStatus]int{}
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT status, count(*) FROM workflows GROUP BY status`)
		defer stmt.Reset()
		for {
			ok, err := stmt.Step()
			if err != nil || !ok {
				return err
			}
			out[WorkflowStatus(stmt.ColumnText(0))] = stmt.ColumnInt(1)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("count workflows: %w", err)
	}
	return out, nil
}

// ParentResults reads the parents of a job in dependency order, with
// their results (nil for a parent that has none), through the read pool.
func (s *Store) ParentResults(ctx context.Context, id JobID) ([]ParentResult, error) {
	var out []ParentResult
	err := s.read(ctx, func(conn *sqlite.Conn) (err error) {
		out, err = parentResults(conn, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read parent results of job %s: %w", id, err)
	}
	return out, nil
}

// parentResults reads a job's parents and their results on conn.
func parentResults(conn *sqlite.Conn, id JobID) ([]ParentResult, error) {
	stmt := conn.Prep(`SELECT d.parent_id, coalesce(p.name, ''), coalesce(p.status, ''), coalesce(p.result, '')
		FROM job_dependencies d LEFT JOIN jobs p ON p.id = d.parent_id
		WHERE d.job_id = $id ORDER BY d.position`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	var out []ParentResult
	for {
		ok, err := stmt.Step()
		if err != nil || !ok {
			return out, interpretError(err)
		}
		r := ParentResult{JobID: JobID(stmt.ColumnText(0)), Name: stmt.ColumnText(1), Status: Status(stmt.ColumnText(2))}
		if res := stmt.ColumnText(3); res != "" {
			r.Result = []byte(res)
		}
		out = append(out, r)
	}
}

// workflowNotFound is the error for an unknown workflow id; it matches
// ErrNotFound.
func workflowNotFound(id WorkflowID) error { return &notFoundError{what: "workflow " + string(id)} }
