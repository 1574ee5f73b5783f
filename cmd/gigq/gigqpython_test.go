package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/testdb"
)

// readmeBlock returns the first ```sh block of the README's section with
// the given heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	s := string(readme)
	i := strings.Index(s, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "README.md has no %q section", heading)
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	require.GreaterOrEqual(t, start, 0, "README.md's %q section has no ```sh block", heading)
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "```")
	require.GreaterOrEqual(t, end, 0)
	return s[:end]
}

// TestComingFromGigQ runs the README's "Coming from GigQ (Python)" recipe
// on a GigQ 0.5.1 database: GigQ's pending jobs become gigq exec jobs with
// their names and options, a worker with --allow-exec runs each GigQ
// function in Python with its params, and the job's result is the
// function's return value. GigQ's file is left as it was.
func TestComingFromGigQ(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "sqlite3", "jq", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the recipe needs %s, which is not installed", tool)
		}
	}
	bin := gigqBinary(t)
	script := readmeBlock(t, "### Coming from GigQ (Python)")
	var lines []string
	for _, l := range strings.Split(script, "\n") {
		if !strings.HasPrefix(l, "gigq worker") { // the test runs the worker itself, with --once
			lines = append(lines, l)
		}
	}
	dir := t.TempDir()
	testdb.GigQPython(t, filepath.Join(dir, "gigq-python.db"),
		[4]string{"add numbers", "tasks", "add", `{"a": 1, "b": 2}`},
		[4]string{"greet", "tasks", "greet", `{"name": "Ada"}`})
	before := testdb.Take(t, filepath.Join(dir, "gigq-python.db"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tasks.py"),
		[]byte("def add(a, b):\n    return a + b\n\n\ndef greet(name):\n    return {'hello': name}\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(lines, "\n"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, 2, strings.Count(string(out), "Job submitted"), "%s", out)

	db := filepath.Join(dir, "gigq.db")
	for range 2 {
		w := exec.CommandContext(ctx, bin, "worker", "--once", "--allow-exec", "--db", db)
		w.Dir = dir
		o, err := w.CombinedOutput()
		require.NoError(t, err, "%s", o)
	}
	var jobs []*gigq.Job
	require.NoError(t, json.Unmarshal(binOutput(t, bin, "list", "--json", "--db", db), &jobs))
	require.Len(t, jobs, 2)
	results := map[string]string{}
	for _, j := range jobs {
		require.Equal(t, gigq.StatusCompleted, j.Status, "%s: %s", j.Name, j.Error)
		var res struct{ Stdout string }
		require.NoError(t, json.Unmarshal(j.Result, &res))
		results[j.Name] = res.Stdout
	}
	require.Equal(t, map[string]string{"add numbers": "3\n", "greet": `{"hello": "Ada"}` + "\n"}, results)
	require.Equal(t, before.Sum, testdb.Take(t, filepath.Join(dir, "gigq-python.db")).Sum, "GigQ's file was only read")
	require.NoFileExists(t, filepath.Join(dir, "gigq-python.db-wal"))
}
