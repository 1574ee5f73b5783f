package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestSubmitText(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := runCLI(t, "submit", "echo", "--db", db)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	m := regexp.MustCompile(`^Job submitted: ([0-9a-f-]{36})\n$`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	j := status(t, db, gigq.JobID(m[1]))
	require.Equal(t, gigq.StatusPending, j.Status)
}

func TestSubmitJSONAndDefaults(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	out := gigqOK(t, db, "submit", "echo", "--json")
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &m), out)
	require.Equal(t, []string{"id"}, keys(m))
	require.Regexp(t, `^\{"id":"[0-9a-f-]{36}"\}\n$`, out)

	f := statusFields(t, db, gigq.JobID(m["id"]))
	require.JSONEq(t, `"echo"`, string(f["name"]), "--name defaults to the handler")
	require.JSONEq(t, `"echo"`, string(f["function"]))
	require.JSONEq(t, `{}`, string(f["params"]))
	require.JSONEq(t, `0`, string(f["priority"]))
	require.JSONEq(t, `3`, string(f["max_attempts"]))
	require.JSONEq(t, `300`, string(f["timeout"]))
	require.JSONEq(t, `0`, string(f["retry_delay"]))
	require.JSONEq(t, `""`, string(f["description"]))
	require.JSONEq(t, `[]`, string(f["dependencies"]))
}

func TestSubmitOptions(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "sleep", "--name", "nap time", "--priority", "-7", "--max-attempts", "5",
		"--timeout", "0.5", "--retry-delay", "1.25", "--description", "a <short> nap & more")
	f := statusFields(t, db, id)
	require.JSONEq(t, `"nap time"`, string(f["name"]))
	require.JSONEq(t, `"sleep"`, string(f["function"]))
	require.JSONEq(t, `-7`, string(f["priority"]))
	require.JSONEq(t, `5`, string(f["max_attempts"]))
	require.JSONEq(t, `0.5`, string(f["timeout"]))
	require.JSONEq(t, `1.25`, string(f["retry_delay"]))
	require.JSONEq(t, `"a <short> nap & more"`, string(f["description"]))
}

func TestSubmitParams(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo", "-p", "n=3", "-p", "s=hello", "--param", `o={"a":1,"b":[true,null]}`,
		"-p", "f=2.5", "-p", "b=false", "-p", "empty=", "-p", "eq=a=b", "-p", "sp=hello world", "-p", "quoted=\"3\"",
		"-p", "dup=1", "-p", "dup=2")
	f := statusFields(t, db, id)
	require.JSONEq(t, `{"n":3,"s":"hello","o":{"a":1,"b":[true,null]},"f":2.5,"b":false,"empty":"",
		"eq":"a=b","sp":"hello world","quoted":"3","dup":2}`, string(f["params"]))

	for _, bad := range [][]string{{"-p", "novalue"}, {"-p", "=3"}, {"-p", "a=1", "-p", "b"}} {
		r := runCLI(t, append([]string{"submit", "echo", "--db", db}, bad...)...)
		require.Equal(t, 2, r.code, "%v: %s", bad, r.stderr)
		require.Contains(t, r.stderr, "gigq: invalid --param")
		require.Empty(t, r.stdout)
	}
	require.Equal(t, 1, stats(t, db).Total, "a refused submit writes nothing")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{
		{"bogus"},
		{"submit"},
		{"submit", "a", "b"},
		{"submit", "echo", "--bogus"},
		{"submit", "echo", "--priority", "high"},
		{"submit", "echo", "--max-attempts", "0"},
		{"submit", "echo", "--timeout", "0"},
		{"submit", "echo", "--timeout", "-1"},
		{"submit", "echo", "--timeout", "soon"},
		{"submit", "echo", "--retry-delay", "-0.5"},
		{"status"},
		{"status", "a", "b"},
		{"cancel"},
		{"requeue", "a", "b"},
		{"list", "extra"},
		{"list", "--limit", "0"},
		{"stats", "--log-level", "loud"},
		{"stats", "--log-format", "xml"},
		{"clear", "--before", "-1"},
		{"worker", "--concurrency", "0"},
	} {
		r := runCLI(t, append(args, "--db", db)...)
		require.Equal(t, 2, r.code, "%v: stdout %q stderr %q", args, r.stdout, r.stderr)
		require.True(t, strings.HasPrefix(r.stderr, "gigq: "), "%v: %q", args, r.stderr)
		require.Contains(t, r.stderr, "--help", args)
		require.Empty(t, r.stdout, args)
	}
	require.Equal(t, 0, stats(t, db).Total)
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "--help")
	require.Equal(t, 0, r.code)
	for _, c := range []string{"submit", "status", "list", "stats", "cancel", "requeue", "clear", "worker", "workflow", "demo", "version", "--version"} {
		require.Contains(t, r.stdout, c)
	}
	r = runCLI(t, "submit", "--help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "--max-attempts")
}

