package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/persistence/persistencetest"
)

// TestWorkerStopsOnDamagedFile: a page of the jobs table is zeroed under a
// running worker (gigq worker, and gigq worker --once). When the worker
// next touches the table (the running jobs' reports), it stops: it exits
// 1 with a message that names the file and gigq check, and its log says
// so once, at error level.
func TestWorkerStopsOnDamagedFile(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	for _, tc := range []struct {
		name string
		args []string
		jobs int
	}{
		{"worker", []string{"--concurrency", "2"}, 2},
		{"once", []string{"--once"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			for range tc.jobs {
				binSubmit(t, bin, db, "sleep", "-p", "seconds=1")
			}
			w := startWorker(t, bin, db, tc.args...)
			waitStats(t, bin, db, 30*time.Second, "the jobs running", func(st gigq.Stats) bool { return st.Running == tc.jobs })
			require.NoError(t, persistencetest.DamageTable(db, "jobs"))

			require.Equal(t, 1, w.wait(t, 20*time.Second), w.stderr.String())
			out := w.stderr.String()
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			require.True(t, strings.HasPrefix(last, "gigq: "+db+": "), out)
			require.Contains(t, last, "database file is damaged")
			require.Contains(t, last, "malformed", "what SQLite said")
			require.Contains(t, last, "run gigq check")
			// Said once in the log, and nothing else about it.
			require.Equal(t, 1, countLog(w, "database file is damaged: the node stopped writing and claiming; run gigq check"), out)
			require.Equal(t, 2, strings.Count(out, "malformed"), "the log line and the exit message only:\n%s", out)
		})
	}
}
