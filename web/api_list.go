package web

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/gigq-go/gigq"
)

// Limits of GET /api/jobs.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// listJobs: GET /api/jobs?status=&limit=&cursor=&queue= → {"jobs": [...],
// "next_cursor": ...}, newest first. cursor is the next_cursor of the page
// before. Each job's params, result and error are cut to
// gigq.DefaultListValueLimit bytes and flagged (params_truncated, ...);
// GET /api/jobs/{id} gives them whole.
//
// The page is read first (a bounded slice, and no read transaction held
// while a slow client reads), then written job by job, so the answer is
// never built whole in memory.
func (s *server) listJobs(w http.ResponseWriter, r *http.Request) {
	p, err := listParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := p.Limit
	p.Limit++ // one more tells whether a next page exists
	jobs, err := s.node.List(r.Context(), &p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var next *gigq.JobID
	if len(jobs) > limit {
		jobs = jobs[:limit]
		next = &jobs[limit-1].ID
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := writeJobList(w, jobs, next); err != nil {
		s.log.Debug().Err(err).Msg("writing the job list failed")
	}
}

// writeJobList writes {"jobs": [...], "next_cursor": next} one job at a
// time, each job on its own line.
func writeJobList(w io.Writer, jobs []*gigq.Job, next *gigq.JobID) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if _, err := io.WriteString(w, `{"jobs":[`); err != nil {
		return err
	}
	for i, j := range jobs {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	cursor, err := json.Marshal(next)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, `],"next_cursor":`+string(cursor)+"}\n")
	return err
}

// listParams reads the query of GET /api/jobs.
func listParams(r *http.Request) (gigq.ListParams, error) {
	q := r.URL.Query()
	p := gigq.ListParams{Limit: defaultListLimit}
	if v := q.Get("status"); v != "" {
		p.Status = gigq.Status(v)
		if !slices.Contains(gigq.Statuses(), p.Status) {
			return p, badField("status", "unknown status %q: use one of %v", v, gigq.Statuses())
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return p, badField("limit", "must be a whole number from 1 to %d (got %q)", maxListLimit, v)
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		if _, err := uuid.Parse(v); err != nil {
			return p, badField("cursor", "must be the next_cursor of a previous page (got %q)", v)
		}
		p.Before = gigq.JobID(v)
	}
	p.Queue = q.Get("queue")
	return p, nil
}