func TestEnvDB(t *testing.T) {
	t.Parallel()
	envDBPath, flagDB := newDB(t), newDB(t)
	getenv := func(k string) string {
		if k == envDB {
			return envDBPath
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.Equal(t, 0, runEnv(ctx, []string{"submit", "echo"}, &stdout, &stderr, getenv), stderr.String())
	require.Equal(t, 0, runEnv(ctx, []string{"submit", "echo", "--db", flagDB}, &stdout, &stderr, getenv), stderr.String())
	require.Equal(t, 0, runEnv(ctx, []string{"submit", "echo", "--db", flagDB}, &stdout, &stderr, getenv), stderr.String())
	require.Equal(t, 1, stats(t, envDBPath).Total, "GIGQ_DB is used without --db")
	require.Equal(t, 2, stats(t, flagDB).Total, "--db wins over GIGQ_DB")
}

func TestStatusJSONFields(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo", "-p", "msg=hi", "--priority", "2", "--description", "d")
	before := statusFields(t, db, id)
	require.JSONEq(t, `null`, string(before["started_at"]))
	require.JSONEq(t, `null`, string(before["completed_at"]))
	require.JSONEq(t, `null`, string(before["worker_id"]))
	require.JSONEq(t, `null`, string(before["result"]))
	require.JSONEq(t, `[]`, string(before["executions"]))

	workOnce(t, db)
	f := statusFields(t, db, id)
	require.Equal(t, sorted("id", "name", "function", "params", "priority", "dependencies", "workflow_id", "max_attempts",
		"timeout", "retry_delay", "description", "status", "attempts", "result", "error", "worker_id",
		"created_at", "updated_at", "started_at", "completed_at", "executions", "run_at", "unique_key", "progress", "queue"), keys(f))
	require.JSONEq(t, `"`+string(id)+`"`, string(f["id"]))
	require.JSONEq(t, `"completed"`, string(f["status"]))
	require.JSONEq(t, `1`, string(f["attempts"]))
	require.JSONEq(t, `{"msg":"hi"}`, string(f["result"]))
	require.JSONEq(t, `null`, string(f["error"]))
	require.JSONEq(t, `"test-worker"`, string(f["worker_id"]))
	for _, k := range []string{"created_at", "updated_at", "started_at", "completed_at"} {
		requireUTC(t, f[k], k)
	}

	var execs []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(f["executions"], &execs))
	require.Len(t, execs, 1)
	e := execs[0]
	require.Equal(t, sorted("id", "job_id", "worker_id", "status", "started_at", "completed_at", "result", "error"), keys(e))
	require.JSONEq(t, `"`+string(id)+`"`, string(e["job_id"]))
	require.JSONEq(t, `"test-worker"`, string(e["worker_id"]))
	require.JSONEq(t, `"completed"`, string(e["status"]))
	require.JSONEq(t, `{"msg":"hi"}`, string(e["result"]))
	require.JSONEq(t, `null`, string(e["error"]))
	requireUTC(t, e["started_at"], "execution started_at")
	requireUTC(t, e["completed_at"], "execution completed_at")
}

// requireUTC checks that a JSON value is a UTC RFC 3339 time.
func requireUTC(t *testing.T, raw json.RawMessage, field string) {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), "%s: %s", field, raw)
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err, field)
	require.True(t, strings.HasSuffix(s, "Z"), "%s is not UTC: %s", field, s)
	require.WithinDuration(t, time.Now(), ts, time.Minute, field)
}

func TestStatusHuman(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo", "-p", "greeting=hello", "--name", "greet")
	out := gigqOK(t, db, "status", string(id))
	for _, want := range []string{"Job ID:", string(id), "Name:", "greet", "Function:", "echo", "Status:", "pending",
		"Priority:", "Attempts:", "0/3", "Created:", "Updated:", "Started:", "Completed:", "Worker:", "Error:"} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "Params:")
	require.NotContains(t, out, "Executions")
	require.Regexp(t, `Created:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n`, out)

	workOnce(t, db)
	out = gigqOK(t, db, "status", string(id), "--show-params", "--show-result", "--show-executions")
	for _, want := range []string{"completed", "1/3", "test-worker", "Params:", `"greeting": "hello"`, "Result:",
		"Executions (1):", "1. "} {
		require.Contains(t, out, want)
	}
}

