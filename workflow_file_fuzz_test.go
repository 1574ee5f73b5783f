package gigq_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gigq-go/gigq"
)

// FuzzParseWorkflowFile feeds the workflow file parser arbitrary bytes:
// it must never panic nor hang, and it either refuses the file with an
// ErrInvalidWorkflow that names the file, or returns a workflow that
// passes Validate. The seeds (run by go test) are real files and hostile
// ones: alias bombs, self-referencing anchors, deep nesting, odd scalars.
func FuzzParseWorkflowFile(f *testing.F) {
	for _, seed := range []string{
		pipelineYAML,
		`{"name": "p", "jobs": [{"key": "a", "function": "echo", "params": {"x": [1, 2.5, null, true]}}]}`,
		"name: p\njobs:\n  - key: a\n    function: echo\n    depends_on: [b]\n  - key: b\n    function: echo\n    depends_on: [a]\n",
		"name: p\njobs:\n  - {key: a, function: echo, timeout: 1e400, retry_delay: -1, priority: 99999999999999999999}\n",
		"name: p\njobs: &j\n  - key: a\n    function: echo\n    params: {self: *j}\n",
		"name: p\njobs:\n  - key: a\n    function: echo\n    params: &p {x: *p}\n",
		billionLaughs(),
		"name: p\njobs:\n  - key: a\n    function: echo\n    params: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
		"name: p\njobs:\n  - key: a\n    function: echo\n    params: {when: 2026-01-02T03:04:05Z, bin: !!binary aGVsbG8=, inf: .inf, nan: .nan}\n",
		"---\nname: a\n---\nname: b\n",
		"name: [x]\njobs: 3\n",
		"\t\x00\xff",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := gigq.ParseWorkflowFile("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, gigq.ErrInvalidWorkflow) {
				t.Fatalf("error does not match ErrInvalidWorkflow: %v", err)
			}
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("parsed workflow does not validate: %v", err)
		}
	})
}

// billionLaughs is a file whose params expand, alias by alias, to 10^9
// values if the parser followed every alias.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("name: wf\njobs:\n  - key: a\n    function: echo\n    params:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [", i, i)
		for k := range 10 {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}
