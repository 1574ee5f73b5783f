package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/persistence/persistencetest"
)

// TestWorkerAndNodeStopOnDamagedFile: a page of the jobs table is zeroed under a
// running worker (gigq worker, gigq worker --once, and gigq node). When it
// next touches the table (the running jobs' reports), it stops: it exits
// 1 with a message that names the file and gigq check, and its log says
// so once, at error level.
func TestWorkerAndNodeStopOnDamagedFile(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	for _, tc := range []struct {
		name string
		args []string
		jobs int
	}{
		{"worker", []string{"worker", "--concurrency", "2"}, 2},
		{"once", []string{"worker", "--once"}, 1},
		{"node", []string{"node", "--http", "127.0.0.1:0", "--concurrency", "2"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			for range tc.jobs {
				binSubmit(t, bin, db, "sleep", "-p", "seconds=1")
			}
			w := startProc(t, bin, append(tc.args, "--db", db, "--log-level", "warn", "--log-format", "json")...)
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
