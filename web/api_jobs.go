package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gigq-go/gigq"
)

// submitRequest is the body of POST /api/jobs: the task, its params and
// the job's options, named as in a workflow file (timeout and retry_delay
// in seconds). An absent option means gigq's default.
type submitRequest struct {
	Function    string          `json:"function"`
	Params      json.RawMessage `json:"params"`
	Name        string          `json:"name"`
	Priority    int             `json:"priority"`
	MaxAttempts *int            `json:"max_attempts"`
	Timeout     *float64        `json:"timeout"`
	RetryDelay  *float64        `json:"retry_delay"`
	Description string          `json:"description"`
	DependsOn   []gigq.JobID    `json:"depends_on"`
	Queue       string          `json:"queue"`
	RunAt       *time.Time      `json:"run_at"` // RFC 3339
	Delay       *float64        `json:"delay"`  // seconds
	UniqueKey   string          `json:"unique_key"`
}

// submitJob: POST /api/jobs → 201 {"id": "..."}; for a unique_key held
// by another job, 200 {"id": "<that job>", "duplicate": true, "status": ...}.
func (s *server) submitJob(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r, "application/json")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	function, params, opts, err := decodeJob(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.node.SubmitJob(r.Context(), function, params, opts)
	if err != nil {
		s.fail(w, r, submitError(err))
		return
	}
	w.Header().Set("Location", "/api/jobs/"+string(res.ID))
	if res.Duplicate {
		s.reply(w, http.StatusOK, res)
		return
	}
	s.reply(w, http.StatusCreated, map[string]gigq.JobID{"id": res.ID})
}

// decodeJob turns the body of POST /api/jobs into what to submit: the
// task's name, its params and the options. Bad input is an *apiError
// with a 4xx status.
func decodeJob(body []byte) (string, any, *gigq.SubmitOpts, error) {
	var req submitRequest
	if err := unmarshalBody(body, &req); err != nil {
		return "", nil, nil, err
	}
	params, opts, err := req.validate()
	if err != nil {
		return "", nil, nil, err
	}
	return req.Function, params, opts, nil
}

// validate checks the request's fields and returns the params and options
// to submit.
func (req *submitRequest) validate() (any, *gigq.SubmitOpts, error) {
	if req.Function == "" {
		return nil, nil, errorf(http.StatusBadRequest, "function", `"function" is required: name the task to run, e.g. "echo"`)
	}
	var params any // nil: {}
	if p := bytes.TrimSpace(req.Params); len(p) > 0 && string(p) != "null" {
		if p[0] != '{' {
			return nil, nil, badField("params", "must be a JSON object, got %.40s", p)
		}
		params = json.RawMessage(p)
	}
	opts := &gigq.SubmitOpts{Name: req.Name, Priority: req.Priority, Description: req.Description, DependsOn: req.DependsOn,
		Queue: req.Queue, UniqueKey: req.UniqueKey}
	if req.RunAt != nil {
		opts.RunAt = *req.RunAt
	}
	if req.MaxAttempts != nil {
		if *req.MaxAttempts < 1 {
			return nil, nil, badField("max_attempts", "must be at least 1 (got %d)", *req.MaxAttempts)
		}
		opts.MaxAttempts = *req.MaxAttempts
	}
	var err error
	if opts.Timeout, err = seconds("timeout", req.Timeout, false); err != nil {
		return nil, nil, err
	}
	if opts.RetryDelay, err = seconds("retry_delay", req.RetryDelay, true); err != nil {
		return nil, nil, err
	}
	if opts.Delay, err = seconds("delay", req.Delay, true); err != nil {
		return nil, nil, err
	}
	for i, id := range req.DependsOn {
		if id == "" {
			return nil, nil, badField("depends_on", "entry %d is empty: give job ids", i)
		}
	}
	return params, opts, nil
}

// seconds converts an optional number of seconds; nil gives 0 (the
// default).
func seconds(field string, v *float64, allowZero bool) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	sec := *v
	if math.IsNaN(sec) || sec < 0 || (sec == 0 && !allowZero) || sec > 1e9 {
		want := "a positive number of seconds"
		if allowZero {
			want = "zero or a positive number of seconds"
		}
		return 0, badField(field, "must be %s (got %v)", want, sec)
	}
	return time.Duration(sec * float64(time.Second)), nil
}

// submitError classifies an error of Node.Submit: refused input is 400,
// an unknown dependency naming depends_on.
func submitError(err error) error {
	if errors.Is(err, gigq.ErrUnknownDependency) {
		return badField("depends_on", "%s", strings.TrimPrefix(err.Error(), "gigq: "))
	}
	if errors.Is(err, gigq.ErrInvalidJob) {
		return errorf(http.StatusBadRequest, "", "%s", err.Error())
	}
	return err
}

// getJob: GET /api/jobs/{id} → the job with its executions.
func (s *server) getJob(w http.ResponseWriter, r *http.Request) {
	s.replyJob(w, r, http.StatusOK)
}

// cancelJob: POST /api/jobs/{id}/cancel → the job, now cancelled; 409
// unless it was pending or running.
func (s *server) cancelJob(w http.ResponseWriter, r *http.Request) {
	s.changeJob(w, r, s.node.Cancel)
}

// requeueJob: POST /api/jobs/{id}/requeue → the job, pending again; 409
// unless it was failed, timeout or cancelled.
func (s *server) requeueJob(w http.ResponseWriter, r *http.Request) {
	s.changeJob(w, r, s.node.Requeue)
}

func (s *server) changeJob(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, id gigq.JobID) error) {
	if err := change(r.Context(), gigq.JobID(pathID(r))); err != nil {
		s.fail(w, r, jobError(pathID(r), err))
		return
	}
	s.replyJob(w, r, http.StatusOK)
}

// replyJob answers the job of the path, with its executions.
func (s *server) replyJob(w http.ResponseWriter, r *http.Request, status int) {
	job, err := s.node.Status(r.Context(), gigq.JobID(pathID(r)))
	if err != nil {
		s.fail(w, r, jobError(pathID(r), err))
		return
	}
	s.reply(w, status, job)
}

// jobError says which job does not exist.
func jobError(id string, err error) error {
	if errors.Is(err, gigq.ErrNotFound) {
		return notFound("job", id)
	}
	return err
}

// clear: POST /api/clear?before=RFC3339 → {"cleared": n}: deletes the
// completed and cancelled jobs that finished before the time;
// before=now deletes every one. before is required, so that a bare POST
// (a mistake, or a request forged elsewhere) deletes nothing.
func (s *server) clear(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query().Get("before")
	var before time.Time // zero: every one (before=now)
	switch v {
	case "":
		s.fail(w, r, errorf(http.StatusBadRequest, "before", `"before" is required: send ?before=<RFC 3339 time> `+
			`(e.g. 2026-01-02T15:04:05Z) to delete the completed and cancelled jobs that finished before it, or ?before=now for all of them`))
		return
	case "now":
	default:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, r, badField("before", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, or now (got %q)", v))
			return
		}
		before = t
	}
	n, err := s.node.ClearCompleted(r.Context(), before)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, http.StatusOK, map[string]int{"cleared": n})
}

// stats: GET /api/stats[?queue=Q] → the counts by state (of one named
// queue), as gigq stats --json.
func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.node.QueueStats(r.Context(), r.URL.Query().Get("queue"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, http.StatusOK, st)
}
