package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/mcpserver"
)

// reminder is a phrase every successful result carries.
const reminder = "Jobs run only where a node or worker is running on the database"

type testBundle struct {
	node *gigq.Node
	cs   *mcp.ClientSession
}

// setup opens a node on a new database with workers for echo and fail,
// and connects an in-memory MCP client to a server on it.
func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	log := zerolog.New(zerolog.NewTestWriter(t))
	reg := gigq.NewRegistry().MustAdd(
		gigq.NewTask("echo", func(_ context.Context, p map[string]any) (map[string]any, error) { return p, nil }),
		gigq.NewTask("fail", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, errors.New("boom") }),
	)
	node, err := gigq.Open(ctx, gigq.Config{Path: filepath.Join(t.TempDir(), "x.db"), Registry: reg, Workers: 2, Logger: &log})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, node.Close(context.Background())) })

	serverT, clientT := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(node, mcpserver.Options{Version: "test", Logger: &log}).Connect(ctx, serverT, nil)
	require.NoError(t, err)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "test"}, nil).Connect(ctx, clientT, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, cs.Close())
		_ = ss.Wait()
	})
	return &testBundle{node: node, cs: cs}
}

// call calls a tool that must succeed, checks the reminder, and decodes
// its structured content into out.
func (b *testBundle) call(t *testing.T, tool string, args, out any) {
	t.Helper()
	res := b.callRaw(t, tool, args)
	require.False(t, res.IsError, "%s: %s", tool, text(res))
	require.Contains(t, text(res), reminder)
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.Contains(t, string(raw), reminder)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out))
	}
}

// callErr calls a tool that must fail with a tool error, and returns its text.
func (b *testBundle) callErr(t *testing.T, tool string, args any) string {
	t.Helper()
	res := b.callRaw(t, tool, args)
	require.True(t, res.IsError, "%s should fail, got %s", tool, text(res))
	return text(res)
}

func (b *testBundle) callRaw(t *testing.T, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := b.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	require.NoError(t, err, "%s: protocol error", tool)
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

type job struct {
	ID           string            `json:"id"`
	Function     string            `json:"function"`
	Status       string            `json:"status"`
	Params       json.RawMessage   `json:"params"`
	Result       json.RawMessage   `json:"result"`
	Error        *string           `json:"error"`
	Dependencies []string          `json:"dependencies"`
	WorkflowID   *string           `json:"workflow_id"`
	Executions   []json.RawMessage `json:"executions"`
	Note         string            `json:"note"`
}

func (b *testBundle) submit(t *testing.T, args map[string]any) string {
	t.Helper()
	var out struct {
		JobID string `json:"job_id"`
	}
	b.call(t, "gigq_submit_job", args, &out)
	require.NotEmpty(t, out.JobID)
	return out.JobID
}

func (b *testBundle) status(t *testing.T, id string) job {
	t.Helper()
	var j job
	b.call(t, "gigq_get_job_status", map[string]any{"job_id": id}, &j)
	return j
}

// waitStatus polls gigq_get_job_status until the job reaches want.
func (b *testBundle) waitStatus(t *testing.T, id, want string) job {
	t.Helper()
	return b.waitFor(t, id, func(j job) bool { return j.Status == want })
}

// waitFor polls gigq_get_job_status until done says the job is as wanted,
// for 15s at most.
func (b *testBundle) waitFor(t *testing.T, id string, done func(job) bool) job {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		j := b.status(t, id)
		if done(j) {
			return j
		}
		require.True(t, time.Now().Before(deadline), "job %s is still %s after 15s", id, j.Status)
		<-time.After(10 * time.Millisecond)
	}
}

