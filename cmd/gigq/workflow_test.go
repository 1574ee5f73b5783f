package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

const pipelineYAML = `name: data_pipeline
jobs:
  - key: download
    function: echo
    params: {url: "https://example.com/data.csv"}
  - key: process
    function: echo
    params: {op: clean}
    depends_on: [download]
  - key: report
    function: echo
    params: {format: pdf}
    depends_on: [process]
    priority: 5
    max_attempts: 2
    timeout: 60
    retry_delay: 1
    description: the report
  - key: notify
    function: echo
    depends_on: [process]
  - key: archive
    function: echo
    depends_on: [report, notify]
`

const pipelineJSON = `{
	"name": "data_pipeline",
	"jobs": [
		{"key": "download", "function": "echo", "params": {"url": "https://example.com/data.csv"}},
		{"key": "process", "function": "echo", "params": {"op": "clean"}, "depends_on": ["download"]},
		{"key": "report", "function": "echo", "params": {"format": "pdf"}, "depends_on": ["process"], "priority": 5},
		{"key": "notify", "function": "echo", "depends_on": ["process"]},
		{"key": "archive", "function": "echo", "depends_on": ["report", "notify"]}
	]
}`

var pipelineKeys = []string{"download", "process", "report", "notify", "archive"}

// writeFile writes a file in the test's temporary directory and returns
// its path.
func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

// submitted is the output of "gigq workflow submit --json".
type submitted struct {
	id   gigq.WorkflowID
	keys []string // in the output's order
	jobs map[string]gigq.JobID
}

