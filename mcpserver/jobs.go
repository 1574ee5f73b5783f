package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gigq-go/gigq"
)

// Limits of gigq_list_jobs.
const (
	defaultListLimit = 20
	maxListLimit     = 1000
)

// register adds every tool to s.
func (t *tools) register(s *mcp.Server) {
	addTool(s, "gigq_submit_job", adds, "Submit a job: the task named function runs with params once a worker picks it up. "+
		"Returns the job's id. Every setting but function is optional.", t.submitJob)
	addTool(s, "gigq_get_job_status", reads, "Get a job: its definition, status, attempts, result or error, and every "+
		"attempt (executions), as `gigq status --json` prints it.", t.jobStatus)
	addTool(s, "gigq_get_job_result", reads, "Get a job's result. A job that has not completed has none: the answer then "+
		"gives its status, its error if it ended without a result, and what to do.", t.jobResult)
	addTool(s, "gigq_list_jobs", reads, fmt.Sprintf("List jobs newest first (without their attempts), optionally only those "+
		"of one status. At most %d (default %d). Params, results and errors longer than %d bytes are cut to their "+
		"first bytes (as a string) and flagged params_truncated, result_truncated or error_truncated: "+
		"gigq_get_job_status and gigq_get_job_result give them whole.", maxListLimit, defaultListLimit, gigq.DefaultListValueLimit), t.listJobs)
	addTool(s, "gigq_queue_stats", reads, "Count the jobs in each status.", t.queueStats)
	addTool(s, "gigq_cancel_job", destructive, "Cancel a pending or running job (and the jobs that depend on it). A running "+
		"job's handler is told to stop.", t.cancelJob)
	addTool(s, "gigq_requeue_job", revives, "Requeue a failed, timed-out or cancelled job: it becomes pending again with its "+
		"attempts reset and its error cleared.", t.requeueJob)
	addTool(s, "gigq_submit_workflow", adds, "Submit a workflow: a named group of jobs with dependencies between them, "+
		"described as a workflow file (YAML or JSON), all written at once or none. Returns the workflow's id and "+
		"each job's id by key.", t.submitWorkflow)
}

type submitJobInput struct {
	Function          string          `json:"function" jsonschema:"the task to run: the name a worker registered, e.g. echo"`
	Params            json.RawMessage `json:"params,omitempty" jsonschema:"the task's parameters: a JSON object (default {})"`
	Name              string          `json:"name,omitempty" jsonschema:"a human-readable name (default: the function)"`
	Priority          int             `json:"priority,omitempty" jsonschema:"higher runs first among ready jobs (default 0)"`
	MaxAttempts       int             `json:"max_attempts,omitempty" jsonschema:"how many times the job may run before it fails for good (default 3)"`
	TimeoutSeconds    float64         `json:"timeout_seconds,omitempty" jsonschema:"the limit of one attempt in seconds (default 300)"`
	RetryDelaySeconds float64         `json:"retry_delay_seconds,omitempty" jsonschema:"how long a failed attempt waits before its retry, in seconds (default 0)"`
	Description       string          `json:"description,omitempty" jsonschema:"free text"`
	DependsOn         []string        `json:"depends_on,omitempty" jsonschema:"ids of jobs that must complete before this one runs; if one of them fails, this job is cancelled"`
}

type submitJobOutput struct {
	JobID gigq.JobID `json:"job_id" jsonschema:"the new job's id"`
	Note  string     `json:"note"`
}

func (t *tools) submitJob(ctx context.Context, _ *mcp.CallToolRequest, in submitJobInput) (*mcp.CallToolResult, submitJobOutput, error) {
	fn := strings.TrimSpace(in.Function)
	if fn == "" {
		return nil, submitJobOutput{}, errors.New("function is empty: give the name of the task to run, e.g. echo")
	}
	timeout, err := seconds("timeout_seconds", in.TimeoutSeconds)
	if err != nil {
		return nil, submitJobOutput{}, err
	}
	delay, err := seconds("retry_delay_seconds", in.RetryDelaySeconds)
	if err != nil {
		return nil, submitJobOutput{}, err
	}
	opts := &gigq.SubmitOpts{Name: in.Name, Priority: in.Priority, MaxAttempts: in.MaxAttempts, Timeout: timeout,
		RetryDelay: delay, Description: in.Description}
	for _, d := range in.DependsOn {
		opts.DependsOn = append(opts.DependsOn, gigq.JobID(strings.TrimSpace(d)))
	}
	var params any
	if len(in.Params) > 0 && string(in.Params) != "null" {
		params = in.Params
	}
	id, err := t.node.Submit(ctx, fn, params, opts)
	if err != nil {
		return nil, submitJobOutput{}, fmt.Errorf("%w (nothing was submitted)", t.err(err))
	}
	return nil, submitJobOutput{JobID: id, Note: t.note(fmt.Sprintf("Job %s is pending.", id))}, nil
}

