package gigq_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

const pipelineYAML = `# the seed's data pipeline
name: data_pipeline
jobs:
  - key: download
    function: echo
    params: {url: "https://example.com/data.csv", retries: 2, tags: [a, b], nested: {z: 1, a: null}}
  - key: process
    function: echo
    depends_on: [download]
  - key: report
    function: echo
    depends_on: [process]
    priority: 5
    max_attempts: 2
    timeout: 60
    retry_delay: 1.5
    description: the weekly report
    name: weekly-report
  - key: notify
    function: echo
    depends_on:
      - process
  - key: archive
    function: echo
    depends_on: [report, notify]
`

func TestParseWorkflowFile(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{ClientOnly: true})
	for _, tc := range []struct {
		name, file, data string
	}{
		{"yaml", "pipeline.yaml", pipelineYAML},
		{"json", "pipeline.json", `{
	"name": "data_pipeline",
	"jobs": [
		{"key": "download", "function": "echo",
		 "params": {"url": "https://example.com/data.csv", "retries": 2, "tags": ["a", "b"], "nested": {"z": 1, "a": null}}},
		{"key": "process", "function": "echo", "depends_on": ["download"]},
		{"key": "report", "function": "echo", "depends_on": ["process"], "priority": 5, "max_attempts": 2,
		 "timeout": 60, "retry_delay": 1.5, "description": "the weekly report", "name": "weekly-report"},
		{"key": "notify", "function": "echo", "depends_on": ["process"]},
		{"key": "archive", "function": "echo", "depends_on": ["report", "notify"]}
	]
}`},
		{"later key", "order.yaml", `
name: data_pipeline
jobs:
  - {key: archive, function: echo, depends_on: [report, notify]}
  - {key: report, function: echo, depends_on: [process], priority: 5, max_attempts: 2, timeout: 60,
     retry_delay: 1.5, description: the weekly report, name: weekly-report}
  - {key: notify, function: echo, depends_on: [process], params: ~}
  - {key: process, function: echo, depends_on: [download]}
  - key: download
    function: echo
    params:
      url: https://example.com/data.csv
      retries: 2
      tags: [a, b]
      nested: {z: 1, a: null}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := gigq.ParseWorkflowFile(tc.file, []byte(tc.data))
			require.NoError(t, err)
			require.Equal(t, "data_pipeline", w.Name())
			require.Len(t, w.Steps(), 5)
			_, ids, err := w.Submit(testCtx(t), n)
			require.NoError(t, err)
			for i, s := range w.Steps() {
				require.Equal(t, ids[s.Key()], s.ID(), "step %d", i)
			}

			download := status(t, n, ids["download"])
			require.Equal(t, "download", download.Name, "the name defaults to the key")
			require.Equal(t, "echo", download.Function)
			require.JSONEq(t, `{"url":"https://example.com/data.csv","retries":2,"tags":["a","b"],"nested":{"z":1,"a":null}}`,
				string(download.Params))
			require.Empty(t, download.Dependencies)
			require.Equal(t, gigq.DefaultMaxAttempts, download.MaxAttempts)
			require.Equal(t, gigq.DefaultTimeout, download.Timeout)

			report := status(t, n, ids["report"])
			require.Equal(t, "weekly-report", report.Name)
			require.Equal(t, 5, report.Priority)
			require.Equal(t, 2, report.MaxAttempts)
			require.Equal(t, 60*time.Second, report.Timeout)
			require.Equal(t, 1500*time.Millisecond, report.RetryDelay)
			require.Equal(t, "the weekly report", report.Description)
			require.Equal(t, []gigq.JobID{ids["process"]}, report.Dependencies)
			require.JSONEq(t, `{}`, string(status(t, n, ids["notify"]).Params))
			require.Equal(t, []gigq.JobID{ids["report"], ids["notify"]}, status(t, n, ids["archive"]).Dependencies,
				"depends_on order")
		})
	}
}

func TestParseWorkflowFileKeepsParamsOrder(t *testing.T) {
	t.Parallel()
	w, err := gigq.ParseWorkflowFile("f.yaml", []byte("name: w\njobs:\n  - key: a\n    function: echo\n    params: {z: 1, a: [x, {y: 2}], m: \"s\"}\n"))
	require.NoError(t, err)
	n := openNode(t, gigq.Config{ClientOnly: true})
	_, ids, err := w.Submit(testCtx(t), n)
	require.NoError(t, err)
	require.Equal(t, `{"z":1,"a":["x",{"y":2}],"m":"s"}`, string(status(t, n, ids["a"]).Params))
}

func TestParseWorkflowFileErrors(t *testing.T) {
	t.Parallel()
	const head = "name: wf\njobs:\n"
	for _, tc := range []struct {
		name, data string
		want       []string // substrings of the message, after "wf.yaml:"
	}{
		{"malformed", "name: wf\njobs: [\n  {key: a", []string{"wf.yaml:", "not valid YAML or JSON", "fix the syntax"}},
		{"malformed json", `{"name": "wf", "jobs": [}`, []string{"wf.yaml:1:", "not valid YAML or JSON"}},
		{"empty file", "", []string{"wf.yaml: the file is empty"}},
		{"only comments", "# nothing\n", []string{"wf.yaml: the file is empty"}},
		{"two documents", head + "  - {key: a, function: echo}\n---\n" + head + "  - {key: b, function: echo}\n",
			[]string{"wf.yaml:4: the file holds more than one YAML document", "one workflow in each file"}},
		{"not a mapping", "[1, 2]", []string{"wf.yaml:1: the file must be a mapping of name, jobs, got a list"}},
		{"unknown top field", "name: wf\nsteps: []\n", []string{`wf.yaml:2: unknown field "steps": the fields are name, jobs`}},
		{"missing name", "jobs:\n  - {key: a, function: echo}\n", []string{"wf.yaml:1: missing name"}},
		{"missing jobs", "name: wf\n", []string{"wf.yaml:1: missing jobs"}},
		{"empty jobs", "name: wf\njobs: []\n", []string{"wf.yaml:2: jobs is empty: add at least one job"}},
		{"null jobs", "name: wf\njobs:\n", []string{"wf.yaml:2: jobs is empty"}},
		{"jobs not a list", "name: wf\njobs: {a: 1}\n", []string{"wf.yaml:2: jobs must be a list of jobs, got a mapping"}},
		{"job not a mapping", head + "  - download\n", []string{`wf.yaml:3: job 1: each job must be a mapping of key, function`, `got "download"`}},
		{"unknown field", head + "  - key: a\n    function: echo\n    retries: 3\n",
			[]string{`wf.yaml:5: job "a": unknown field "retries": the fields are key, function, params, depends_on, name, priority, max_attempts, timeout, retry_delay, description`}},
		{"field twice", head + "  - key: a\n    function: echo\n    key: b\n", []string{`wf.yaml:5: job "a": field key is given twice (also on line 3)`}},
		{"missing key", head + "  - {key: a, function: echo}\n  - function: echo\n", []string{`wf.yaml:4: job 2: missing key`}},
		{"empty key", head + "  - {key: '', function: echo}\n", []string{`wf.yaml:3: job 1: key is empty`}},
		{"key not a string", head + "  - {key: [a], function: echo}\n", []string{`wf.yaml:3: job 1: key must be a string, got a list`}},
		{"missing function", head + "  - key: a\n", []string{`wf.yaml:3: job "a": missing function`}},
		{"bad function", head + "  - {key: a, function: Echo!}\n", []string{`wf.yaml:3: job "a": task name "Echo!" is invalid`}},
		{"bad priority", head + "  - key: a\n    function: echo\n    priority: high\n",
			[]string{`wf.yaml:5: job "a": priority must be an integer, got "high"`}},
		{"float priority", head + "  - {key: a, function: echo, priority: 1.5}\n", []string{`job "a": priority must be an integer, got 1.5`}},
		{"json string priority", `{"name": "wf", "jobs": [{"key": "a", "function": "echo", "priority": "5"}]}`,
			[]string{`wf.yaml:1: job "a": priority must be an integer, got "5"`}},
		{"zero attempts", head + "  - {key: a, function: echo, max_attempts: 0}\n", []string{`job "a": max_attempts must be at least 1, got 0`}},
		{"negative timeout", head + "  - {key: a, function: echo, timeout: -1}\n",
			[]string{`wf.yaml:3: job "a": timeout must be a positive number of seconds, got -1`}},
		{"zero timeout", head + "  - {key: a, function: echo, timeout: 0}\n", []string{`timeout must be a positive number`}},
		{"text timeout", head + "  - {key: a, function: echo, timeout: 1m}\n", []string{`job "a": timeout must be a number of seconds, got "1m"`}},
		{"negative retry delay", head + "  - {key: a, function: echo, retry_delay: -0.5}\n",
			[]string{`job "a": retry_delay must be a zero or positive number of seconds, got -0.5`}},
		{"params not an object", head + "  - key: a\n    function: echo\n    params: [1, 2]\n",
			[]string{`wf.yaml:5: job "a": params must be an object`, "got a list"}},
		{"params scalar", head + "  - {key: a, function: echo, params: hello}\n", []string{`job "a": params must be an object`, `got "hello"`}},
		{"params not JSON", head + "  - {key: a, function: echo, params: {x: .inf}}\n", []string{`job "a": params:`, "cannot be written as JSON"}},
		{"params alias of itself", head + "  - key: a\n    function: echo\n    params: &p {x: *p}\n",
			[]string{`wf.yaml:5: job "a": params:`, "nest deeper than 64 levels", "flatten them"}},
		{"params alias bomb", billionLaughs(), []string{`job "a": params:`, "more than 100000 values", "aliases"}},
		{"description not a string", head + "  - {key: a, function: echo, description: {x: 1}}\n",
			[]string{`job "a": description must be a string, got a mapping`}},
		{"depends_on not a list", head + "  - {key: a, function: echo}\n  - {key: b, function: echo, depends_on: a}\n",
			[]string{`wf.yaml:4: job "b": depends_on must be a list of keys, got "a": write depends_on: [a]`}},
		{"depends_on a mapping", head + "  - {key: a, function: echo, depends_on: {b: 1}}\n",
			[]string{`job "a": depends_on must be a list of keys, got a mapping: write depends_on: [key1, key2]`}},
		{"depends_on not strings", head + "  - {key: a, function: echo, depends_on: [{x: 1}]}\n",
			[]string{`job "a": depends_on must list keys (strings), got a mapping`}},
		{"depends_on twice", head + "  - {key: a, function: echo}\n  - {key: b, function: echo, depends_on: [a, a]}\n",
			[]string{`wf.yaml:4: job "b": depends_on lists "a" twice`}},
		{"unknown dependency", head + "  - {key: download, function: echo}\n  - key: process\n    function: echo\n    depends_on: [downlaod]\n",
			[]string{`wf.yaml:6: job "process": depends_on names the unknown key "downlaod": use one of the keys in the file (download, process)`}},
		{"duplicate key", head + "  - {key: a, function: echo}\n  - {key: b, function: echo}\n  - {key: a, function: echo}\n",
			[]string{`wf.yaml:5: job "a": duplicate key (line 3 has it too)`}},
		{"cycle", head + "  - {key: a, function: echo, depends_on: [c]}\n  - {key: b, function: echo, depends_on: [a]}\n  - key: c\n    function: echo\n    depends_on: [b]\n",
			[]string{`wf.yaml:3: job "a": dependency cycle a -> c -> b -> a: remove one of these depends_on entries`}},
		{"self dependency", head + "  - {key: a, function: echo, depends_on: [a]}\n", []string{`wf.yaml:3: job "a": dependency cycle a -> a`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := gigq.ParseWorkflowFile("wf.yaml", []byte(tc.data))
			require.Error(t, err)
			require.Nil(t, w)
			require.ErrorIs(t, err, gigq.ErrInvalidWorkflow)
			for _, want := range tc.want {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}
