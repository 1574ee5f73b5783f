package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gigq-go/gigq"
)

// workflowTypes are the Content-Types POST /api/workflows accepts; the
// file format is YAML, and JSON is YAML.
var workflowTypes = []string{"application/yaml", "application/x-yaml", "text/yaml", "application/json"}

// submitWorkflow: POST /api/workflows with a workflow file (JSON or YAML)
// → 201 {"workflow_id": "...", "jobs": {"<key>": "<job id>", ...}}, the
// jobs in the file's order, as gigq workflow submit --json prints them.
func (s *server) submitWorkflow(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r, workflowTypes...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	wf, err := gigq.ParseWorkflowFile("request body", body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, _, err := wf.Submit(r.Context(), s.node)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	steps := wf.Steps()
	jobs := make(orderedIDs, len(steps))
	for i, st := range steps {
		jobs[i] = keyID{key: st.Key(), id: st.ID()}
	}
	w.Header().Set("Location", "/api/workflows/"+string(id))
	s.reply(w, http.StatusCreated, struct {
		WorkflowID gigq.WorkflowID `json:"workflow_id"`
		Jobs       orderedIDs      `json:"jobs"`
	}{id, jobs})
}

// getWorkflow: GET /api/workflows/{id} → the workflow with its jobs, as
// gigq workflow status --json prints it.
func (s *server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	info, err := s.node.Workflow(r.Context(), gigq.WorkflowID(pathID(r)))
	if errors.Is(err, gigq.ErrNotFound) {
		err = notFound("workflow", pathID(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, http.StatusOK, info)
}

// keyID is one step's key and job id.
type keyID struct {
	key string
	id  gigq.JobID
}

// orderedIDs encodes as a JSON object that keeps the steps' order (a Go
// map would sort the keys).
type orderedIDs []keyID

func (o orderedIDs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(kv.id)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