// seconds converts a number of seconds to a duration.
func seconds(field string, s float64) (time.Duration, error) {
	if s < 0 || s > 1e9 || math.IsNaN(s) {
		return 0, fmt.Errorf("%s must be a positive number of seconds, got %g", field, s)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// jobView is a job in the shape of `gigq status --json` (gigq.Job's JSON
// form), with schema descriptions.
type jobView struct {
	ID           gigq.JobID        `json:"id" jsonschema:"the job's id"`
	Name         string            `json:"name"`
	Function     string            `json:"function" jsonschema:"the task it runs"`
	Params       json.RawMessage   `json:"params" jsonschema:"the task's parameters (a JSON object); when params_truncated, a string of their first bytes"`
	ParamsCut    bool              `json:"params_truncated,omitempty" jsonschema:"true when a list cut params to their first bytes: gigq_get_job_status gives them whole"`
	Priority     int               `json:"priority"`
	Dependencies []gigq.JobID      `json:"dependencies" jsonschema:"ids of the jobs that must complete before it runs"`
	WorkflowID   *gigq.WorkflowID  `json:"workflow_id" jsonschema:"its workflow, null outside any workflow"`
	Queue        string            `json:"queue" jsonschema:"its named queue"`
	MaxAttempts  int               `json:"max_attempts"`
	Timeout      float64           `json:"timeout" jsonschema:"the limit of one attempt, in seconds"`
	RetryDelay   float64           `json:"retry_delay" jsonschema:"the wait before a retry, in seconds"`
	Description  string            `json:"description"`
	Status       gigq.Status       `json:"status" jsonschema:"pending, running, completed, failed, cancelled or timeout"`
	Attempts     int               `json:"attempts" jsonschema:"how many times it has started"`
	Result       json.RawMessage   `json:"result" jsonschema:"its result (any JSON value) once completed, else null; when result_truncated, a string of its first bytes"`
	ResultCut    bool              `json:"result_truncated,omitempty" jsonschema:"true when a list cut the result to its first bytes: gigq_get_job_result gives it whole"`
	Error        *string           `json:"error" jsonschema:"the last attempt's error, or null"`
	ErrorCut     bool              `json:"error_truncated,omitempty" jsonschema:"true when a list cut the error to its first bytes: gigq_get_job_status gives it whole"`
	WorkerID     *string           `json:"worker_id" jsonschema:"the worker that ran it last, or null"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	StartedAt    *time.Time        `json:"started_at" jsonschema:"when it was first claimed, or null"`
	CompletedAt  *time.Time        `json:"completed_at" jsonschema:"when it ended, or null"`
	RunAt        *time.Time        `json:"run_at" jsonschema:"for a delayed job, the time before which it does not start, else null"`
	UniqueKey    *string           `json:"unique_key" jsonschema:"its unique key, or null"`
	Progress     *gigq.JobProgress `json:"progress" jsonschema:"the last progress its handler reported (fraction 0 to 1, message), or null"`
	Executions   []gigq.Execution  `json:"executions,omitempty" jsonschema:"its attempts, oldest first"`
}

// viewOf reads a job through its own JSON form, so that the fields are
// those of `gigq status --json`.
func viewOf(j *gigq.Job) (jobView, error) {
	var v jobView
	b, err := json.Marshal(j)
	if err != nil {
		return v, fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("decode job %s: %w", j.ID, err)
	}
	return v, nil
}

type jobIDInput struct {
	JobID string `json:"job_id" jsonschema:"the job's id, as a submit returned it"`
}

type jobStatusOutput struct {
	jobView
	Note string `json:"note"`
}

func (t *tools) jobStatus(ctx context.Context, _ *mcp.CallToolRequest, in jobIDInput) (*mcp.CallToolResult, jobStatusOutput, error) {
	j, err := t.job(ctx, in.JobID)
	if err != nil {
		return nil, jobStatusOutput{}, err
	}
	v, err := viewOf(j)
	if err != nil {
		return nil, jobStatusOutput{}, err
	}
	return nil, jobStatusOutput{jobView: v, Note: t.note("")}, nil
}

// job reads the job with the given id argument.
func (t *tools) job(ctx context.Context, arg string) (*gigq.Job, error) {
	id, err := requireID(arg)
	if err != nil {
		return nil, err
	}
	j, err := t.node.Status(ctx, id)
	if err != nil {
		return nil, t.jobErr(id, err)
	}
	return j, nil
}

type jobResultOutput struct {
	JobID  gigq.JobID      `json:"job_id"`
	Status gigq.Status     `json:"status" jsonschema:"pending, running, completed, failed, cancelled or timeout"`
	Result json.RawMessage `json:"result" jsonschema:"the result (any JSON value) when the job completed, else null"`
	Error  string          `json:"error" jsonschema:"why the job ended without a result (failed, timeout, cancelled), else empty"`
	Note   string          `json:"note" jsonschema:"what the status means for the result, and what to do"`
}

func (t *tools) jobResult(ctx context.Context, _ *mcp.CallToolRequest, in jobIDInput) (*mcp.CallToolResult, jobResultOutput, error) {
	j, err := t.job(ctx, in.JobID)
	if err != nil {
		return nil, jobResultOutput{}, err
	}
	out := jobResultOutput{JobID: j.ID, Status: j.Status, Result: j.Result, Error: j.Error}
	var msg string
	switch j.Status {
	case gigq.StatusCompleted:
		msg = fmt.Sprintf("Job %s completed.", j.ID)
	case gigq.StatusPending, gigq.StatusRunning:
		out.Result = nil
		msg = fmt.Sprintf("Job %s is %s: it has not finished, so it has no result yet; ask again later "+
			"(gigq_get_job_status shows its attempts).", j.ID, j.Status)
	default:
		out.Result = nil
		msg = fmt.Sprintf("Job %s ended %s without a result (see error); gigq_requeue_job runs it again.", j.ID, j.Status)
	}
	out.Note = t.note(msg)
	return nil, out, nil
}

type listJobsInput struct {
	Status string `json:"status,omitempty" jsonschema:"only jobs of this status: pending, running, completed, failed, cancelled or timeout (default: every status)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"how many jobs at most, newest first: 1 to 1000 (default 20)"`
}

type listJobsOutput struct {
	Jobs  []jobView `json:"jobs" jsonschema:"the jobs, newest first, without their attempts; params, result and error cut to 1024 bytes (flagged *_truncated)"`
	Count int       `json:"count" jsonschema:"how many jobs are listed"`
	Note  string    `json:"note"`
}

func (t *tools) listJobs(ctx context.Context, _ *mcp.CallToolRequest, in listJobsInput) (*mcp.CallToolResult, listJobsOutput, error) {
	status := gigq.Status(strings.ToLower(strings.TrimSpace(in.Status)))
	if status != "" && !slices.Contains(gigq.Statuses(), status) {
		return nil, listJobsOutput{}, fmt.Errorf("unknown status %q: use one of %s, or leave it out for every status",
			in.Status, joinStatuses())
	}
	limit := in.Limit
	switch {
	case limit == 0:
		limit = defaultListLimit
	case limit < 0 || limit > maxListLimit:
		return nil, listJobsOutput{}, fmt.Errorf("limit %d is out of range: give 1 to %d, or leave it out for %d",
			limit, maxListLimit, defaultListLimit)
	}
	jobs, err := t.node.List(ctx, &gigq.ListParams{Status: status, Limit: limit})
	if err != nil {
		return nil, listJobsOutput{}, t.err(err)
	}
	out := listJobsOutput{Jobs: make([]jobView, len(jobs)), Count: len(jobs)}
	for i, j := range jobs {
		if out.Jobs[i], err = viewOf(j); err != nil {
			return nil, listJobsOutput{}, err
		}
	}
	out.Note = t.note("")
	return nil, out, nil
}

func joinStatuses() string {
	var b strings.Builder
	for i, s := range gigq.Statuses() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(s))
	}
	return b.String()
}

