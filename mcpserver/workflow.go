package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gigq-go/gigq"
)

type submitWorkflowInput struct {
	Workflow string `json:"workflow,omitempty" jsonschema:"the workflow file's content, YAML or JSON: name, and jobs, each with key (unique), function, and optionally params (an object), depends_on (keys of other jobs in the file), priority, max_attempts, timeout and retry_delay (seconds), name, description"`
	Path     string `json:"path,omitempty" jsonschema:"instead of workflow: the path of a workflow file (.yaml, .yml or .json) on the server's machine"`
}

type submitWorkflowOutput struct {
	WorkflowID gigq.WorkflowID       `json:"workflow_id" jsonschema:"the new workflow's id"`
	Name       string                `json:"name" jsonschema:"the workflow's name"`
	Jobs       map[string]gigq.JobID `json:"jobs" jsonschema:"each job's id by its key in the file"`
	Note       string                `json:"note"`
}

func (t *tools) submitWorkflow(ctx context.Context, _ *mcp.CallToolRequest, in submitWorkflowInput) (*mcp.CallToolResult, submitWorkflowOutput, error) {
	var none submitWorkflowOutput
	name, data := "workflow", []byte(in.Workflow)
	switch {
	case strings.TrimSpace(in.Workflow) != "" && in.Path != "":
		return nil, none, errors.New("give either workflow (the file's content) or path (a file), not both")
	case in.Path != "":
		if ext := strings.ToLower(filepath.Ext(in.Path)); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil, none, fmt.Errorf("path %q is not a workflow file: give a .yaml, .yml or .json file, or its content as workflow", in.Path)
		}
		b, err := os.ReadFile(in.Path)
		if err != nil {
			return nil, none, fmt.Errorf("read the workflow file: %w: give the path of a readable file, or its content as workflow", err)
		}
		name, data = in.Path, b
	case strings.TrimSpace(in.Workflow) == "":
		return nil, none, errors.New("workflow is empty: give the workflow file's content (YAML or JSON, with a name and a list of jobs), or its path as path")
	}
	w, err := gigq.ParseWorkflowFile(name, data)
	if err != nil {
		return nil, none, fmt.Errorf("%w (nothing was submitted)", err)
	}
	id, jobs, err := w.Submit(ctx, t.node)
	if err != nil {
		return nil, none, fmt.Errorf("%w (nothing was submitted)", t.err(err))
	}
	return nil, submitWorkflowOutput{WorkflowID: id, Name: w.Name(), Jobs: jobs,
		Note: t.note(fmt.Sprintf("Workflow %s has %d jobs; each runs once the jobs it depends on completed.", id, len(jobs)))}, nil
}
