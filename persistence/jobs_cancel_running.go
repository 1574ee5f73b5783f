package persistence

import (
	"context"
	"encoding/json"
	"fmt"

	"zombiezen.com/go/sqlite"
)

// CancelledRun is what cancelling a running job did: the attempt that was
// running (its worker must stop it) and the dependents cancelled with it.
type CancelledRun struct {
	Cascade
	ExecutionID ExecutionID
	WorkerID    string
	Name        string
	Function    string
}

// CancelRunning moves a running job to cancelled: its attempt's execution
// row ends cancelled, and every job that depends on it is cancelled, as
// for any cancel. The attempt's later report is refused (the job no longer
// runs). A job that is not running gets a *TransitionError. Write
// transaction.
func (s *Store) CancelRunning(id JobID, reason string) (CancelledRun, error) {
	now := s.opts.Now()
	nowText := formatTime(now)
	read := s.conn.Prep(`SELECT coalesce(execution_id, ''), coalesce(worker_id, ''), coalesce(started_at, ''), name, function
		FROM jobs WHERE id = $id AND status = 'running'`)
	read.SetText("$id", string(id))
	ok, err := read.Step()
	var run CancelledRun
	var started string
	if ok {
		run.ExecutionID, run.WorkerID = ExecutionID(read.ColumnText(0)), read.ColumnText(1)
		started, run.Name, run.Function = read.ColumnText(2), read.ColumnText(3), read.ColumnText(4)
	}
	read.Reset()
	if err != nil {
		return CancelledRun{}, fmt.Errorf("cancel job %s: %w", id, interpretError(err))
	}
	if !ok {
		return CancelledRun{}, s.refusal(id, "cancel", StatusCancelled)
	}
	stmt := s.conn.Prep(`UPDATE jobs SET status = 'cancelled', error = $reason, completed_at = $now, updated_at = $now
		WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
	stmt.SetText("$reason", reason)
	stmt.SetText("$now", nowText)
	stmt.SetText("$id", string(id))
	stmt.SetText("$exec", string(run.ExecutionID))
	_, err = stmt.Step()
	stmt.Reset()
	if err != nil {
		return CancelledRun{}, fmt.Errorf("cancel job %s: %w", id, interpretError(err))
	}
	exec := s.conn.Prep(`INSERT INTO job_executions (id, job_id, worker_id, status, started_at, completed_at, error)
		VALUES ($exec, $job, $worker, 'cancelled', $started, $now, $reason)
		ON CONFLICT (id) DO UPDATE SET status = 'cancelled', completed_at = excluded.completed_at, error = excluded.error`)
	exec.SetText("$exec", string(run.ExecutionID))
	exec.SetText("$job", string(id))
	exec.SetText("$worker", run.WorkerID)
	exec.SetText("$started", started)
	exec.SetText("$now", nowText)
	exec.SetText("$reason", reason)
	_, err = exec.Step()
	exec.Reset()
	if err != nil {
		return CancelledRun{}, fmt.Errorf("record execution %s: %w", run.ExecutionID, interpretError(err))
	}
	_, wf, err := s.jobNameAndWorkflow(id)
	if err != nil {
		return CancelledRun{}, err
	}
	run.WorkflowID = wf
	run.Cancelled, err = s.cascadeCancel(id, id, upstreamError(id, run.Name, StatusCancelled))
	return run, err
}

// JobState is a job's state and current attempt.
type JobState struct {
	Status      Status
	ExecutionID ExecutionID
}

// JobStates reads the state and current attempt of the jobs (a dispatcher
// checks that the jobs its workers run are still theirs). Unknown ids are
// absent from the map.
func (s *Store) JobStates(ctx context.Context, ids []JobID) (map[JobID]JobState, error) {
	in, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	out := make(map[JobID]JobState, len(ids))
	err = s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT id, status, coalesce(execution_id, '') FROM jobs WHERE id IN (SELECT value FROM json_each($ids))`)
		defer stmt.Reset()
		stmt.SetText("$ids", string(in))
		return eachRow(stmt, func() {
			out[JobID(stmt.ColumnText(0))] = JobState{Status: Status(stmt.ColumnText(1)), ExecutionID: ExecutionID(stmt.ColumnText(2))}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read job states: %w", err)
	}
	return out, nil
}