// submitWorkflow runs "gigq workflow submit FILE --json".
func submitWorkflow(t *testing.T, db, file string) submitted {
	t.Helper()
	out := gigqOK(t, db, "workflow", "submit", file, "--json")
	require.Regexp(t, `^\{"workflow_id":"[0-9a-f-]{36}","jobs":\{[^{}]*\}\}\n$`, out)
	var v struct {
		ID   gigq.WorkflowID       `json:"workflow_id"`
		Jobs map[string]gigq.JobID `json:"jobs"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	top, err := objectMembers(json.RawMessage(out))
	require.NoError(t, err)
	require.Equal(t, []string{"workflow_id", "jobs"}, memberKeys(top))
	jobs, err := objectMembers(top[1].value)
	require.NoError(t, err)
	return submitted{id: v.ID, keys: memberKeys(jobs), jobs: v.Jobs}
}

func memberKeys(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.key
	}
	return out
}

// workflowStatus reads "gigq workflow status ID --json".
func workflowStatus(t *testing.T, db string, id gigq.WorkflowID) *gigq.WorkflowInfo {
	t.Helper()
	out := gigqOK(t, db, "workflow", "status", string(id), "--json")
	var info gigq.WorkflowInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info), out)
	return &info
}

// runWorkflow runs "gigq worker --once" until the workflow ended.
func runWorkflow(t *testing.T, db string, id gigq.WorkflowID) *gigq.WorkflowInfo {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		info := workflowStatus(t, db, id)
		if info.Status != gigq.WorkflowRunning {
			return info
		}
		require.True(t, time.Now().Before(deadline), "workflow %s still running: %+v", id, info.Counts)
		workOnce(t, db)
	}
}

// requireParents checks that a job's echo result holds its parents'
// results, in dependency order.
func requireParents(t *testing.T, result json.RawMessage, parents ...gigq.JobID) map[string]json.RawMessage {
	t.Helper()
	members, err := objectMembers(result)
	require.NoError(t, err, "%s", result)
	require.Equal(t, "parent_results", members[len(members)-1].key, "%s", result)
	pr, err := objectMembers(members[len(members)-1].value)
	require.NoError(t, err)
	want := make([]string, len(parents))
	for i, p := range parents {
		want[i] = string(p)
	}
	require.Equal(t, want, memberKeys(pr), "parent_results in dependency order: %s", result)
	out := map[string]json.RawMessage{}
	for _, m := range pr {
		out[m.key] = m.value
	}
	return out
}

func TestWorkflowFileEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, data string }{
		{"yaml", "pipeline.yaml", pipelineYAML},
		{"json", "pipeline.json", pipelineJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			sub := submitWorkflow(t, db, writeFile(t, tc.file, tc.data))
			require.Equal(t, pipelineKeys, sub.keys, "jobs in file order")
			info := workflowStatus(t, db, sub.id)
			require.Equal(t, gigq.WorkflowRunning, info.Status)
			require.Equal(t, gigq.Stats{Pending: 5, Total: 5}, info.Counts)

			info = runWorkflow(t, db, sub.id)
			require.Equal(t, gigq.WorkflowCompleted, info.Status)
			require.Equal(t, "data_pipeline", info.Name)
			require.Equal(t, gigq.Stats{Completed: 5, Total: 5}, info.Counts)
			byName := map[string]*gigq.Job{}
			for _, j := range info.Jobs {
				require.Equal(t, sub.id, j.WorkflowID)
				require.Equal(t, sub.jobs[j.Name], j.ID)
				byName[j.Name] = j
			}
			require.Equal(t, 5, byName["report"].Priority)
			require.Equal(t, []gigq.JobID{sub.jobs["report"], sub.jobs["notify"]}, byName["archive"].Dependencies)

			archive := status(t, db, sub.jobs["archive"])
			parents := requireParents(t, archive.Result, sub.jobs["report"], sub.jobs["notify"])
			report := requireParents(t, parents[string(sub.jobs["report"])], sub.jobs["process"])
			process := requireParents(t, report[string(sub.jobs["process"])], sub.jobs["download"])
			require.JSONEq(t, `{"url":"https://example.com/data.csv"}`, string(process[string(sub.jobs["download"])]))
			require.JSONEq(t, `{"format":"pdf","parent_results":{"`+string(sub.jobs["process"])+`":`+
				string(report[string(sub.jobs["process"])])+`}}`, string(parents[string(sub.jobs["report"])]))
		})
	}
}

func TestWorkflowSubmitAndStatusText(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	file := writeFile(t, "pipeline.yaml", pipelineYAML)
	out := gigqOK(t, db, "workflow", "submit", file)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	m := regexp.MustCompile(`^Workflow submitted: ([0-9a-f-]{36}) \(data_pipeline, 5 jobs\)$`).FindStringSubmatch(lines[0])
	require.NotNil(t, m, out)
	id := gigq.WorkflowID(m[1])
	ids := map[string]string{}
	for i, key := range pipelineKeys {
		f := strings.Fields(lines[i+1])
		require.Len(t, f, 2, lines[i+1])
		require.Equal(t, key, f[0])
		ids[key] = f[1]
	}

	out = gigqOK(t, db, "workflow", "status", string(id))
	for _, re := range []string{
		`(?m)^Workflow ID:\s+` + string(id) + `$`, `(?m)^Name:\s+data_pipeline$`, `(?m)^Status:\s+running$`,
		`(?m)^Jobs:\s+5: 5 pending, 0 running, 0 completed, 0 failed, 0 cancelled, 0 timeout$`,
		`(?m)^NAME\s+JOB ID\s+STATUS\s+DEPENDS ON$`,
		`(?m)^download\s+` + ids["download"] + `\s+pending\s+-$`,
		`(?m)^archive\s+` + ids["archive"] + `\s+pending\s+report, notify$`,
	} {
		require.Regexp(t, re, out)
	}

	// gigq status shows a job's workflow and dependencies.
	out = gigqOK(t, db, "status", ids["archive"])
	require.Regexp(t, `(?m)^Workflow:\s+`+string(id)+`$`, out)
	require.Regexp(t, `(?m)^Depends on:\s+`+ids["report"]+", "+ids["notify"]+`$`, out)
	out = gigqOK(t, db, "status", string(submit(t, db, "echo")))
	require.NotContains(t, out, "Workflow:")
	require.NotContains(t, out, "Depends on:")
}

func TestWorkflowFileErrors(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	const head = "name: wf\njobs:\n"
	for _, tc := range []struct {
		name, data string
		want       string // after "gigq: <file>"
	}{
		{"unknown field", head + "  - key: a\n    function: echo\n    retries: 3\n",
			`:5: job "a": unknown field "retries": the fields are key, function, params`},
		{"bad type", head + "  - key: a\n    function: echo\n    priority: high\n",
			`:5: job "a": priority must be an integer, got "high"`},
		{"negative timeout", head + "  - {key: a, function: echo, timeout: -3}\n",
			`:3: job "a": timeout must be a positive number of seconds, got -3`},
		{"params not an object", head + "  - {key: a, function: echo, params: [1]}\n",
			`:3: job "a": params must be an object`},
		{"missing function", head + "  - key: a\n", `:3: job "a": missing function`},
		{"missing key", head + "  - function: echo\n", `:3: job 1: missing key`},
		{"unknown dependency", head + "  - {key: a, function: echo}\n  - {key: b, function: echo, depends_on: [c]}\n",
			`:4: job "b": depends_on names the unknown key "c": use one of the keys in the file (a, b)`},
		{"cycle", head + "  - {key: a, function: echo, depends_on: [b]}\n  - {key: b, function: echo, depends_on: [a]}\n",
			`:3: job "a": dependency cycle a -> b -> a`},
		{"duplicate key", head + "  - {key: a, function: echo}\n  - {key: a, function: echo}\n",
			`:4: job "a": duplicate key (line 3 has it too)`},
		{"empty jobs", head, `:2: jobs is empty`},
		{"empty file", "", `: the file is empty`},
		{"malformed", "name: wf\njobs: [\n", `:2: this is not valid YAML or JSON`},
		{"malformed json", "{\"name\": \"wf\",\n \"jobs\": [}", `:2: this is not valid YAML or JSON`},
	} {
		file := writeFile(t, "wf.yaml", tc.data)
		r := runCLI(t, "workflow", "submit", file, "--db", db)
		require.Equal(t, exitUsage, r.code, "%s: stdout %q stderr %q", tc.name, r.stdout, r.stderr)
		require.Empty(t, r.stdout, tc.name)
		require.True(t, strings.HasPrefix(r.stderr, "gigq: "+file+tc.want), "%s: %q", tc.name, r.stderr)
		require.Contains(t, r.stderr, "Run 'gigq workflow submit --help' for usage.", tc.name)
	}
	r := runCLI(t, "workflow", "submit", filepath.Join(t.TempDir(), "missing.yaml"), "--db", db)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "cannot read the workflow file")
	require.Contains(t, r.stderr, "missing.yaml")
	require.Equal(t, gigq.Stats{}, stats(t, db), "nothing was submitted")
	require.Equal(t, "[]\n", gigqOK(t, db, "list", "--json"))
}

func TestWorkflowUsageErrors(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{
		{"workflow", "bogus"}, {"workflow", "submit"}, {"workflow", "submit", "a", "b"}, {"workflow", "status"},
		{"workflow", "cancel"}, {"workflow", "status", "--bogus", "x"}, {"submit", "echo", "--depends-on", ""},
	} {
		r := runCLI(t, append(args, "--db", db)...)
		require.Equal(t, exitUsage, r.code, "%v: stdout %q stderr %q", args, r.stdout, r.stderr)
		require.True(t, strings.HasPrefix(r.stderr, "gigq: "), "%v: %q", args, r.stderr)
		require.Contains(t, r.stderr, "--help", args)
	}
	require.Equal(t, gigq.Stats{}, stats(t, db))
	out := gigqOK(t, db, "workflow")
	require.Contains(t, out, "submit")
	require.Contains(t, out, "cancel")
}

func TestSubmitDependsOn(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	first := submit(t, db, "echo", "-p", "n=1", "--priority", "-1")
	second := submit(t, db, "echo", "-p", "n=2", "--priority", "-2")
	child := submit(t, db, "echo", "-p", "msg=child", "-p", "parent_results=mine", "--priority", "9",
		"--depends-on", string(second), "--depends-on", string(first))
	j := status(t, db, child)
	require.Equal(t, []gigq.JobID{second, first}, j.Dependencies)
	require.Empty(t, j.WorkflowID)
	require.Regexp(t, `(?m)^Depends on:\s+`+string(second)+", "+string(first)+`$`, gigqOK(t, db, "status", string(child)))

	workOnce(t, db)
	workOnce(t, db)
	require.Equal(t, gigq.StatusPending, status(t, db, child).Status, "the child waits for both parents, whatever its priority")
	require.Equal(t, gigq.StatusCompleted, status(t, db, first).Status)
	require.Equal(t, gigq.StatusCompleted, status(t, db, second).Status)
	require.JSONEq(t, `{"n":1}`, string(status(t, db, first).Result), "without dependencies echo returns its params")

	workOnce(t, db)
	j = status(t, db, child)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	parents := requireParents(t, j.Result, second, first)
	require.JSONEq(t, `{"n":2}`, string(parents[string(second)]))
	require.JSONEq(t, `{"n":1}`, string(parents[string(first)]))
	members, err := objectMembers(j.Result)
	require.NoError(t, err)
	require.Equal(t, []string{"msg", "parent_results"}, memberKeys(members), "the params' own parent_results is replaced")
}

func TestSubmitDependsOnUnknown(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	parent := submit(t, db, "echo")
	r := runCLI(t, "submit", "echo", "--depends-on", string(parent), "--depends-on", "no-such-job", "--db", db)
	require.Equal(t, exitRuntime, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "depends on unknown job no-such-job")
	require.Contains(t, r.stderr, "submit the parent first, or check the id")
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, stats(t, db), "nothing of the refused submit was written")
}

func TestWorkflowCancel(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	sub := submitWorkflow(t, db, writeFile(t, "pipeline.yaml", pipelineYAML))
	workOnce(t, db) // download
	require.Equal(t, "Cancelled 4 jobs of workflow "+string(sub.id)+".\n", gigqOK(t, db, "workflow", "cancel", string(sub.id)))
	info := workflowStatus(t, db, sub.id)
	require.Equal(t, gigq.WorkflowCancelled, info.Status)
	require.Equal(t, gigq.Stats{Completed: 1, Cancelled: 4, Total: 5}, info.Counts)
	require.Equal(t, "Cancelled 0 jobs of workflow "+string(sub.id)+".\n", gigqOK(t, db, "workflow", "cancel", string(sub.id)))
	workOnce(t, db)
	require.Equal(t, gigq.Stats{Completed: 1, Cancelled: 4, Total: 5}, stats(t, db), "nothing left to run")
}

func TestWorkflowUnknownID(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{
		{"workflow", "status", "no-such-workflow"}, {"workflow", "status", "no-such-workflow", "--json"},
		{"workflow", "cancel", "no-such-workflow"},
	} {
		r := runCLI(t, append(args, "--db", db)...)
		require.Equal(t, exitRuntime, r.code, "%v: %s", args, r.stderr)
		require.Empty(t, r.stdout)
		require.Contains(t, r.stderr, "gigq: workflow no-such-workflow not found in "+db)
		require.NotContains(t, r.stderr, "--help", "a runtime error is not a usage error")
	}
}
