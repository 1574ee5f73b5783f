package gigq

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gigq-go/gigq/internal/taskrun"
	"github.com/gigq-go/gigq/persistence"
)

// ParentResult is the result of one job a running job depends on, as
// ParentResults gives it.
type ParentResult struct {
	JobID  JobID           // the parent job
	Name   string          // its name (a workflow step's key, unless SubmitOpts.Name set another)
	Result json.RawMessage // its result, as JSON
}

// ParentResults returns the results of the jobs the running job depends
// on, in dependency order (GigQ's parent_results), as raw JSON. It is nil
// for a job without dependencies, or outside a handler.
func ParentResults(ctx context.Context) []ParentResult {
	job, ok := taskrun.Job(ctx)
	if !ok {
		return nil
	}
	return parentResults(job)
}

// ParentResultOf decodes the result of the parent with the given job id.
// A job that is not a parent of the running job gives an error.
func ParentResultOf[T any](ctx context.Context, parent JobID) (T, error) {
	var v T
	for _, p := range ParentResults(ctx) {
		if p.JobID == parent {
			if err := json.Unmarshal(p.Result, &v); err != nil {
				return v, fmt.Errorf("decode result of parent job %s as %T: %w", parent, v, err)
			}
			return v, nil
		}
	}
	return v, fmt.Errorf("job %s is not a parent of the running job", parent)
}

// ParentResultsAs decodes every parent's result as T, in dependency order:
// for a step whose parents all return the same type.
func ParentResultsAs[T any](ctx context.Context) ([]T, error) {
	ps := ParentResults(ctx)
	out := make([]T, len(ps))
	for i, p := range ps {
		if err := json.Unmarshal(p.Result, &out[i]); err != nil {
			return nil, fmt.Errorf("decode result of parent job %s (%s) as %T: %w", p.JobID, p.Name, out[i], err)
		}
	}
	return out, nil
}

// parentResults are the results of job's parents, in dependency order.
func parentResults(job *persistence.Job) []ParentResult {
	var out []ParentResult
	for _, p := range job.ParentResults {
		out = append(out, ParentResult{JobID: p.JobID, Name: p.Name, Result: p.Result})
	}
	return out
}
