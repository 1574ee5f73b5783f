package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// envBenchJobs sets how many echo jobs BenchmarkWorkerProcesses burns down
// per run (default 5000).
const envBenchJobs = "GIGQ_BENCH_JOBS"

// BenchmarkWorkerProcesses measures the throughput of one, two and three
// "gigq worker --concurrency 4" processes on one file: each run submits N
// echo jobs first (not timed), then times the worker processes from their
// start until every job is completed, and reports jobs/s.
//
//	go test -run '^$' -bench WorkerProcesses -benchtime 1x -count 3 ./cmd/gigq
func BenchmarkWorkerProcesses(b *testing.B) {
	n := 5000
	if v := os.Getenv(envBenchJobs); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err, envBenchJobs)
	}
	bin := gigqBinary(b)
	for _, procs := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := filepath.Join(b.TempDir(), "gigq.db")
				submitMany(b, db, n, "echo", map[string]int{"n": 1}, nil)
				conn := openRO(b, db)
				b.StartTimer()
				start := time.Now()
				workers := make([]*proc, procs)
				for p := range workers {
					workers[p] = startWorker(b, bin, db, "--concurrency", "4")
				}
				deadline := start.Add(5 * time.Minute)
				for queryInt(b, conn, `SELECT count(*) FROM jobs WHERE status = 'completed'`) < n {
					if time.Now().After(deadline) {
						b.Fatalf("%d jobs not completed within 5m", n)
					}
					<-time.After(5 * time.Millisecond)
				}
				total += time.Since(start)
				b.StopTimer()
				for _, w := range workers {
					require.NoError(b, w.cmd.Process.Signal(syscall.SIGTERM))
				}
				for _, w := range workers {
					require.Equal(b, 0, w.wait(b, 30*time.Second), w.stderr.String())
				}
				require.Zero(b, queryInt(b, conn, `SELECT count(*) FROM jobs WHERE status != 'completed'`))
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "jobs/s")
		})
	}
}
