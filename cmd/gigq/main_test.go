package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gigq-go/gigq"
)

// envHelper makes the test binary act as the gigq command (the os/exec
// helper-process idiom): TestMain runs the arguments after "--".
const envHelper = "GIGQ_CLI_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) == "1" {
		args := os.Args[1:]
		if i := slices.Index(args, "--"); i >= 0 {
			args = args[i+1:]
		}
		os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
	}
	// protoactor starts a throttle goroutine on a node's first dead letter
	// (a message to an actor that is stopped or not spawned yet, as at a
	// node's start and stop); it ends by itself after 1s.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// TestHelperProcess is the test a helper process is started with; the
// work happens in TestMain before any test runs, so here it only skips.
func TestHelperProcess(t *testing.T) {
	t.Skip("runs gigq when started as a helper process (see TestMain)")
}

// helperCmd returns the gigq command line args as a separate process.
func helperCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), envHelper+"=1")
	return cmd
}

// stderrOf returns the stderr a failed helper process left in its error.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// testTimeout bounds every command a test runs.
const testTimeout = 30 * time.Second

// result is what one in-process run of gigq gave.
type result struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs the command line args in-process and returns its exit code
// and output.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// gigqOK runs args on db and requires exit 0.
func gigqOK(t *testing.T, db string, args ...string) string {
	t.Helper()
	r := runCLI(t, append(args, "--db", db)...)
	require.Equal(t, 0, r.code, "gigq %v: stdout %q stderr %q", args, r.stdout, r.stderr)
	return r.stdout
}

// newDB returns the path of a fresh database file.
func newDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "gigq.db")
}

// submit submits a job with "gigq submit --json" and returns its id.
func submit(t *testing.T, db string, args ...string) gigq.JobID {
	t.Helper()
	out := gigqOK(t, db, append([]string{"submit", "--json"}, args...)...)
	var v struct {
		ID gigq.JobID `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	require.NotEmpty(t, v.ID)
	return v.ID
}

// status reads a job with "gigq status --json".
func status(t *testing.T, db string, id gigq.JobID) *gigq.Job {
	t.Helper()
	out := gigqOK(t, db, "status", string(id), "--json")
	var j gigq.Job
	require.NoError(t, json.Unmarshal([]byte(out), &j), out)
	return &j
}

// statusFields reads a job with "gigq status --json" as raw fields.
func statusFields(t *testing.T, db string, id gigq.JobID) map[string]json.RawMessage {
	t.Helper()
	out := gigqOK(t, db, "status", string(id), "--json")
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &m), out)
	return m
}

// stats reads "gigq stats --json".
func stats(t *testing.T, db string) gigq.Stats {
	t.Helper()
	var st gigq.Stats
	out := gigqOK(t, db, "stats", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st
}

// workOnce runs "gigq worker --once" and requires exit 0.
func workOnce(t *testing.T, db string) result {
	t.Helper()
	r := runCLI(t, "worker", "--once", "--db", db, "--worker-id", "test-worker")
	require.Equal(t, 0, r.code, "worker --once: stderr %q", r.stderr)
	return r
}

// keys returns the sorted keys of a JSON object.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// logLines decodes the JSON log lines of stderr.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(stderr) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "log line %q", line)
		out = append(out, m)
	}
	return out
}

// hasLog reports whether a log line has the message and the job id.
func hasLog(lines []map[string]any, msg string, id gigq.JobID) bool {
	return slices.ContainsFunc(lines, func(m map[string]any) bool {
		return m["message"] == msg && m["job_id"] == string(id)
	})
}
