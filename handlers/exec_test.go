//go:build unix

package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
)

// sh is argv for a shell script.
func sh(script string) []string { return []string{"sh", "-c", script} }

// runScript runs a shell script through the exec handler with default
// options.
func runScript(t testing.TB, script string) (handlers.ExecResult, error) {
	t.Helper()
	return handlers.RunExec(testCtx(t), handlers.ExecOptions{}, handlers.ExecArgs{Argv: sh(script)})
}

// requireExit checks that err is an *ExitError with code.
func requireExit(t testing.TB, err error, code int) *handlers.ExitError {
	t.Helper()
	var ee *handlers.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, code, ee.ExitCode)
	return ee
}

// startsChild is a script that starts "sleep 30" in the background, writes
// its pid to pidFile (atomically) and goes on with then.
func startsChild(pidFile, then string) []string {
	return sh(`sleep 30 & echo $! > ` + pidFile + `.tmp; mv ` + pidFile + `.tmp ` + pidFile + `; ` + then)
}

func TestExecCapturesOutput(t *testing.T) {
	t.Parallel()
	res, err := runScript(t, "echo out; echo err >&2")
	require.NoError(t, err)
	require.Equal(t, handlers.ExecResult{ExitCode: 0, Stdout: "out\n", Stderr: "err\n"}, res)
}

func TestExecStdin(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef", 16<<10) // larger than a pipe's buffer
	for _, in := range []string{"hello\nworld\n", big} {
		res, err := handlers.RunExec(testCtx(t), handlers.ExecOptions{},
			handlers.ExecArgs{Argv: []string{"cat"}, Stdin: in})
		require.NoError(t, err)
		require.Equal(t, in, res.Stdout)
		require.False(t, res.StdoutTruncated)
	}
}

func TestExecUnreadStdin(t *testing.T) {
	t.Parallel()
	// The command exits without reading: the write ends, the handler
	// returns the command's outcome.
	res, err := handlers.RunExec(testCtx(t), handlers.ExecOptions{},
		handlers.ExecArgs{Argv: sh("echo done"), Stdin: strings.Repeat("x", 1<<20)})
	require.NoError(t, err)
	require.Equal(t, "done\n", res.Stdout)
}

func TestExecEnvAndDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "marker"), []byte("here"), 0o600))
	res, err := handlers.RunExec(testCtx(t), handlers.ExecOptions{}, handlers.ExecArgs{
		Argv: sh(`echo "$GIGQ_A $GIGQ_B"; cat marker; test -n "$PATH" && echo path-kept`),
		Env:  map[string]string{"GIGQ_A": "one", "GIGQ_B": "two words"},
		Dir:  dir,
	})
	require.NoError(t, err)
	require.Equal(t, "one two words\nherepath-kept\n", res.Stdout)
}

func TestExecNonZeroExit(t *testing.T) {
	t.Parallel()
	res, err := runScript(t, "echo partial; echo first >&2; echo 'disk is full' >&2; exit 3")
	require.Equal(t, "sh", requireExit(t, err, 3).Program)
	require.Contains(t, err.Error(), "exited with code 3")
	require.Contains(t, err.Error(), "disk is full")
	require.Equal(t, 3, res.ExitCode)
	require.Equal(t, "partial\n", res.Stdout)
}

func TestExecErrorCarriesStderrTail(t *testing.T) {
	t.Parallel()
	// 20 KiB of noise, then the reason: the error keeps the end.
	_, err := runScript(t, `echo START >&2; i=0; while [ $i -lt 2000 ]; do echo noise-noise >&2; i=$((i+1)); done; echo REASON >&2; exit 1`)
	requireExit(t, err, 1)
	require.Contains(t, err.Error(), "REASON")
	require.NotContains(t, err.Error(), "START")
	require.Less(t, len(err.Error()), 5<<10)
}

func TestExecSignalExit(t *testing.T) {
	t.Parallel()
	res, err := runScript(t, "kill -TERM $$")
	requireExit(t, err, -1)
	require.Equal(t, -1, res.ExitCode)
	require.Contains(t, err.Error(), "signal")
}

func TestExecTruncation(t *testing.T) {
	t.Parallel()
	opts := handlers.ExecOptions{MaxOutputBytes: 10}
	res, err := handlers.RunExec(testCtx(t), opts,
		handlers.ExecArgs{Argv: sh("printf 0123456789abcdef; printf 0123456789abcdef >&2")})
	require.NoError(t, err)
	require.Equal(t, handlers.ExecResult{
		Stdout: "0123456789", StdoutTruncated: true, // the head
		Stderr: "6789abcdef", StderrTruncated: true, // the tail
	}, res)

	res, err = handlers.RunExec(testCtx(t), opts,
		handlers.ExecArgs{Argv: sh("printf 0123456789; printf 0123456789 >&2")})
	require.NoError(t, err)
	require.Equal(t, handlers.ExecResult{Stdout: "0123456789", Stderr: "0123456789"}, res)

	// Many small writes: stderr still keeps exactly the last bytes.
	res, err = handlers.RunExec(testCtx(t), opts,
		handlers.ExecArgs{Argv: sh(`i=0; while [ $i -lt 100 ]; do echo "line $i" >&2; i=$((i+1)); done`)})
	require.NoError(t, err)
	require.Equal(t, "8\nline 99\n", res.Stderr) // the last 10 bytes
	require.True(t, res.StderrTruncated)
}