type queueStatsOutput struct {
	gigq.Stats
	Note string `json:"note"`
}

func (t *tools) queueStats(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, queueStatsOutput, error) {
	st, err := t.node.Stats(ctx)
	if err != nil {
		return nil, queueStatsOutput{}, t.err(err)
	}
	return nil, queueStatsOutput{Stats: st, Note: t.note("")}, nil
}

type changeJobOutput struct {
	JobID  gigq.JobID  `json:"job_id"`
	Status gigq.Status `json:"status" jsonschema:"the job's status after the change"`
	Note   string      `json:"note"`
}

func (t *tools) cancelJob(ctx context.Context, _ *mcp.CallToolRequest, in jobIDInput) (*mcp.CallToolResult, changeJobOutput, error) {
	return t.change(ctx, in.JobID, t.node.Cancel, gigq.StatusCancelled,
		"Job %s is cancelled; the jobs that depend on it are cancelled too. gigq_requeue_job revives it.")
}

func (t *tools) requeueJob(ctx context.Context, _ *mcp.CallToolRequest, in jobIDInput) (*mcp.CallToolResult, changeJobOutput, error) {
	return t.change(ctx, in.JobID, t.node.Requeue, gigq.StatusPending,
		"Job %s is pending again, with its attempts reset.")
}

// change applies a cancel or a requeue, which leaves the job in status.
func (t *tools) change(ctx context.Context, arg string, apply func(context.Context, gigq.JobID) error,
	status gigq.Status, msg string) (*mcp.CallToolResult, changeJobOutput, error) {
	id, err := requireID(arg)
	if err != nil {
		return nil, changeJobOutput{}, err
	}
	if err := apply(ctx, id); err != nil {
		return nil, changeJobOutput{}, t.jobErr(id, err)
	}
	return nil, changeJobOutput{JobID: id, Status: status, Note: t.note(fmt.Sprintf(msg, id))}, nil
}
