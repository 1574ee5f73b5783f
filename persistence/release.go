package persistence

import (
	"fmt"
	"slices"

	"zombiezen.com/go/sqlite"
)

// ReleaseNode puts every job running on the node id, and on the worker
// nodes joined to it (their rows name id as primary), back to pending
// without counting the attempt (Finish with OutcomeReleased, error
// reason), and deletes the node's own row. It is how a node that must stop
// at once gives its jobs back: in the caller's one write transaction, so
// either all of them go back or none. Write transaction.
func (s *Store) ReleaseNode(id, reason string) ([]Reclaimed, error) {
	stmt := s.conn.Prep(`SELECT id, coalesce(execution_id, '') FROM jobs INDEXED BY jobs_status
		WHERE status = 'running' AND (worker_id = $id OR worker_id IN (SELECT id FROM nodes WHERE primary_id = $id))`)
	stmt.SetText("$id", id)
	out, err := s.endAttempts(stmt, nil, Finish{Outcome: OutcomeReleased, Error: reason}, "release", id)
	if err != nil {
		return nil, err
	}
	if err := s.RemoveNode(id); err != nil {
		return nil, err
	}
	return out, nil
}

// endAttempts ends the running attempts stmt selects (job id, execution
// id), but those in keep, as end says (its Outcome and Error), and returns
// them. op and node name the change in errors.
func (s *Store) endAttempts(stmt *sqlite.Stmt, keep []ExecutionID, end Finish, op, node string) ([]Reclaimed, error) {
	var running []Finish
	for {
		ok, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return nil, fmt.Errorf("read jobs of node %s: %w", node, interpretError(err))
		}
		if !ok {
			break
		}
		exec := ExecutionID(stmt.ColumnText(1))
		if slices.Contains(keep, exec) {
			continue
		}
		f := end
		f.JobID, f.ExecutionID = JobID(stmt.ColumnText(0)), exec
		running = append(running, f)
	}
	stmt.Reset()
	var out []Reclaimed
	for _, f := range running {
		fin, err := s.Finish(f)
		if err != nil {
			return nil, fmt.Errorf("%s job %s of node %s: %w", op, f.JobID, node, err)
		}
		out = append(out, Reclaimed{Finished: fin, Finish: f})
	}
	return out, nil
}
