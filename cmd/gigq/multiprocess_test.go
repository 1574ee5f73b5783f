package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestThreeWorkerProcesses runs three "gigq worker" processes on one file
// while this process submits 3,000 echo jobs through the Go API (and a few
// through "gigq submit" processes): each job has exactly one completed
// execution, and the processes shared the work.
func TestThreeWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	t.Parallel()
	const (
		jobs      = 3000
		cliJobs   = 20
		processes = 3
	)
	bin := gigqBinary(t)
	db := newDB(t)
	// Create the file first so the workers do not race to create it.
	binSubmit(t, bin, db, "echo", "-p", "via=cli")

	ids := workerIDs("multi", processes)
	workers := make([]*proc, processes)
	for i, id := range ids {
		workers[i] = startWorker(t, bin, db, "--concurrency", "2", "--worker-id", id)
	}
	conn := openRO(t, db)
	deadline := time.Now().Add(30 * time.Second)
	for queryInt(t, conn, `SELECT count(*) FROM nodes`) < processes {
		require.True(t, time.Now().Before(deadline), "the worker nodes did not register")
		<-time.After(10 * time.Millisecond)
	}

	start := time.Now()
	var wg sync.WaitGroup
	cliErr := make(chan error, cliJobs)
	wg.Go(func() { // gigq submit processes, four at a time, meanwhile
		sem := make(chan struct{}, 4)
		var inner sync.WaitGroup
		for i := 1; i < cliJobs; i++ {
			sem <- struct{}{}
			inner.Go(func() {
				defer func() { <-sem }()
				out, err := execBin(bin, "submit", "echo", "-p", "via=cli", "-p", "n="+strconv.Itoa(i), "--db", db)
				if err != nil {
					cliErr <- fmt.Errorf("gigq submit: %w: %s", err, out)
				}
			})
		}
		inner.Wait()
	})
	submitMany(t, db, jobs-cliJobs, "echo", map[string]string{"via": "api"}, nil)
	wg.Wait()
	close(cliErr)
	for err := range cliErr {
		require.NoError(t, err)
	}
	waitStats(t, bin, db, 90*time.Second, "every job completed", func(st gigq.Stats) bool {
		require.Zero(t, st.Failed+st.Timeout+st.Cancelled, "%+v", st)
		return st.Completed == jobs
	})
	elapsed := time.Since(start)
	t.Logf("%d jobs submitted and run by %d worker processes in %s: %.0f jobs/s",
		jobs, processes, elapsed.Round(time.Millisecond), float64(jobs)/elapsed.Seconds())

	for _, p := range workers {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, p := range workers {
		require.Equal(t, 0, p.wait(t, 30*time.Second), p.stderr.String())
	}
	requireExactlyOnce(t, db, jobs)
	require.Equal(t, jobs, queryInt(t, conn, `SELECT count(*) FROM job_executions`), "one execution per job")
	require.Equal(t, cliJobs, queryInt(t, conn, `SELECT count(*) FROM jobs WHERE params LIKE '%"cli"%'`))
	// Which idle process claims a new job first is a race, so the split can
	// be very uneven (one process ran 8 of 3,000 in a test run); require
	// only that the work was shared.
	sharing := 0
	for _, id := range ids {
		n := queryInt(t, conn, `SELECT count(*) FROM job_executions WHERE worker_id = ?`, id)
		t.Logf("%s ran %d jobs", id, n)
		if n > 0 {
			sharing++
		}
	}
	require.GreaterOrEqual(t, sharing, 2, "the worker processes did not share the jobs")
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM nodes`), "node rows left behind")
}

// execBin runs the binary once (killed after testTimeout) and returns its
// combined output.
func execBin(bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	return exec.CommandContext(ctx, bin, args...).CombinedOutput()
}
