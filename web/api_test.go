package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

func TestSubmitAndGetJob(t *testing.T) {
	t.Parallel()
	s := newServer(t, true, web.Options{})
	parent := s.submit(t, map[string]any{"function": "echo", "params": map[string]any{"n": 1}})
	id := s.submit(t, map[string]any{
		"function": "echo", "params": map[string]any{"msg": "hi"}, "name": "greet", "priority": 5,
		"max_attempts": 2, "timeout": 60, "retry_delay": 0.5, "description": "a test", "depends_on": []gigq.JobID{parent},
	})
	j := s.waitDone(t, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.Equal(t, "greet", j.Name)
	require.Equal(t, 5, j.Priority)
	require.Equal(t, 2, j.MaxAttempts)
	require.Equal(t, 60*time.Second, j.Timeout)
	require.Equal(t, 500*time.Millisecond, j.RetryDelay)
	require.Equal(t, "a test", j.Description)
	require.Equal(t, []gigq.JobID{parent}, j.Dependencies)
	require.JSONEq(t, `{"msg":"hi"}`, string(j.Result))
	require.Len(t, j.Executions, 1)

	// The same JSON as the library's (and so the CLI's --json).
	r := s.do(t, http.MethodGet, "/api/jobs/"+string(id), nil)
	st, err := s.node.Status(t.Context(), id)
	require.NoError(t, err)
	want, err := json.Marshal(st)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(r.body))
}

func TestSubmitDefaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	r := s.do(t, http.MethodPost, "/api/jobs", map[string]any{"function": "echo"})
	var out map[string]gigq.JobID
	r.decode(t, http.StatusCreated, &out)
	require.Equal(t, "/api/jobs/"+string(out["id"]), r.header.Get("Location"))
	var j gigq.Job
	s.do(t, http.MethodGet, "/api/jobs/"+string(out["id"]), nil).decode(t, http.StatusOK, &j)
	require.Equal(t, gigq.StatusPending, j.Status)
	require.Equal(t, gigq.DefaultMaxAttempts, j.MaxAttempts)
	require.Equal(t, gigq.DefaultTimeout, j.Timeout)
	require.JSONEq(t, `{}`, string(j.Params))
}

func TestSubmitBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	for _, tc := range []struct {
		name, body, field string
	}{
		{"no function", `{"params":{}}`, "function"},
		{"params not an object", `{"function":"echo","params":[1]}`, "params"},
		{"max_attempts zero", `{"function":"echo","max_attempts":0}`, "max_attempts"},
		{"negative timeout", `{"function":"echo","timeout":-1}`, "timeout"},
		{"negative retry_delay", `{"function":"echo","retry_delay":-2}`, "retry_delay"},
		{"wrong type", `{"function":"echo","priority":"high"}`, "priority"},
		{"unknown field", `{"function":"echo","prio":1}`, "prio"},
		{"unknown dependency", `{"function":"echo","depends_on":["0190a6f0-0000-7000-8000-000000000000"]}`, "depends_on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := s.do(t, http.MethodPost, "/api/jobs", tc.body).requireError(t, http.StatusBadRequest, tc.field)
			require.Equal(t, tc.field, body["field"])
		})
	}
	s.do(t, http.MethodPost, "/api/jobs", `{"function":"Bad Name"}`).requireError(t, http.StatusBadRequest, "task name")
	s.do(t, http.MethodPost, "/api/jobs", `{"function":`).requireError(t, http.StatusBadRequest, "not valid JSON")
	s.do(t, http.MethodPost, "/api/jobs", ``).requireError(t, http.StatusBadRequest, "empty")
	s.do(t, http.MethodPost, "/api/jobs", `{"function":"echo"}}`).requireError(t, http.StatusBadRequest, "characters after it")
	s.do(t, http.MethodPost, "/api/jobs", `{"function":"echo"} {"function":"echo"}`).requireError(t, http.StatusBadRequest, "more than one JSON value")
	var created map[string]any
	s.do(t, http.MethodPost, "/api/jobs", `{"function":"echo"}`+"\n").decode(t, http.StatusCreated, &created)
	s.doType(t, http.MethodPost, "/api/jobs", "application/x-www-form-urlencoded", `function=echo`).
		requireError(t, http.StatusUnsupportedMediaType, "application/json")
	var st gigq.Stats
	s.do(t, http.MethodGet, "/api/stats", nil).decode(t, http.StatusOK, &st)
	require.Equal(t, 1, st.Total, "bad input writes nothing (one good submit)")
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{MaxBody: 1024})
	big := `{"function":"echo","params":{"s":"` + strings.Repeat("x", 2048) + `"}}`
	s.do(t, http.MethodPost, "/api/jobs", big).requireError(t, http.StatusRequestEntityTooLarge, "over the limit of 1024 bytes")
	s.doType(t, http.MethodPost, "/api/workflows", "application/yaml", "name: w\n#"+strings.Repeat("x", 2048)).
		requireError(t, http.StatusRequestEntityTooLarge, "1024")
}

