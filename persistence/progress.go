package persistence

import (
	"fmt"
	"time"
)

// SetProgress records the progress the handler of a running attempt
// reported. It changes nothing (and says so with false) when the attempt
// is no longer the job's current one. Write transaction.
func (s *Store) SetProgress(id JobID, exec ExecutionID, fraction float64, message string, now time.Time) (bool, error) {
	stmt := s.conn.Prep(`UPDATE jobs SET progress = $fraction, progress_message = $message, updated_at = $now
		WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
	stmt.SetFloat("$fraction", fraction)
	stmt.SetText("$message", message)
	stmt.SetText("$now", formatTime(now))
	stmt.SetText("$id", string(id))
	stmt.SetText("$exec", string(exec))
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return false, fmt.Errorf("progress of job %s: %w", id, interpretError(err))
	}
	return s.conn.Changes() == 1, nil
}
