package persistence

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// InsertJobs writes new jobs, created at the given time, and says what it
// made of each. A job's dependencies must be earlier jobs of the same call
// or jobs already in the database; all of them are resolved before
// anything is written, so an unknown one (a *DependencyError) leaves the
// database untouched. A job waits (pending, not claimable) until every
// parent completed; one whose parent already failed, timed out or was
// cancelled is written cancelled, with the upstream job named in its
// error, and comes back when that job is requeued.
func (s *Store) InsertJobs(jobs []NewJob, at time.Time) ([]Inserted, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	out, causes, err := s.resolveDependencies(jobs)
	if err != nil {
		return nil, err
	}
	seq, err := s.nextSeq()
	if err != nil {
		return nil, fmt.Errorf("insert jobs: %w", err)
	}
	now := formatTime(at)
	stmt := s.conn.Prep(`INSERT INTO jobs (id, name, function, params, priority, dependencies, max_attempts, timeout,
		retry_delay, description, status, error, cancelled_by, completed_at, created_at, updated_at, ready_seq,
		workflow_id, waiting, run_at, retry_after, unique_key,
		backoff_base, backoff_factor, backoff_max, backoff_jitter, queue)
		VALUES ($id, $name, $function, $params, $priority, $dependencies, $max_attempts, $timeout,
		$retry_delay, $description, $status, $error, $cancelled_by, $completed_at, $now, $now, $seq,
		$workflow_id, $waiting, $run_at, $run_at, $unique_key,
		$backoff_base, $backoff_factor, $backoff_max, $backoff_jitter, $queue)`)
	for i, j := range jobs {
		if j.UniqueKey != "" {
			existing, status, err := s.holder(j.UniqueKey, j.UniqueStates)
			if err != nil {
				return nil, fmt.Errorf("insert job %s: %w", j.ID, err)
			}
			if existing != "" {
				out[i].Existing, out[i].ExistingStatus = existing, status
				continue
			}
		}
		stmt.SetText("$id", string(j.ID))
		stmt.SetText("$name", j.Name)
		stmt.SetText("$function", j.Function)
		stmt.SetText("$params", string(j.Params))
		stmt.SetInt64("$priority", int64(j.Priority))
		stmt.SetText("$dependencies", dependenciesJSON(j.Dependencies))
		stmt.SetInt64("$max_attempts", int64(j.MaxAttempts))
		stmt.SetFloat("$timeout", seconds(j.Timeout))
		stmt.SetFloat("$retry_delay", seconds(j.RetryDelay))
		stmt.SetText("$description", j.Description)
		stmt.SetText("$status", string(out[i].Status))
		if out[i].Status == StatusCancelled {
			stmt.SetText("$error", out[i].Error)
			stmt.SetText("$cancelled_by", string(causes[i]))
			stmt.SetText("$completed_at", now)
		} else {
			stmt.SetNull("$error")
			stmt.SetNull("$cancelled_by")
			stmt.SetNull("$completed_at")
		}
		stmt.SetText("$now", now)
		stmt.SetInt64("$seq", seq)
		if j.WorkflowID != "" {
			stmt.SetText("$workflow_id", string(j.WorkflowID))
		} else {
			stmt.SetNull("$workflow_id")
		}
		stmt.SetBool("$waiting", out[i].Waiting > 0)
		if j.RunAt.After(at) {
			stmt.SetText("$run_at", formatTime(j.RunAt))
		} else {
			stmt.SetNull("$run_at")
		}
		queue := j.Queue
		if queue == "" {
			queue = DefaultQueue
		}
		stmt.SetText("$queue", queue)
		if j.UniqueKey != "" {
			stmt.SetText("$unique_key", j.UniqueKey)
		} else {
			stmt.SetNull("$unique_key")
		}
		setBackoff(stmt, j.Backoff)
		_, err := stmt.Step()
		stmt.Reset()
		if err != nil {
			return nil, fmt.Errorf("insert job %s: %w", j.ID, interpretError(err))
		}
		if len(j.Dependencies) > 0 {
			if err := s.insertEdges(j); err != nil {
				return nil, err
			}
			if out[i].Status == StatusPending {
				if err := s.setWaits(j.ID, j.WorkflowID, out[i].Waiting); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// holder is the job that holds a unique key in one of states (default:
// pending and running), with its state; "" when none does. Write
// connection: inside the submit's transaction, so two submits of one key
// cannot both insert.
func (s *Store) holder(key string, states []Status) (JobID, Status, error) {
	if len(states) == 0 {
		states = []Status{StatusPending, StatusRunning}
	}
	in, err := json.Marshal(states)
	if err != nil {
		return "", "", err
	}
	stmt := s.conn.Prep(`SELECT id, status FROM jobs INDEXED BY jobs_unique
		WHERE unique_key = $key AND status IN (SELECT value FROM json_each($states)) ORDER BY id LIMIT 1`)
	defer stmt.Reset()
	stmt.SetText("$key", key)
	stmt.SetText("$states", string(in))
	ok, err := stmt.Step()
	if err != nil {
		return "", "", fmt.Errorf("look up unique key %q: %w", key, interpretError(err))
	}
	if !ok {
		return "", "", nil
	}
	return JobID(stmt.ColumnText(0)), Status(stmt.ColumnText(1)), nil
}

// resolveDependencies decides, before anything is written, what each job
// waits for: the number of parents not completed, or the upstream job
// whose failure cancels it (its cause, for cancelled_by).
func (s *Store) resolveDependencies(jobs []NewJob) ([]Inserted, []JobID, error) {
	out := make([]Inserted, len(jobs))
	causes := make([]JobID, len(jobs))
	var inBatch map[JobID]int
	for i, j := range jobs {
		out[i].Status = StatusPending
		if len(j.Dependencies) == 0 {
			if inBatch != nil {
				inBatch[j.ID] = i
			}
			continue
		}
		if inBatch == nil {
			inBatch = make(map[JobID]int, len(jobs))
			for k := range i {
				inBatch[jobs[k].ID] = k
			}
		}
		seen := make(map[JobID]bool, len(j.Dependencies))
		for _, p := range j.Dependencies {
			if seen[p] || p == j.ID {
				return nil, nil, &DependencyError{JobID: j.ID, Name: j.Name, Parent: p, Repeated: true}
			}
			seen[p] = true
			var st parentState
			if k, ok := inBatch[p]; ok {
				st = parentState{status: out[k].Status, name: jobs[k].Name, cause: causes[k], err: out[k].Error}
			} else {
				var err error
				if st, err = s.readParent(p); errors.Is(err, ErrNotFound) {
					return nil, nil, &DependencyError{JobID: j.ID, Name: j.Name, Parent: p}
				} else if err != nil {
					return nil, nil, err
				}
			}
			switch st.status {
			case StatusCompleted:
			case StatusPending, StatusRunning:
				out[i].Waiting++
			default:
				if out[i].Status == StatusPending {
					out[i].Status = StatusCancelled
					causes[i], out[i].Error = st.upstream(p)
				}
			}
		}
		inBatch[j.ID] = i
	}
	return out, causes, nil
}

// parentState is what a new job needs to know about a parent.
type parentState struct {
	status Status
	name   string
	cause  JobID  // its cancelled_by
	err    string // its error
}

// upstream names the job whose end cancels the parent's dependents, and
// the error they get: the parent itself, or (when the parent was itself
// cancelled by an upstream job) that job.
func (p parentState) upstream(id JobID) (JobID, string) {
	if p.status == StatusCancelled && p.cause != "" {
		return p.cause, p.err
	}
	return id, upstreamError(id, p.name, p.status)
}

// upstreamError is the error of a job cancelled because an upstream job
// ended without completing.
func upstreamError(id JobID, name string, status Status) string {
	return fmt.Sprintf("upstream job %s (%s) %s", id, name, status)
}

func (s *Store) readParent(id JobID) (parentState, error) {
	stmt := s.conn.Prep(`SELECT status, name, coalesce(cancelled_by, ''), coalesce(error, '') FROM jobs WHERE id = $id`)
	defer stmt.Reset()
	stmt.SetText("$id", string(id))
	ok, err := stmt.Step()
	if err != nil {
		return parentState{}, fmt.Errorf("read dependency %s: %w", id, interpretError(err))
	}
	if !ok {
		return parentState{}, ErrNotFound
	}
	return parentState{status: Status(stmt.ColumnText(0)), name: stmt.ColumnText(1),
		cause: JobID(stmt.ColumnText(2)), err: stmt.ColumnText(3)}, nil
}

func (s *Store) insertEdges(j NewJob) error {
	stmt := s.conn.Prep(`INSERT INTO job_dependencies (job_id, parent_id, position) VALUES ($job, $parent, $pos)`)
	for pos, p := range j.Dependencies {
		stmt.SetText("$job", string(j.ID))
		stmt.SetText("$parent", string(p))
		stmt.SetInt64("$pos", int64(pos))
		_, err := stmt.Step()
		stmt.Reset()
		if err != nil {
			return fmt.Errorf("insert dependency %s of job %s: %w", p, j.ID, interpretError(err))
		}
	}
	return nil
}

// setWaits records how many parents of a job have not completed.
func (s *Store) setWaits(id JobID, wf WorkflowID, remaining int) error {
	stmt := s.conn.Prep(`INSERT INTO job_waits (job_id, deps_remaining, workflow_id) VALUES ($id, $n, $wf)
		ON CONFLICT (job_id) DO UPDATE SET deps_remaining = excluded.deps_remaining`)
	stmt.SetText("$id", string(id))
	stmt.SetInt64("$n", int64(remaining))
	if wf != "" {
		stmt.SetText("$wf", string(wf))
	} else {
		stmt.SetNull("$wf")
	}
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("record dependencies of job %s: %w", id, interpretError(err))
	}
	return nil
}

func dependenciesJSON(deps []JobID) string {
	if len(deps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(deps) // a slice of strings always encodes
	return string(b)
}
