package gigq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The fields of a workflow file and of each of its jobs.
var (
	workflowFileFields = []string{"name", "jobs"}
	workflowJobFields  = []string{"key", "function", "params", "depends_on", "name", "priority", "max_attempts",
		"timeout", "retry_delay", "description"}
)

// ParseWorkflowFile reads a workflow file, YAML or JSON (JSON is YAML),
// and builds the workflow it describes, validated (Workflow.Validate):
//
//	name: data_pipeline
//	jobs:
//	  - key: download            # unique in the file; the job's name by default
//	    function: echo           # the task to run
//	    params: {url: "https://example.com/data.csv"}
//	  - key: process
//	    function: echo
//	    depends_on: [download]   # keys of jobs in the file, in any order
//	    priority: 5              # and max_attempts, description, name,
//	    timeout: 60              # timeout and retry_delay in seconds
//
// name is the file's name, used in the messages. Every error matches
// ErrInvalidWorkflow and names the file, the line and the job (by key, or
// by position when it has none), and says what to change.
func ParseWorkflowFile(name string, data []byte) (*Workflow, error) {
	p := &fileParser{file: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, p.syntaxError(data, err)
	}
	if len(doc.Content) == 0 {
		return nil, p.errorf(0, "", "the file is empty: write a workflow with a name and a list of jobs")
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, p.errorf(extra.Line, "", "the file holds more than one YAML document (---): put one workflow in each file")
	}
	r := p.reader(doc.Content[0], "", "the file", workflowFileFields)
	wfName := r.str("name", true)
	if r.err != nil {
		return nil, r.err
	}
	jobsNode := resolve(r.f["jobs"])
	switch {
	case jobsNode == nil:
		return nil, p.errorf(doc.Content[0].Line, "", "missing jobs: add a list of jobs, each with a key and a function")
	case jobsNode.Tag == "!!null" || (jobsNode.Kind == yaml.SequenceNode && len(jobsNode.Content) == 0):
		return nil, p.errorf(jobsNode.Line, "", "jobs is empty: add at least one job, with a key and a function")
	case jobsNode.Kind != yaml.SequenceNode:
		return nil, p.errorf(jobsNode.Line, "", "jobs must be a list of jobs, got %s", describe(jobsNode))
	}
	jobs := make([]*fileJob, len(jobsNode.Content))
	byKey := map[string]*fileJob{}
	keys := make([]string, len(jobs))
	for i, n := range jobsNode.Content {
		j, err := p.job(resolve(n), i)
		if err != nil {
			return nil, err
		}
		jobs[i] = j
		if first, dup := byKey[j.key]; dup {
			return nil, p.errorf(j.keyLine, j.where, "duplicate key (line %d has it too): give every job its own key", first.keyLine)
		}
		byKey[j.key], keys[i] = j, j.key
	}
	w := NewWorkflow(wfName)
	for _, j := range jobs {
		j.step = w.Add(j.key, Call(j.function, j.params, &j.opts), After(j.depKeys()...))
	}
	// Check the dependencies here rather than in Validate, to give lines.
	parents := map[*Step][]stepRef{}
	for _, j := range jobs {
		for _, d := range j.deps {
			if byKey[d.Value] == nil {
				return nil, p.errorf(d.Line, j.where, "depends_on names the unknown key %q: use one of the keys in the file (%s)",
					d.Value, strings.Join(keys, ", "))
			}
			parents[j.step] = append(parents[j.step], stepRef{step: byKey[d.Value].step})
		}
	}
	if _, cycle := topoOrder(w.steps, parents); cycle != nil {
		j := byKey[cycle[0]]
		return nil, p.errorf(j.depsLine, j.where, "dependency cycle %s: remove one of these depends_on entries",
			strings.Join(cycle, " -> "))
	}
	if err := w.Validate(); err != nil {
		return nil, p.errorf(0, "", "%s", strings.TrimPrefix(err.Error(), "gigq: "))
	}
	return w, nil
}

// syntaxError reports a file that is not YAML (nor JSON), with the line
// of the mistake when the parser gives it.
func (p *fileParser) syntaxError(data []byte, err error) error {
	line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	// In a JSON file, JSON's own error points at the mistake better.
	var syntax *json.SyntaxError
	if err := json.Unmarshal(data, new(any)); bytes.HasPrefix(bytes.TrimSpace(data), []byte(`{"`)) && errors.As(err, &syntax) {
		line, msg = 1+bytes.Count(data[:syntax.Offset], []byte("\n")), syntax.Error()
	}
	return p.errorf(line, "", "this is not valid YAML or JSON (%s): fix the syntax", msg)
}

