package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

const workflowYAML = `name: pipeline
jobs:
  - key: download
    function: echo
    params: {url: "https://example.com/data.csv"}
  - key: process
    function: echo
    depends_on: [download]
  - key: a_report
    function: echo
    depends_on: [process]
`

func TestSubmitWorkflow(t *testing.T) {
	t.Parallel()
	s := newServer(t, true, web.Options{})
	r := s.doType(t, http.MethodPost, "/api/workflows", "application/yaml", workflowYAML)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var out struct {
		WorkflowID gigq.WorkflowID       `json:"workflow_id"`
		Jobs       map[string]gigq.JobID `json:"jobs"`
	}
	r.decode(t, http.StatusCreated, &out)
	require.Regexp(t, `^\{"workflow_id":"[^"]+","jobs":\{"download":"[^"]+","process":"[^"]+","a_report":"[^"]+"\}\}`,
		string(r.body), "the jobs in the file's order")
	require.Equal(t, "/api/workflows/"+string(out.WorkflowID), r.header.Get("Location"))

	ctx := t.Context()
	_, err := s.node.WaitWorkflow(ctx, out.WorkflowID)
	require.NoError(t, err)
	g := s.do(t, http.MethodGet, "/api/workflows/"+string(out.WorkflowID), nil)
	var info gigq.WorkflowInfo
	g.decode(t, http.StatusOK, &info)
	require.Equal(t, gigq.WorkflowCompleted, info.Status)
	require.Len(t, info.Jobs, 3)
	require.Equal(t, out.Jobs["process"], info.Jobs[1].ID)
	want, err := s.node.Workflow(ctx, out.WorkflowID)
	require.NoError(t, err)
	raw, err := json.Marshal(want)
	require.NoError(t, err)
	require.JSONEq(t, string(raw), string(g.body), "the shape of gigq workflow status --json")

	// JSON works too.
	var one map[string]json.RawMessage
	s.doType(t, http.MethodPost, "/api/workflows", "application/json",
		`{"name":"j","jobs":[{"key":"a","function":"echo"}]}`).decode(t, http.StatusCreated, &one)
	require.Contains(t, string(one["jobs"]), `"a":`)
}

func TestSubmitWorkflowBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	s.doType(t, http.MethodPost, "/api/workflows", "application/yaml", "name: w\njobs:\n  - key: a\n    function: echo\n    depends_on: [b]\n").
		requireError(t, http.StatusBadRequest, "request body:5", `unknown key "b"`)
	s.doType(t, http.MethodPost, "/api/workflows", "application/json", `{"name":`).
		requireError(t, http.StatusBadRequest, "not valid YAML or JSON")
	s.doType(t, http.MethodPost, "/api/workflows", "text/plain", "name: w").
		requireError(t, http.StatusUnsupportedMediaType, "application/yaml")
}
