package main

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestCrashKill9 runs two worker processes on one file and kill -9s one of
// them at random moments, restarting it each time: every acknowledged job
// still completes exactly once, no attempt count goes over max_attempts,
// and nothing stays RUNNING.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process crash test")
	}
	t.Parallel()
	const (
		jobs  = 2000
		kills = 4
	)
	bin := gigqBinary(t)
	db := newDB(t)
	submitMany(t, db, jobs, "sleep", map[string]float64{"seconds": 0.003}, &gigq.SubmitOpts{MaxAttempts: 5})

	stable := startWorker(t, bin, db, "--concurrency", "2", "--worker-id", "stable")
	victimID := func(i int) string { return fmt.Sprintf("victim-%d", i) }
	victim := startWorker(t, bin, db, "--concurrency", "2", "--worker-id", victimID(0))

	killedAt := make(map[string]time.Time, kills)
	completed := 0
	for i := range kills {
		// Each kill leaves work for the next ones: a poll may see the
		// count far past the last target when workers run fast.
		target := min(completed+100+rand.IntN(250), jobs-(kills-i)*100)
		st := waitStats(t, bin, db, time.Minute, fmt.Sprintf("%d completed before kill %d", target, i+1),
			func(st gigq.Stats) bool { return st.Completed >= target })
		completed = st.Completed
		killedAt[victimID(i)] = victim.kill9(t)
		t.Logf("kill -9 %s at %d completed, %d running", victimID(i), st.Completed, st.Running)
		if i%2 == 1 {
			// The stable node alone reclaims this one's jobs (at its next
			// heartbeat: the dead process was on this host), before the
			// restart could.
			waitNoneRunning(t, db, victimID(i), 30*time.Second)
		}
		victim = startWorker(t, bin, db, "--concurrency", "2", "--worker-id", victimID(i+1))
	}

	waitStats(t, bin, db, 2*time.Minute, "every job completed", func(st gigq.Stats) bool {
		require.Zero(t, st.Failed+st.Timeout+st.Cancelled, "%+v", st)
		return st.Completed == jobs
	})
	// The last victim may still be starting when the work runs out.
	waitRegistered(t, db, "stable", victimID(kills))
	for _, p := range []*proc{stable, victim} {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, p.wait(t, 30*time.Second), p.stderr.String())
	}

	requireExactlyOnce(t, db, jobs)

	// Each attempt a kill interrupted was closed as "node <id> lost" by a
	// live node; how long after the kill that happened is the reclaim time.
	conn := openRO(t, db)
	lost := 0
	for i := range kills {
		id := victimID(i)
		rows := queryRows(t, conn, `SELECT completed_at, error FROM job_executions WHERE worker_id = ? AND status = 'failed'`, id)
		for _, r := range rows {
			require.Equal(t, fmt.Sprintf("node %s lost", id), r[1])
			at, err := time.Parse(time.RFC3339Nano, r[0])
			require.NoError(t, err)
			t.Logf("%s: attempt reclaimed %s after kill -9", id, at.Sub(killedAt[id]).Round(time.Millisecond))
		}
		lost += len(rows)
	}
	require.Positive(t, lost, "the kills interrupted no attempt")
	require.Zero(t, queryInt(t, conn, `SELECT count(*) FROM nodes`), "node rows left behind")
	require.Equal(t, lost, queryInt(t, conn, `SELECT count(*) FROM job_executions WHERE status != 'completed'`),
		"only the killed attempts failed")
}

// waitNoneRunning polls until no job is RUNNING on worker id, for at most d.
func waitNoneRunning(t *testing.T, db, id string, d time.Duration) {
	t.Helper()
	conn := openRO(t, db)
	deadline := time.Now().Add(d)
	for queryInt(t, conn, `SELECT count(*) FROM jobs WHERE status = 'running' AND worker_id = ?`, id) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("jobs of %s still RUNNING %s after it was killed", id, d)
		}
		<-time.After(10 * time.Millisecond)
	}
}