// yamlLineRE splits "line 3: did not find expected key" from yaml's errors.
var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// fileParser reads one workflow file.
type fileParser struct{ file string }

// fileJob is a job of a workflow file as read.
type fileJob struct {
	where    string // `job "key"`, or `job 2` when the key is missing
	key      string
	keyLine  int
	function string
	params   json.RawMessage
	deps     []*yaml.Node // the depends_on entries
	depsLine int
	opts     SubmitOpts
	step     *Step
}

func (j *fileJob) depKeys() []string {
	out := make([]string, len(j.deps))
	for i, d := range j.deps {
		out[i] = d.Value
	}
	return out
}

// job reads the i-th job of the jobs list.
func (p *fileParser) job(n *yaml.Node, i int) (*fileJob, error) {
	j := &fileJob{}
	where := fmt.Sprintf("job %d", i+1)
	for k := 0; n.Kind == yaml.MappingNode && k+1 < len(n.Content); k += 2 {
		if v := resolve(n.Content[k+1]); n.Content[k].Value == "key" && v.Tag == "!!str" && v.Value != "" {
			where = fmt.Sprintf("job %q", v.Value) // for the messages below
			break
		}
	}
	r := p.reader(n, where, "each job", workflowJobFields)
	j.key, j.where = r.str("key", true), where
	j.function = r.str("function", true)
	if r.err != nil {
		return nil, r.err
	}
	j.keyLine = r.f["key"].Line
	if err := validateTaskName(j.function); err != nil {
		r.fail(r.f["function"], "%s", strings.TrimPrefix(err.Error(), "gigq: "))
	}
	j.opts = SubmitOpts{Name: r.str("name", false), Description: r.str("description", false),
		Priority: r.integer("priority", math.MinInt), MaxAttempts: r.integer("max_attempts", 1),
		Timeout: r.seconds("timeout", false), RetryDelay: r.seconds("retry_delay", true)}
	j.params = r.params()
	if d := resolve(r.f["depends_on"]); d != nil && d.Tag != "!!null" {
		if example := "key1, key2"; d.Kind != yaml.SequenceNode {
			if d.Kind == yaml.ScalarNode {
				example = d.Value
			}
			r.fail(d, "depends_on must be a list of keys, got %s: write depends_on: [%s]", describe(d), example)
		}
		j.depsLine = d.Line
		for _, e := range d.Content {
			switch e = resolve(e); {
			case e.Kind != yaml.ScalarNode || e.Tag != "!!str":
				r.fail(e, "depends_on must list keys (strings), got %s", describe(e))
			case slices.ContainsFunc(j.deps, func(o *yaml.Node) bool { return o.Value == e.Value }):
				r.fail(e, "depends_on lists %q twice: keep one", e.Value)
			}
			j.deps = append(j.deps, e)
		}
	}
	return j, r.err
}

// fieldReader reads the fields of one mapping and keeps the first error.
type fieldReader struct {
	p     *fileParser
	where string
	node  *yaml.Node
	f     map[string]*yaml.Node // the values by field
	err   error
}

