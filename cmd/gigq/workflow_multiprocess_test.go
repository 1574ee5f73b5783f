package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestWorkflowAcrossWorkerProcesses submits a workflow file (a fan-out of
// 100 short sleeps and a fan-in, then a chain of 20) with "gigq workflow submit"
// to two "gigq worker" processes on one file. Each process releases the
// children of the jobs it completes, and hears of the other's through the
// file: every job completes exactly once, each after its parents, the
// fan-in sees its 100 parents' results in order, and the workflow ends
// completed.
func TestWorkflowAcrossWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	t.Parallel()
	const width, chainLen = 100, 20
	var f strings.Builder
	f.WriteString("name: across\njobs:\n  - {key: root, function: echo, params: {step: root}}\n")
	var mids []string
	for i := range width {
		k := fmt.Sprintf("m%03d", i)
		mids = append(mids, k)
		// 20 ms each: long enough that the second process, which hears
		// of them through the file, gets its share.
		fmt.Fprintf(&f, "  - {key: %s, function: sleep, params: {seconds: 0.02}, depends_on: [root]}\n", k)
	}
	fmt.Fprintf(&f, "  - {key: sink, function: echo, depends_on: [%s]}\n", strings.Join(mids, ", "))
	prev := "sink"
	for i := range chainLen {
		k := fmt.Sprintf("c%02d", i)
		fmt.Fprintf(&f, "  - {key: %s, function: echo, depends_on: [%s]}\n", k, prev)
		prev = k
	}
	file := writeFile(t, "across.yaml", f.String())

	bin := gigqBinary(t)
	db := newDB(t)
	ids := workerIDs("flow", 2)
	binStats(t, bin, db) // creates the file, so the workers do not race to
	workers := []*proc{
		startWorker(t, bin, db, "--concurrency", "2", "--worker-id", ids[0]),
		startWorker(t, bin, db, "--concurrency", "2", "--worker-id", ids[1]),
	}
	waitRegistered(t, db, ids...)

	out := binOutput(t, bin, "workflow", "submit", file, "--json", "--db", db)
	var sub struct {
		ID   gigq.WorkflowID       `json:"workflow_id"`
		Jobs map[string]gigq.JobID `json:"jobs"`
	}
	require.NoError(t, json.Unmarshal(out, &sub), string(out))
	total := 1 + width + 1 + chainLen
	require.Len(t, sub.Jobs, total)

	deadline := time.Now().Add(2 * time.Minute)
	var info gigq.WorkflowInfo
	for {
		out := binOutput(t, bin, "workflow", "status", string(sub.ID), "--json", "--db", db)
		require.NoError(t, json.Unmarshal(out, &info), string(out))
		if info.Status != gigq.WorkflowRunning {
			break
		}
		require.True(t, time.Now().Before(deadline), "workflow still running: %+v", info.Counts)
		<-time.After(50 * time.Millisecond)
	}
	require.Equal(t, gigq.WorkflowCompleted, info.Status, "%+v", info.Counts)
	for _, p := range workers {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, p := range workers {
		require.Equal(t, 0, p.wait(t, 30*time.Second), p.stderr.String())
	}
	requireExactlyOnce(t, db, total)

	conn := openRO(t, db)
	late := queryRows(t, conn, `SELECT c.name, p.name FROM job_dependencies d
		JOIN jobs c ON c.id = d.job_id JOIN jobs p ON p.id = d.parent_id
		WHERE c.started_at < p.completed_at LIMIT 5`)
	require.Empty(t, late, "jobs that started before a parent completed (child, parent)")
	for _, id := range ids {
		n := queryInt(t, conn, `SELECT count(*) FROM job_executions WHERE worker_id = ?`, id)
		t.Logf("%s ran %d jobs", id, n)
		require.Positive(t, n, "both processes ran part of the workflow")
	}

	sink := binStatus(t, bin, db, sub.Jobs["sink"])
	top, err := objectMembers(sink.Result)
	require.NoError(t, err)
	require.Equal(t, []string{"parent_results"}, memberKeys(top))
	parents, err := objectMembers(top[0].value)
	require.NoError(t, err)
	want := make([]string, width)
	for i, k := range mids {
		want[i] = string(sub.Jobs[k])
	}
	require.Equal(t, want, memberKeys(parents), "the fan-in's parent results, in dependency order")
}