func TestStatusUnknownID(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{{"status", "no-such-job"}, {"status", "no-such-job", "--json"}} {
		r := runCLI(t, append(args, "--db", db)...)
		require.Equal(t, 1, r.code)
		require.Empty(t, r.stdout)
		require.Contains(t, r.stderr, "gigq: ")
		require.Contains(t, r.stderr, "not found")
		require.Contains(t, r.stderr, "no-such-job")
		require.NotContains(t, r.stderr, "--help", "a runtime error is not a usage error")
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	var ids []gigq.JobID
	for i := range 4 {
		ids = append(ids, submit(t, db, "echo", "--name", "job"+string(rune('a'+i))))
	}
	gigqOK(t, db, "cancel", string(ids[1]))

	list := func(args ...string) []map[string]json.RawMessage {
		t.Helper()
		out := gigqOK(t, db, append([]string{"list", "--json"}, args...)...)
		var jobs []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
		return jobs
	}
	idsOf := func(jobs []map[string]json.RawMessage) []gigq.JobID {
		var out []gigq.JobID
		for _, j := range jobs {
			var id gigq.JobID
			require.NoError(t, json.Unmarshal(j["id"], &id))
			out = append(out, id)
		}
		return out
	}
	all := list()
	require.Equal(t, []gigq.JobID{ids[3], ids[2], ids[1], ids[0]}, idsOf(all), "newest first")
	for _, j := range all {
		require.NotContains(t, j, "executions")
		require.Contains(t, j, "status")
		require.Contains(t, j, "created_at")
	}
	require.Equal(t, []gigq.JobID{ids[1]}, idsOf(list("--status", "cancelled")))
	require.Equal(t, []gigq.JobID{ids[3], ids[2], ids[0]}, idsOf(list("--status", "pending")))
	require.Equal(t, []gigq.JobID{ids[3], ids[2]}, idsOf(list("--limit", "2")))
	require.Equal(t, []gigq.JobID{ids[3]}, idsOf(list("--limit", "1", "--status", "pending")))
	require.Equal(t, []gigq.JobID{ids[1], ids[0]}, idsOf(list("--limit", "2", "--before", string(ids[2]))), "the next page")
	require.Equal(t, []gigq.JobID{ids[0]}, idsOf(list("--status", "pending", "--before", string(ids[2]))))
	require.Empty(t, list("--status", "completed"))
	require.Equal(t, "[]\n", gigqOK(t, db, "list", "--json", "--status", "failed"))

	out := gigqOK(t, db, "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	require.Regexp(t, `^ID\s+NAME\s+STATUS\s+PRIORITY\s+CREATED\s+UPDATED$`, lines[0])
	require.Regexp(t, `^`+string(ids[3])+`\s+jobd\s+pending\s+0\s+\S+Z\s+\S+Z$`, lines[1])
	require.Contains(t, lines[3], "cancelled")
	require.Equal(t, "No completed jobs.\n", gigqOK(t, db, "list", "--status", "completed"))
}

func TestListUnknownStatus(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := runCLI(t, "list", "--status", "done", "--db", db)
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, `"done"`)
	for _, s := range gigq.Statuses() {
		require.Contains(t, r.stderr, string(s))
	}
	require.Contains(t, r.stderr, "pending, running, completed, failed, cancelled, timeout")
}

func TestStats(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	require.Equal(t, `{"pending":0,"running":0,"completed":0,"failed":0,"cancelled":0,"timeout":0,"total":0}`+"\n",
		gigqOK(t, db, "stats", "--json"))
	a := submit(t, db, "echo")
	submit(t, db, "echo")
	submit(t, db, "echo")
	gigqOK(t, db, "cancel", string(a))
	workOnce(t, db)
	require.Equal(t, gigq.Stats{Pending: 1, Completed: 1, Cancelled: 1, Total: 3}, stats(t, db))

	out := gigqOK(t, db, "stats")
	require.Regexp(t, `(?m)^STATUS\s+COUNT$`, out)
	require.Regexp(t, `(?m)^pending\s+1$`, out)
	require.Regexp(t, `(?m)^completed\s+1$`, out)
	require.Regexp(t, `(?m)^cancelled\s+1$`, out)
	require.Regexp(t, `(?m)^total\s+3$`, out)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo")
	require.Equal(t, "Job "+string(id)+" cancelled.\n", gigqOK(t, db, "cancel", string(id)))
	require.Equal(t, gigq.StatusCancelled, status(t, db, id).Status)

	r := runCLI(t, "cancel", string(id), "--db", db)
	require.Equal(t, 1, r.code)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, string(id))
	require.Contains(t, r.stderr, "it is cancelled")

	done := submit(t, db, "echo")
	workOnce(t, db)
	r = runCLI(t, "cancel", string(done), "--db", db)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "it is completed")

	r = runCLI(t, "cancel", "no-such-job", "--db", db)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "not found")
}

