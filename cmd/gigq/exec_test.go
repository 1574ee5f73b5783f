//go:build unix

package main

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestAllowExec: a worker runs exec jobs only with --allow-exec; one
// without it leaves them pending for a worker that has it. The http
// handler is built in.
func TestAllowExec(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := filepath.Join(t.TempDir(), "x.db")
	id := binSubmit(t, bin, db, "exec", "-p", `argv=["sh","-c","echo hello"]`)

	plain := startWorker(t, bin, db)
	echo := binSubmit(t, bin, db, "echo")
	waitStats(t, bin, db, testTimeout, "the echo job", func(st gigq.Stats) bool { return st.Completed == 1 })
	require.Equal(t, gigq.StatusPending, binStatus(t, bin, db, id).Status, "a worker without --allow-exec leaves exec jobs alone")
	require.Contains(t, string(binOutput(t, bin, "status", string(id), "--db", db)),
		`Waiting: no running worker or node has handler "exec"; exec runs only on a worker or node started with --allow-exec`,
		"status says why the job waits")
	require.Equal(t, gigq.StatusCompleted, binStatus(t, bin, db, echo).Status)
	require.NoError(t, plain.cmd.Process.Signal(syscall.SIGTERM))
	require.Zero(t, plain.wait(t, testTimeout))

	startWorker(t, bin, db, "--allow-exec")
	waitStats(t, bin, db, testTimeout, "the exec job", func(st gigq.Stats) bool { return st.Completed == 2 })
	j := binStatus(t, bin, db, id)
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	var res struct {
		ExitCode int    `json:"exit_code"`
		Stdout   string `json:"stdout"`
	}
	require.NoError(t, json.Unmarshal(j.Result, &res))
	require.Equal(t, 0, res.ExitCode)
	require.Equal(t, "hello\n", res.Stdout)
}
