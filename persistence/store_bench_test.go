package persistence_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gigq-go/gigq/persistence"
)

// The store benchmarks time the write path the store actor drives: one
// transaction (BEGIN IMMEDIATE … COMMIT) per group commit of benchBatch
// commands, each command called directly, without a savepoint, as the
// actor's fast path does (actors/store.go, applyBatch). One op is one job,
// so ns/op is the cost of one job and jobs/s its rate. Ids are made in the
// timed loop, as the store actor's callers make them and as `gigq bench
// ceiling` does. Each runs on a new WAL file under b.TempDir(), with
// synchronous NORMAL (the default) and FULL; compare runs with benchstat:
//
//	go test -run '^$' -bench . -benchtime 20000x -count 10 ./persistence/ > new.txt
//	benchstat old.txt new.txt

// benchBatch is how many commands one benchmark transaction holds, as in
// `gigq bench ceiling`.
const benchBatch = 1000

// benchJobs are the jobs of one benchmark run and their executions.
type benchJobs struct {
	s     *persistence.Store
	ids   []persistence.JobID
	execs []persistence.ExecutionID
}

// A stage is one command of a job's life, applied to job i.
type stage func(j *benchJobs, i int) error

// insert writes job i, as a one-job submit does.
func (j *benchJobs) insert(i int) error {
	nj := newJob()
	j.ids[i] = nj.ID
	_, err := j.s.InsertJobs([]persistence.NewJob{nj}, time.Now())
	return err
}

// claim moves job i to running for a new execution.
func (j *benchJobs) claim(i int) error {
	exec, err := uuid.NewV7()
	if err != nil {
		return err
	}
	j.execs[i] = persistence.ExecutionID(exec.String())
	_, err = j.s.Claim(persistence.Claim{JobID: j.ids[i], ExecutionID: j.execs[i], WorkerID: "bench"})
	return err
}

// complete reports that job i's attempt completed.
func (j *benchJobs) complete(i int) error {
	_, err := j.s.Finish(persistence.Finish{JobID: j.ids[i], ExecutionID: j.execs[i], Outcome: persistence.OutcomeCompleted})
	return err
}

// run applies the stages to every job: per benchBatch jobs, one
// transaction per stage.
func (j *benchJobs) run(b *testing.B, stages ...stage) {
	b.Helper()
	for lo := 0; lo < len(j.ids); lo += benchBatch {
		hi := min(lo+benchBatch, len(j.ids))
		for _, do := range stages {
			if err := j.s.Begin(); err != nil {
				b.Fatal(err)
			}
			for i := lo; i < hi; i++ {
				if err := do(j, i); err != nil {
					_ = j.s.Rollback()
					b.Fatal(err)
				}
			}
			if err := j.s.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchStages runs one sub-benchmark per durability level, each on a
// store on a new file (closed when it ends) with b.N jobs: the setup
// stages are applied before the timer starts, then the timed ones.
func benchStages(b *testing.B, setup, timed []stage) {
	for _, sync := range []persistence.Sync{persistence.SyncNormal, persistence.SyncFull} {
		b.Run("sync="+string(sync), func(b *testing.B) {
			s, err := persistence.Open(filepath.Join(b.TempDir(), "gigq.db"), persistence.Options{Sync: sync})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if err := s.Close(); err != nil {
					b.Error(err)
				}
			})
			jobs := &benchJobs{s: s, ids: make([]persistence.JobID, b.N), execs: make([]persistence.ExecutionID, b.N)}
			jobs.run(b, setup...)
			b.ResetTimer()
			jobs.run(b, timed...)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkInsertJobs inserts b.N one-job submits, benchBatch per
// transaction.
func BenchmarkInsertJobs(b *testing.B) {
	benchStages(b, nil, []stage{(*benchJobs).insert})
}

// BenchmarkClaim claims b.N pending jobs (inserted before the timer
// starts), benchBatch per transaction.
func BenchmarkClaim(b *testing.B) {
	benchStages(b, []stage{(*benchJobs).insert}, []stage{(*benchJobs).claim})
}

// BenchmarkFinish completes b.N running jobs (inserted and claimed before
// the timer starts), benchBatch per transaction.
func BenchmarkFinish(b *testing.B) {
	benchStages(b, []stage{(*benchJobs).insert, (*benchJobs).claim}, []stage{(*benchJobs).complete})
}

// BenchmarkCycle inserts, claims and completes b.N jobs: per benchBatch
// jobs, one transaction of inserts, one of claims and one of completions,
// the transactions `gigq bench ceiling` times on its minimal table (which
// inserts every batch before it claims any). Its jobs/s is comparable with
// ceiling's jobs_per_sec: their ratio is what gigq's schema, execution
// rows and guards cost on top of raw SQLite.
func BenchmarkCycle(b *testing.B) {
	benchStages(b, nil, []stage{(*benchJobs).insert, (*benchJobs).claim, (*benchJobs).complete})
}
