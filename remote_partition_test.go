//go:build unix

package gigq_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestRemoteSilentNodeIsLostAndRejoins stops a worker node's process
// (SIGSTOP: its connection stays open but it says nothing, like a
// partition): the primary takes it for lost at the heartbeat timeout and
// the survivor runs its jobs. Resumed, the node joins again; the reports
// of the attempts it finished meanwhile are ignored (fenced), so every job
// still completes exactly once, and the node takes new jobs.
func TestRemoteSilentNodeIsLostAndRejoins(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", HeartbeatTimeout: 2 * time.Second}})
	frozen := joinChild(t, primary, "frozen", "sleep", "only")
	joinChild(t, primary, "survivor", "sleep")
	ids := submitAll(t, primary, "sleep", 8, func(int) any { return map[string]int{"ms": 500} })
	waitRunningOn(t, primary, "frozen")
	require.NoError(t, frozen.cmd.Process.Signal(syscall.SIGSTOP))
	lost := 0
	for _, id := range ids {
		worker := completedOnce(t, primary, id)
		for _, e := range status(t, primary, id).Executions {
			if e.Status == "failed" {
				require.Equal(t, "frozen", e.WorkerID)
				require.Contains(t, *e.Error, "node frozen lost (no heartbeat")
				require.Equal(t, "survivor", worker)
				lost++
			}
		}
	}
	require.Positive(t, lost, "the silent node's attempts were failed as lost")
	require.NoError(t, frozen.cmd.Process.Signal(syscall.SIGCONT))

	// Back: it rejoins, and runs the job only it can run.
	id, err := primary.Submit(testCtx(t), "only", echoArgs{N: 7}, nil)
	require.NoError(t, err)
	require.Equal(t, "frozen", completedOnce(t, primary, id))
	for _, id := range ids {
		completedOnce(t, primary, id) // still exactly once after the late reports
	}
}
