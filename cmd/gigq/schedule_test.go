package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestScheduleCLI(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	out := gigqOK(t, db, "schedule", "add", "hourly", "--cron", "0 * * * *", "echo", "-p", "n=3", "-p", "s=hi",
		"--priority", "7", "--max-attempts", "2", "--timeout", "60", "--retry-delay", "1.5", "--description", "every hour",
		"--name", "report", "--timezone", "Europe/Berlin", "--catch-up", "skip")
	require.Contains(t, out, "Schedule added: hourly (next run ")
	gigqOK(t, db, "schedule", "add", "daily", "--cron", "@daily", "echo")

	var all []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(gigqOK(t, db, "schedule", "list", "--json")), &all))
	require.Len(t, all, 2)
	require.Equal(t, `"daily"`, string(all[0]["name"]))
	h := all[1]
	for field, want := range map[string]string{
		"name": `"hourly"`, "cron": `"0 * * * *"`, "timezone": `"Europe/Berlin"`, "function": `"echo"`,
		"job_name": `"report"`, "priority": `7`, "max_attempts": `2`, "timeout": `60`, "retry_delay": `1.5`,
		"description": `"every hour"`, "enabled": `true`, "catch_up": `"skip"`, "last_run": `null`,
	} {
		require.Equal(t, want, string(h[field]), field)
	}
	require.JSONEq(t, `{"n":3,"s":"hi"}`, string(h["params"]))
	var next time.Time
	require.NoError(t, json.Unmarshal(h["next_run"], &next))
	require.True(t, next.After(time.Now()))
	require.Zero(t, next.Minute())

	table := gigqOK(t, db, "schedule", "list")
	require.Contains(t, table, "NAME")
	require.Contains(t, table, "NEXT RUN")
	require.Regexp(t, `hourly\s+0 \* \* \* \*\s+Europe/Berlin\s+echo\s+true\s+-\s+\d{4}-`, table)

	require.Contains(t, gigqOK(t, db, "schedule", "pause", "hourly"), "Schedule paused: hourly")
	require.Regexp(t, `hourly\s+.*\s+false\s+-\s+-`, gigqOK(t, db, "schedule", "list"))
	require.Contains(t, gigqOK(t, db, "schedule", "resume", "hourly"), "Schedule resumed: hourly")
	require.Contains(t, gigqOK(t, db, "schedule", "remove", "daily"), "Schedule removed: daily")
	require.NoError(t, json.Unmarshal([]byte(gigqOK(t, db, "schedule", "list", "--json")), &all))
	require.Len(t, all, 1)
	gigqOK(t, db, "schedule", "remove", "hourly")
	require.Equal(t, "No schedules.\n", gigqOK(t, db, "schedule", "list"))
	require.Equal(t, "[]\n", gigqOK(t, db, "schedule", "list", "--json"))
}

func TestScheduleCLIErrors(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	gigqOK(t, db, "schedule", "add", "a", "--cron", "@hourly", "echo")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"schedule", "add", "a", "--cron", "@hourly", "echo"}, exitRuntime, `schedule "a" exists`},
		{[]string{"schedule", "add", "b", "echo"}, exitUsage, "--cron is required"},
		{[]string{"schedule", "add", "b", "--cron", "61 * * * *", "echo"}, exitUsage, "cron expression"},
		{[]string{"schedule", "add", "b", "--cron", "@hourly", "--timezone", "Nowhere/Town", "echo"}, exitUsage, "unknown time zone"},
		{[]string{"schedule", "add", "b", "--cron", "@hourly", "--catch-up", "all", "echo"}, exitUsage, "--catch-up"},
		{[]string{"schedule", "add", "b", "--cron", "@hourly", "-p", "novalue", "echo"}, exitUsage, "key=value"},
		{[]string{"schedule", "add", "b", "--cron", "@hourly"}, exitUsage, "two arguments"},
		{[]string{"schedule", "remove", "nope"}, exitRuntime, `schedule "nope" not found`},
		{[]string{"schedule", "pause", "nope"}, exitRuntime, "not found"},
		{[]string{"schedule", "resume"}, exitUsage, "schedule name"},
	} {
		r := runCLI(t, append(tc.args, "--db", db)...)
		require.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
}

// TestScheduleCLIWithRunningWorker: a schedule added from the command line
// reaches a worker process that runs on the same file, which enqueues
// (and runs) its jobs.
func TestScheduleCLIWithRunningWorker(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	binOutput(t, bin, "stats", "--db", db) // create the file
	startWorker(t, bin, db)
	binOutput(t, bin, "schedule", "add", "tick", "--cron", "* * * * * *", "echo", "-p", "message=tick", "--db", db)
	waitStats(t, bin, db, 20*time.Second, "two scheduled jobs completed", func(s gigq.Stats) bool { return s.Completed >= 2 })
	binOutput(t, bin, "schedule", "pause", "tick", "--db", db)
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(binOutput(t, bin, "schedule", "list", "--json", "--db", db), &raw))
	require.Len(t, raw, 1)
	require.NotNil(t, raw[0]["last_run"])
	require.Equal(t, false, raw[0]["enabled"])
}