func TestListJobsPaging(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	var ids []gigq.JobID
	for range 5 {
		ids = append(ids, s.submit(t, map[string]any{"function": "echo"}))
	}
	s.do(t, http.MethodPost, "/api/jobs/"+string(ids[0])+"/cancel", nil).decode(t, http.StatusOK, new(gigq.Job))

	type page struct {
		Jobs       []*gigq.Job `json:"jobs"`
		NextCursor *gigq.JobID `json:"next_cursor"`
	}
	var got []gigq.JobID
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3)
		var p page
		s.do(t, http.MethodGet, "/api/jobs?limit=2"+cursor, nil).decode(t, http.StatusOK, &p)
		for _, j := range p.Jobs {
			require.Nil(t, j.Executions, "the list leaves executions out")
			got = append(got, j.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + string(*p.NextCursor)
	}
	require.Equal(t, []gigq.JobID{ids[4], ids[3], ids[2], ids[1], ids[0]}, got, "newest first, every job once")

	var p page
	s.do(t, http.MethodGet, "/api/jobs?status=cancelled", nil).decode(t, http.StatusOK, &p)
	require.Len(t, p.Jobs, 1)
	require.Equal(t, ids[0], p.Jobs[0].ID)
	require.Nil(t, p.NextCursor)
	s.do(t, http.MethodGet, "/api/jobs?status=done", nil).requireError(t, http.StatusBadRequest, "status")
	s.do(t, http.MethodGet, "/api/jobs?limit=0", nil).requireError(t, http.StatusBadRequest, "limit")
	s.do(t, http.MethodGet, "/api/jobs?cursor=nope", nil).requireError(t, http.StatusBadRequest, "cursor")
	var empty map[string]json.RawMessage
	s.do(t, http.MethodGet, "/api/jobs?status=failed", nil).decode(t, http.StatusOK, &empty)
	require.JSONEq(t, `[]`, string(empty["jobs"]))
	require.JSONEq(t, `null`, string(empty["next_cursor"]))
}

func TestCancelRequeueConflicts(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	id := s.submit(t, map[string]any{"function": "echo"})
	path := "/api/jobs/" + string(id)
	s.do(t, http.MethodPost, path+"/requeue", nil).requireError(t, http.StatusConflict, string(id))
	var j gigq.Job
	s.do(t, http.MethodPost, path+"/cancel", nil).decode(t, http.StatusOK, &j)
	require.Equal(t, gigq.StatusCancelled, j.Status)
	s.do(t, http.MethodPost, path+"/cancel", nil).requireError(t, http.StatusConflict, "cancelled")
	s.do(t, http.MethodPost, path+"/requeue", nil).decode(t, http.StatusOK, &j)
	require.Equal(t, gigq.StatusPending, j.Status)
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	const id = "0190a6f0-0000-7000-8000-000000000000"
	s.do(t, http.MethodGet, "/api/jobs/"+id, nil).requireError(t, http.StatusNotFound, "job "+id+" not found")
	s.do(t, http.MethodPost, "/api/jobs/"+id+"/cancel", nil).requireError(t, http.StatusNotFound, id)
	s.do(t, http.MethodPost, "/api/jobs/"+id+"/requeue", nil).requireError(t, http.StatusNotFound, id)
	s.do(t, http.MethodGet, "/api/workflows/"+id, nil).requireError(t, http.StatusNotFound, "workflow "+id+" not found")
	s.do(t, http.MethodGet, "/api/nothing", nil).requireError(t, http.StatusNotFound, "/api/nothing")
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/api/jobs", "GET, HEAD, POST"},
		{http.MethodGet, "/api/jobs/x/cancel", "POST"},
		{http.MethodPut, "/api/jobs/x", "GET, HEAD"},
		{http.MethodGet, "/api/clear", "POST"},
		{http.MethodPost, "/api/stats", "GET, HEAD"},
		{http.MethodGet, "/api/workflows", "POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
	} {
		r := s.do(t, tc.method, tc.path, nil)
		r.requireError(t, http.StatusMethodNotAllowed, tc.method)
		require.Equal(t, tc.allow, r.header.Get("Allow"), tc.path)
	}
}