func TestRequeue(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	failed := submit(t, db, "fail", "--max-attempts", "1")
	workOnce(t, db)
	j := status(t, db, failed)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, "fail handler", j.Error)

	require.Equal(t, "Job "+string(failed)+" requeued.\n", gigqOK(t, db, "requeue", string(failed)))
	f := statusFields(t, db, failed)
	require.JSONEq(t, `"pending"`, string(f["status"]))
	require.JSONEq(t, `0`, string(f["attempts"]))
	require.JSONEq(t, `null`, string(f["error"]))

	r := runCLI(t, "requeue", string(failed), "--db", db)
	require.Equal(t, 1, r.code, "a pending job cannot be requeued")
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, string(failed))
	require.Contains(t, r.stderr, "it is pending")

	cancelled := submit(t, db, "echo")
	gigqOK(t, db, "cancel", string(cancelled))
	gigqOK(t, db, "requeue", string(cancelled))
	require.Equal(t, gigq.StatusPending, status(t, db, cancelled).Status)

	r = runCLI(t, "requeue", "no-such-job", "--db", db)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "not found")
}

func TestClear(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	done := submit(t, db, "echo", "--priority", "9")
	c1, c2 := submit(t, db, "echo"), submit(t, db, "echo")
	failed := submit(t, db, "fail", "--max-attempts", "1", "--priority", "5")
	pending := submit(t, db, "echo", "--priority", "-1")
	workOnce(t, db) // done, the highest priority
	workOnce(t, db) // failed
	gigqOK(t, db, "cancel", string(c1))
	gigqOK(t, db, "cancel", string(c2))
	require.Equal(t, gigq.Stats{Pending: 1, Completed: 1, Failed: 1, Cancelled: 2, Total: 5}, stats(t, db))

	require.Equal(t, "Cleared 0 jobs.\n", gigqOK(t, db, "clear", "--before", "1"), "they finished just now")
	require.Equal(t, "Cleared 0 jobs.\n", gigqOK(t, db, "clear", "--before", "0.5"))
	require.Equal(t, "Cleared 3 jobs.\n", gigqOK(t, db, "clear"))
	require.Equal(t, gigq.Stats{Pending: 1, Failed: 1, Total: 2}, stats(t, db))
	for _, id := range []gigq.JobID{done, c1, c2} {
		r := runCLI(t, "status", string(id), "--db", db)
		require.Equal(t, 1, r.code, "cleared job %s", id)
	}
	require.Equal(t, gigq.StatusFailed, status(t, db, failed).Status)
	require.Equal(t, gigq.StatusPending, status(t, db, pending).Status)

	gigqOK(t, db, "cancel", string(pending))
	require.Equal(t, "Cleared 1 job.\n", gigqOK(t, db, "clear", "--before", "0"))
}

func TestJSONStdoutStaysClean(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	id := submit(t, db, "echo")
	for _, args := range [][]string{
		{"status", string(id), "--json"}, {"list", "--json"}, {"stats", "--json"}, {"submit", "echo", "--json"},
	} {
		r := runCLI(t, append(args, "--db", db, "--log-level", "debug", "--log-format", "json")...)
		require.Equal(t, 0, r.code, r.stderr)
		require.True(t, json.Valid([]byte(r.stdout)), "%v: stdout is not one JSON value: %q", args, r.stdout)
		require.Equal(t, 1, strings.Count(r.stdout, "\n"))
		require.NotEmpty(t, r.stderr, "debug logs go to stderr")
		logLines(t, r.stderr) // every stderr line is a JSON log line
	}
}