// jobResult is gigq_get_job_result's output.
type jobResult struct {
	JobID  string          `json:"job_id"`
	Status string          `json:"status"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
	Note   string          `json:"note"`
}

func TestListTools(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		require.NotEmpty(t, tool.Description, tool.Name)
		require.NotNil(t, tool.InputSchema, tool.Name)
		require.NotNil(t, tool.OutputSchema, tool.Name)
		require.NotNil(t, tool.Annotations, tool.Name)
		readOnly := strings.HasPrefix(tool.Name, "gigq_get_") || tool.Name == "gigq_list_jobs" || tool.Name == "gigq_queue_stats"
		require.Equal(t, readOnly, tool.Annotations.ReadOnlyHint, tool.Name)
	}
	sort.Strings(names)
	require.Equal(t, []string{"gigq_cancel_job", "gigq_get_job_result", "gigq_get_job_status", "gigq_list_jobs",
		"gigq_queue_stats", "gigq_requeue_job", "gigq_submit_job", "gigq_submit_workflow"}, names)
}

func TestSubmitStatusResult(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submit(t, map[string]any{"function": "echo", "params": map[string]any{"msg": "hi", "n": 7},
		"priority": 3, "max_attempts": 2, "timeout_seconds": 10, "description": "a test"})

	j := b.waitStatus(t, id, "completed")
	require.Equal(t, "echo", j.Function)
	require.JSONEq(t, `{"msg":"hi","n":7}`, string(j.Result))
	require.Len(t, j.Executions, 1)

	var res jobResult
	b.call(t, "gigq_get_job_result", map[string]any{"job_id": id}, &res)
	require.Equal(t, id, res.JobID)
	require.Equal(t, "completed", res.Status)
	require.JSONEq(t, `{"msg":"hi","n":7}`, string(res.Result))
	require.Empty(t, res.Error)
}

// TestStatusShape checks that gigq_get_job_status gives the fields of
// `gigq status --json` (gigq.Job's JSON form), plus the note.
func TestStatusShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submit(t, map[string]any{"function": "echo"})
	b.waitStatus(t, id, "completed")

	j, err := b.node.Status(context.Background(), gigq.JobID(id))
	require.NoError(t, err)
	want, err := json.Marshal(j)
	require.NoError(t, err)
	var wantMap map[string]any
	require.NoError(t, json.Unmarshal(want, &wantMap))

	res := b.callRaw(t, "gigq_get_job_status", map[string]any{"job_id": id})
	got, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var gotMap map[string]any
	require.NoError(t, json.Unmarshal(got, &gotMap))
	require.Contains(t, gotMap["note"], reminder)
	delete(gotMap, "note")
	require.Equal(t, wantMap, gotMap)
}

func TestResultNotFinished(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// No worker has this task: the job stays pending.
	id := b.submit(t, map[string]any{"function": "nobody_runs_this"})
	var res jobResult
	b.call(t, "gigq_get_job_result", map[string]any{"job_id": id}, &res)
	require.Equal(t, "pending", res.Status)
	require.Equal(t, "null", string(res.Result))
	require.Contains(t, res.Note, "has no result yet")
}

func TestWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var out struct {
		WorkflowID string            `json:"workflow_id"`
		Name       string            `json:"name"`
		Jobs       map[string]string `json:"jobs"`
	}
	b.call(t, "gigq_submit_workflow", map[string]any{"workflow": `
name: two_steps
jobs:
  - key: first
    function: echo
    params: {step: 1}
  - key: second
    function: echo
    depends_on: [first]
`}, &out)
	require.NotEmpty(t, out.WorkflowID)
	require.Equal(t, "two_steps", out.Name)
	require.Len(t, out.Jobs, 2)

	second := b.waitStatus(t, out.Jobs["second"], "completed")
	require.Equal(t, []string{out.Jobs["first"]}, second.Dependencies)
	require.NotNil(t, second.WorkflowID)
	require.Equal(t, out.WorkflowID, *second.WorkflowID)
	first := b.status(t, out.Jobs["first"])
	require.Equal(t, "completed", first.Status)
	require.JSONEq(t, `{"step":1}`, string(first.Result))

	// JSON works too; a mistake says where, and nothing is submitted.
	b.call(t, "gigq_submit_workflow", map[string]any{"workflow": `{"name": "j", "jobs": [{"key": "a", "function": "echo"}]}`}, nil)
	msg := b.callErr(t, "gigq_submit_workflow", map[string]any{"workflow": "name: bad\njobs:\n  - key: a\n    function: echo\n    depends_on: [zzz]\n"})
	require.Contains(t, msg, `unknown key "zzz"`)
	require.Contains(t, msg, "nothing was submitted")
	require.Contains(t, b.callErr(t, "gigq_submit_workflow", map[string]any{}), "workflow is empty")
}

func TestWorkflowFromPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(path, []byte("name: from_file\njobs:\n  - key: only\n    function: echo\n"), 0o600))
	var out struct {
		Jobs map[string]string `json:"jobs"`
	}
	b.call(t, "gigq_submit_workflow", map[string]any{"path": path}, &out)
	b.waitStatus(t, out.Jobs["only"], "completed")

	require.Contains(t, b.callErr(t, "gigq_submit_workflow", map[string]any{"path": filepath.Join(dir, "secret.txt")}),
		"give a .yaml, .yml or .json file")
	require.Contains(t, b.callErr(t, "gigq_submit_workflow", map[string]any{"path": filepath.Join(dir, "missing.yaml")}),
		"read the workflow file")
	require.Contains(t, b.callErr(t, "gigq_submit_workflow", map[string]any{"path": path, "workflow": "name: x"}),
		"not both")
}

func TestCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submit(t, map[string]any{"function": "nobody_runs_this"})
	var out struct {
		JobID  string `json:"job_id"`
		Status string `json:"status"`
	}
	b.call(t, "gigq_cancel_job", map[string]any{"job_id": id}, &out)
	require.Equal(t, id, out.JobID)
	require.Equal(t, "cancelled", out.Status)
	require.Equal(t, "cancelled", b.status(t, id).Status)

	// Cancelling it again is a forbidden transition: a tool error.
	msg := b.callErr(t, "gigq_cancel_job", map[string]any{"job_id": id})
	require.Contains(t, msg, "cancelled")
	require.Contains(t, msg, "only a pending or running job can be cancelled")
}

func TestRequeueFailed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.submit(t, map[string]any{"function": "fail", "max_attempts": 1})
	j := b.waitStatus(t, id, "failed")
	require.NotNil(t, j.Error)
	require.Contains(t, *j.Error, "boom")

	var res jobResult
	b.call(t, "gigq_get_job_result", map[string]any{"job_id": id}, &res)
	require.Equal(t, "failed", res.Status)
	require.Contains(t, res.Error, "boom")
	require.Contains(t, res.Note, "gigq_requeue_job")

	var out struct {
		Status string `json:"status"`
	}
	b.call(t, "gigq_requeue_job", map[string]any{"job_id": id}, &out)
	require.Equal(t, "pending", out.Status)
	// It runs again, and fails again.
	b.waitFor(t, id, func(j job) bool { return j.Status == "failed" && len(j.Executions) == 2 })

	// A completed job cannot be requeued.
	done := b.submit(t, map[string]any{"function": "echo"})
	b.waitStatus(t, done, "completed")
	require.Contains(t, b.callErr(t, "gigq_requeue_job", map[string]any{"job_id": done}), "only a failed, timed-out or cancelled job")
}

func TestListAndStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	done := b.submit(t, map[string]any{"function": "echo"})
	pending := b.submit(t, map[string]any{"function": "nobody_runs_this"})
	b.waitStatus(t, done, "completed")

	var list struct {
		Jobs  []job `json:"jobs"`
		Count int   `json:"count"`
	}
	b.call(t, "gigq_list_jobs", map[string]any{"status": "completed"}, &list)
	require.Equal(t, 1, list.Count)
	require.Equal(t, done, list.Jobs[0].ID)
	require.Empty(t, list.Jobs[0].Executions)

	b.call(t, "gigq_list_jobs", map[string]any{"status": "pending", "limit": 5}, &list)
	require.Equal(t, 1, list.Count)
	require.Equal(t, pending, list.Jobs[0].ID)

	b.call(t, "gigq_list_jobs", map[string]any{}, &list)
	require.Equal(t, 2, list.Count)
	require.Equal(t, pending, list.Jobs[0].ID, "newest first")

	b.call(t, "gigq_list_jobs", map[string]any{"limit": 1}, &list)
	require.Equal(t, 1, list.Count)

	var st gigq.Stats
	b.call(t, "gigq_queue_stats", nil, &st)
	require.Equal(t, gigq.Stats{Pending: 1, Completed: 1, Total: 2}, st)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"gigq_get_job_status", map[string]any{"job_id": "no-such-job"}, `no job with id "no-such-job"`},
		{"gigq_get_job_result", map[string]any{"job_id": "no-such-job"}, "gigq_list_jobs"},
		{"gigq_cancel_job", map[string]any{"job_id": "no-such-job"}, `no job with id "no-such-job"`},
		{"gigq_requeue_job", map[string]any{"job_id": "  "}, "job_id is empty"},
		{"gigq_list_jobs", map[string]any{"status": "done"}, `unknown status "done": use one of pending, running, completed, failed, cancelled, timeout`},
		{"gigq_list_jobs", map[string]any{"limit": 5000}, "give 1 to 1000"},
		{"gigq_submit_job", map[string]any{"function": ""}, "function is empty"},
		{"gigq_submit_job", map[string]any{"function": "Bad Name"}, "invalid"},
		{"gigq_submit_job", map[string]any{"function": "echo", "params": []int{1}}, "params must be a JSON object"},
		{"gigq_submit_job", map[string]any{"function": "echo", "timeout_seconds": -1}, "timeout_seconds must be a positive number"},
		{"gigq_submit_job", map[string]any{"function": "echo", "depends_on": []string{"no-such-job"}}, "nothing was submitted"},
		{"gigq_submit_job", map[string]any{}, "function"}, // rejected by the input schema
	} {
		require.Contains(t, b.callErr(t, tc.tool, tc.args), tc.want, "%s %v", tc.tool, tc.args)
	}
	var st gigq.Stats
	b.call(t, "gigq_queue_stats", nil, &st)
	require.Zero(t, st.Total, "nothing was submitted")
}