func TestClearAndStats(t *testing.T) {
	t.Parallel()
	s := newServer(t, true, web.Options{})
	a := s.submit(t, map[string]any{"function": "echo"})
	b := s.submit(t, map[string]any{"function": "echo"})
	s.waitDone(t, a)
	s.waitDone(t, b)
	s.submit(t, map[string]any{"function": "unknown-task"}) // no worker runs it: stays pending

	var st gigq.Stats
	s.do(t, http.MethodGet, "/api/stats", nil).decode(t, http.StatusOK, &st)
	want, err := s.node.Stats(t.Context())
	require.NoError(t, err)
	require.Equal(t, want, st)
	require.Equal(t, gigq.Stats{Pending: 1, Completed: 2, Total: 3}, st)

	var out map[string]int
	s.do(t, http.MethodPost, "/api/clear?before=2000-01-01T00:00:00Z", nil).decode(t, http.StatusOK, &out)
	require.Equal(t, map[string]int{"cleared": 0}, out)
	s.do(t, http.MethodPost, "/api/clear?before=yesterday", nil).requireError(t, http.StatusBadRequest, "before")
	s.do(t, http.MethodPost, "/api/clear?before=now", nil).decode(t, http.StatusOK, &out)
	require.Equal(t, map[string]int{"cleared": 2}, out)
	s.do(t, http.MethodGet, "/api/stats", nil).decode(t, http.StatusOK, &st)
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	var out map[string]string
	s.do(t, http.MethodGet, "/healthz", nil).decode(t, http.StatusOK, &out)
	require.Equal(t, "ok", out["status"])
}

func TestSubmitQueueDelayUnique(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	body := map[string]any{"function": "echo", "queue": "reports", "delay": 3600, "unique_key": "daily"}
	r := s.do(t, http.MethodPost, "/api/jobs", body)
	var first map[string]gigq.JobID
	r.decode(t, http.StatusCreated, &first)
	var again gigq.SubmitResult
	s.do(t, http.MethodPost, "/api/jobs", body).decode(t, http.StatusOK, &again)
	require.Equal(t, gigq.SubmitResult{ID: first["id"], Duplicate: true, Status: gigq.StatusPending}, again)

	var j gigq.Job
	s.do(t, http.MethodGet, "/api/jobs/"+string(first["id"]), nil).decode(t, http.StatusOK, &j)
	require.Equal(t, "reports", j.Queue)
	require.Equal(t, "daily", j.UniqueKey)
	require.True(t, j.RunAt.After(time.Now().Add(59*time.Minute)))

	var page struct {
		Jobs []gigq.Job `json:"jobs"`
	}
	s.do(t, http.MethodGet, "/api/jobs?queue=reports", nil).decode(t, http.StatusOK, &page)
	require.Len(t, page.Jobs, 1)
	s.do(t, http.MethodGet, "/api/jobs?queue=other", nil).decode(t, http.StatusOK, &page)
	require.Empty(t, page.Jobs)
	var st gigq.Stats
	s.do(t, http.MethodGet, "/api/stats?queue=reports", nil).decode(t, http.StatusOK, &st)
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
}