// reader checks that n is a mapping of known fields, each given once.
func (p *fileParser) reader(n *yaml.Node, where, what string, known []string) *fieldReader {
	r := &fieldReader{p: p, where: where, node: n, f: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		r.fail(n, "%s must be a mapping of %s, got %s", what, strings.Join(known, ", "), describe(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			r.fail(k, "unknown field %q: the fields are %s", k.Value, strings.Join(known, ", "))
		} else if prev, dup := r.f[k.Value]; dup {
			r.fail(k, "field %s is given twice (also on line %d): keep one", k.Value, prev.Line)
		}
		r.f[k.Value] = n.Content[i+1]
	}
	return r
}

func (r *fieldReader) fail(n *yaml.Node, format string, args ...any) {
	if r.err == nil {
		r.err = r.p.errorf(n.Line, r.where, format, args...)
	}
}

// str reads a string field; a required one must not be empty.
func (r *fieldReader) str(field string, required bool) string {
	n := resolve(r.f[field])
	switch {
	case n == nil && required:
		r.fail(r.node, "missing %s: add %s: <%s>", field, field, field)
	case n == nil:
	case n.Kind != yaml.ScalarNode || n.Tag != "!!str":
		r.fail(n, "%s must be a string, got %s: quote it", field, describe(n))
	case required && strings.TrimSpace(n.Value) == "":
		r.fail(n, "%s is empty: give it a value", field)
	default:
		return n.Value
	}
	return ""
}

// integer reads an integer field of at least minimum (0 when absent).
func (r *fieldReader) integer(field string, minimum int) int {
	n, v := resolve(r.f[field]), 0
	switch {
	case n == nil:
	case n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil:
		r.fail(n, "%s must be an integer, got %s: write a whole number, e.g. %s: %d", field, describe(n), field, max(minimum, 1))
	case v < minimum:
		r.fail(n, "%s must be at least %d, got %d", field, minimum, v)
	}
	return v
}

// seconds reads a duration field given as a number of seconds.
func (r *fieldReader) seconds(field string, allowZero bool) time.Duration {
	n, v := resolve(r.f[field]), 0.0
	switch {
	case n == nil:
	case n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil:
		r.fail(n, "%s must be a number of seconds, got %s: write e.g. %s: 60", field, describe(n), field)
	case v < 0 || (v == 0 && !allowZero) || v > 1e9 || math.IsNaN(v):
		want := "positive"
		if allowZero {
			want = "zero or positive"
		}
		r.fail(n, "%s must be a %s number of seconds, got %s", field, want, n.Value)
	}
	return time.Duration(v * float64(time.Second))
}

// params reads a job's params: an object (a mapping), "{}" when absent.
func (r *fieldReader) params() json.RawMessage {
	n := resolve(r.f["params"])
	if n == nil || n.Tag == "!!null" {
		return json.RawMessage("{}")
	}
	if n.Kind != yaml.MappingNode {
		r.fail(n, "params must be an object (a mapping of names to values), got %s", describe(n))
		return nil
	}
	c := jsonWriter{budget: maxParamValues}
	if err := c.write(n, 0); err != nil {
		r.fail(n, "params: %v", err)
	}
	return c.b.Bytes()
}

// Bounds of the params of one job in a workflow file. Aliases (*name)
// are written out in full, so a small file could otherwise expand without
// end (an alias inside the value it names) or exponentially (aliases of
// aliases).
const (
	maxParamDepth  = 64
	maxParamValues = 100_000
)

// jsonWriter writes a YAML value as JSON, keeping the order of mappings,
// within the bounds above.
type jsonWriter struct {
	b      bytes.Buffer
	budget int // values left to write
}

func (c *jsonWriter) write(n *yaml.Node, depth int) error {
	n = resolve(n)
	if depth > maxParamDepth {
		return fmt.Errorf("line %d: params nest deeper than %d levels (or an alias names a value that holds it): flatten them", n.Line, maxParamDepth)
	}
	if c.budget--; c.budget < 0 {
		return fmt.Errorf("params hold more than %d values once their aliases (*name) are written out: write fewer values or aliases", maxParamValues)
	}
	b := &c.b
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		open, sep, end := byte('['), byte(','), byte(']')
		if n.Kind == yaml.MappingNode {
			open, end = '{', '}'
		}
		b.WriteByte(open)
		for i, v := range n.Content {
			switch {
			case n.Kind == yaml.MappingNode && i%2 == 1:
				b.WriteByte(':')
			case i > 0:
				b.WriteByte(sep)
			}
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: resolve(v).Value}
			}
			if err := c.write(v, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(end)
		return nil
	}
	var v any = n.Value
	if n.Tag != "!!str" && n.Tag != "!!timestamp" {
		if err := n.Decode(&v); err != nil {
			return err
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: %s cannot be written as JSON", n.Line, n.Value)
	}
	b.Write(out)
	return nil
}

// resolve follows an alias (*name) to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe names a value for a message: "high" (quoted), 1.5, a list.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "nothing (null)"
	case n.Tag == "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// errorf makes a file error: "file:line: job "key": message".
func (p *fileParser) errorf(line int, where, format string, args ...any) error {
	var b strings.Builder
	b.WriteString(p.file)
	if line > 0 {
		fmt.Fprintf(&b, ":%d", line)
	}
	b.WriteString(": ")
	if where != "" {
		b.WriteString(where + ": ")
	}
	fmt.Fprintf(&b, format, args...)
	return &fileError{msg: b.String()}
}

// fileError is a mistake in a workflow file; it matches ErrInvalidWorkflow.
type fileError struct{ msg string }

func (e *fileError) Error() string        { return e.msg }
func (e *fileError) Is(target error) bool { return target == ErrInvalidWorkflow }