func TestExecTruncationKeepsWholeCharacters(t *testing.T) {
	t.Parallel()
	// "é" is two bytes: a cut through one drops it, not half of it.
	res, err := handlers.RunExec(testCtx(t), handlers.ExecOptions{MaxOutputBytes: 4},
		handlers.ExecArgs{Argv: sh("printf abcé; printf éxyz >&2")})
	require.NoError(t, err)
	require.Equal(t, "abc", res.Stdout)
	require.Equal(t, "xyz", res.Stderr)
	require.True(t, res.StdoutTruncated)
	require.True(t, res.StderrTruncated)
}

func TestExecBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args handlers.ExecArgs
		want string
	}{
		{"no argv", handlers.ExecArgs{}, `param "argv" is required`},
		{"empty program", handlers.ExecArgs{Argv: []string{""}}, `param "argv" is required`},
		{"bad env name", handlers.ExecArgs{Argv: []string{"true"}, Env: map[string]string{"A=B": "c"}}, `invalid variable name "A=B"`},
		{"no such program", handlers.ExecArgs{Argv: []string{"gigq-no-such-program"}}, `start "gigq-no-such-program"`},
		{"no such dir", handlers.ExecArgs{Argv: []string{"true"}, Dir: "/nonexistent/gigq"}, "/nonexistent/gigq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := handlers.RunExec(testCtx(t), handlers.ExecOptions{}, tc.args)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestExecThroughNode(t *testing.T) {
	t.Parallel()
	exec := handlers.Exec(handlers.ExecOptions{})
	require.Equal(t, "exec", exec.Name())
	n := openNode(t, exec)
	ctx := testCtx(t)

	id, err := exec.Submit(ctx, n, handlers.ExecArgs{Argv: sh(`printf "%s" "$GIGQ_X"`), Env: map[string]string{"GIGQ_X": "via node"}}, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	res, err := exec.Result(ctx, n, id)
	require.NoError(t, err)
	require.Equal(t, handlers.ExecResult{Stdout: "via node"}, res)

	// A non-zero exit fails the job with the code and the stderr tail.
	id, err = exec.Submit(ctx, n, handlers.ExecArgs{Argv: sh("echo nope >&2; exit 7")}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, "exited with code 7")
	require.Contains(t, j.Error, "nope")

	// Bad params, as a CLI or another language would submit them.
	id, err = n.Submit(ctx, "exec", map[string]any{"args": []string{"ls"}}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j = waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, `unknown param "args"`)
	require.Contains(t, j.Error, "argv")

	id, err = n.Submit(ctx, "exec", map[string]any{}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j = waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, `param "argv" is required`)
}

// TestExecCancelKillsProcessGroup checks that when the handler's context
// ends, it returns promptly and a process the command started is gone.
func TestExecCancelKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var err error
	done := async(func() {
		_, err = handlers.RunExec(ctx, handlers.ExecOptions{WaitDelay: time.Minute},
			handlers.ExecArgs{Argv: startsChild(pidFile, "wait")})
	})
	pid := readPID(t, pidFile)
	cancel()
	within(t, 5*time.Second, "the cancelled handler", done)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "process group killed")
	eventually(t, "the child to die", func() bool { return processGone(pid) })
}

// TestExecTimeoutThroughNode checks the same through a node: the job's
// timeout ends the attempt and kills the command's children.
func TestExecTimeoutThroughNode(t *testing.T) {
	t.Parallel()
	exec := handlers.Exec(handlers.ExecOptions{})
	n := openNode(t, exec)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	id, err := exec.Submit(testCtx(t), n,
		handlers.ExecArgs{Argv: startsChild(pidFile, "wait")},
		&gigq.SubmitOpts{MaxAttempts: 1, Timeout: 500 * time.Millisecond})
	require.NoError(t, err)
	pid := readPID(t, pidFile)
	require.Equal(t, gigq.StatusTimeout, waitJob(t, n, id).Status)
	eventually(t, "the child to die", func() bool { return processGone(pid) })
}

// TestExecExitKillsLeftovers checks that a process the command left
// running in the background is killed when the command exits, and does not
// hold the handler up although it inherited stdout.
func TestExecExitKillsLeftovers(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	var res handlers.ExecResult
	var err error
	done := async(func() {
		res, err = handlers.RunExec(testCtx(t), handlers.ExecOptions{WaitDelay: time.Minute},
			handlers.ExecArgs{Argv: startsChild(pidFile, "echo started")})
	})
	within(t, 10*time.Second, "the handler", done)
	require.NoError(t, err)
	require.Equal(t, "started\n", res.Stdout)
	pid := readPID(t, pidFile)
	eventually(t, "the leftover to die", func() bool { return processGone(pid) })
}

// TestExecWaitDelay checks that a process that escaped the group and holds
// stdout delays the handler by WaitDelay only.
func TestExecWaitDelay(t *testing.T) {
	t.Parallel()
	if _, err := osexecLookPath("setsid"); err != nil {
		t.Skip("no setsid program")
	}
	pidFile := filepath.Join(t.TempDir(), "escaped.pid")
	var res handlers.ExecResult
	var err error
	done := async(func() {
		res, err = handlers.RunExec(testCtx(t), handlers.ExecOptions{WaitDelay: 200 * time.Millisecond},
			handlers.ExecArgs{Argv: sh(`setsid sh -c 'echo $$ > ` + pidFile + `.tmp; mv ` + pidFile + `.tmp ` + pidFile + `; exec sleep 30' & while [ ! -f ` + pidFile + ` ]; do :; done; echo out`)})
	})
	pid := readPID(t, pidFile)
	t.Cleanup(func() { killProcess(pid) })
	within(t, 10*time.Second, "the handler", done)
	require.NoError(t, err)
	require.Equal(t, "out\n", res.Stdout)
}
