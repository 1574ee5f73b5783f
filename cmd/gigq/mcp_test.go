package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestMCPCommand drives the built binary's `gigq mcp` over its stdin and
// stdout as an agent's client would: the tools are listed, a job submitted
// through them is in the database, and closing the session ends the
// process cleanly.
func TestMCPCommand(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := filepath.Join(t.TempDir(), "x.db")
	cmd := exec.Command(bin, "mcp", "--db", db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "test"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err, "stderr: %s", &stderr)
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	require.ElementsMatch(t, []string{"gigq_submit_job", "gigq_get_job_status", "gigq_get_job_result", "gigq_list_jobs",
		"gigq_queue_stats", "gigq_cancel_job", "gigq_requeue_job", "gigq_submit_workflow"}, names)

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "gigq_submit_job",
		Arguments: map[string]any{"function": "echo", "params": map[string]any{"x": 1}}})
	require.NoError(t, err)
	require.False(t, res.IsError, "%+v", res.Content)
	var out struct {
		JobID gigq.JobID `json:"job_id"`
		Note  string     `json:"note"`
	}
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &out))
	require.NotEmpty(t, out.JobID)
	require.Contains(t, out.Note, "gigq worker", "the result reminds that jobs run only where a worker runs")
	require.NoError(t, cs.Close(), "stderr: %s", &stderr)

	require.Equal(t, gigq.StatusPending, binStatus(t, bin, db, out.JobID).Status, "the job is in the database, waiting for a worker")
}
