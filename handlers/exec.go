package handlers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/gigq-go/gigq"
)

// DefaultWaitDelay is the default for ExecOptions.WaitDelay.
const DefaultWaitDelay = 2 * time.Second

// stderrTailBytes is how much of the end of stderr a failure's error
// carries.
const stderrTailBytes = 4 << 10

// ExecOptions configure the exec task. The zero value is ready to use.
type ExecOptions struct {
	// MaxOutputBytes caps what is kept of stdout and of stderr, each.
	// stdout keeps its first bytes, stderr its last (where a failing
	// command says why); the result's *_truncated flags tell when bytes
	// were dropped. Zero or less: DefaultMaxOutputBytes (1 MiB).
	MaxOutputBytes int
	// WaitDelay bounds how long the handler waits, after the command
	// ended, for its output to be read to the end. Only a process that
	// escaped the process group (setsid, or any child on systems without
	// process groups) can hold the output open that long; at the delay
	// the handler stops reading and returns what it has. Zero or less:
	// DefaultWaitDelay (2s).
	WaitDelay time.Duration
}

// ExecArgs are the params of the exec task.
type ExecArgs struct {
	// Argv is the program and its arguments; required, non-empty. The
	// program is looked up in the node's PATH unless it contains a path
	// separator. No shell is involved: use ["sh", "-c", "..."] for one.
	Argv []string `json:"argv"`
	// Env is added to the node's environment; a name given here replaces
	// the node's value.
	Env map[string]string `json:"env,omitempty"`
	// Dir is the working directory. Default: the node's.
	Dir string `json:"dir,omitempty"`
	// Stdin is written to the command's standard input, which is then
	// closed. Default: empty input.
	Stdin string `json:"stdin,omitempty"`
}

var execParams = []param{
	{"argv", `a non-empty list of strings, the program and its arguments, e.g. ["echo", "hello"]`},
	{"env", `an object of variable names to string values, e.g. {"LANG": "C"}`},
	{"dir", "a string, the working directory"},
	{"stdin", "a string, written to the command's standard input"},
}

// UnmarshalJSON decodes the params strictly: an unknown param or a value
// of the wrong type is an error that names the param and what it must be.
func (a *ExecArgs) UnmarshalJSON(b []byte) error {
	type plain ExecArgs
	return decodeParams("exec", execParams, b, (*plain)(a))
}

// validate checks what decoding cannot.
func (a *ExecArgs) validate() error {
	if len(a.Argv) == 0 || a.Argv[0] == "" {
		return requireParam("exec", execParams[0])
	}
	for name := range a.Env {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return fmt.Errorf("exec: param \"env\" has an invalid variable name %q: use a non-empty name without '=' or NUL", name)
		}
	}
	return nil
}

// ExecResult is the result of the exec task. Output is kept as text: bytes
// that are not valid UTF-8 are stored as U+FFFD.
type ExecResult struct {
	ExitCode        int    `json:"exit_code"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	StdoutTruncated bool   `json:"stdout_truncated"`
	StderrTruncated bool   `json:"stderr_truncated"`
}

// ExitError is the error of an attempt whose command exited unsuccessfully:
// with a non-zero code, or ended by a signal it was not sent by the
// handler.
type ExitError struct {
	Program    string // argv[0]
	ExitCode   int    // -1 when a signal ended the command
	State      string // as os.ProcessState says it: "exit status 3", "signal: killed"
	StderrTail string // the last 4 KiB (at most) of stderr
}

func (e *ExitError) Error() string {
	what := fmt.Sprintf("exited with code %d", e.ExitCode)
	if e.ExitCode < 0 {
		what = "ended by " + e.State
	}
	tail := strings.TrimSpace(e.StderrTail)
	if tail == "" {
		return fmt.Sprintf("exec: %q %s (stderr empty)", e.Program, what)
	}
	return fmt.Sprintf("exec: %q %s; stderr: %s", e.Program, what, tail)
}

// Exec returns the task "exec", which runs a command on the node (see the
// package doc). It runs arbitrary programs with the node's rights, so only
// register it on nodes meant to run them.
func Exec(opts ExecOptions) *gigq.Task[ExecArgs, ExecResult] {
	return gigq.NewTask("exec", opts.run)
}

// run runs one command. It fails on bad args (for good: gigq.SkipRetry),
// on a start error, on an unsuccessful exit (an *ExitError) and when ctx
// ends: then the command's whole process group is killed and the error
// wraps the context's cause.
func (o ExecOptions) run(ctx context.Context, a ExecArgs) (ExecResult, error) {
	if err := a.validate(); err != nil {
		return ExecResult{}, gigq.SkipRetry(err)
	}
	if err := checkDir(a.Dir); err != nil {
		return ExecResult{}, err
	}
	cmd := exec.CommandContext(ctx, a.Argv[0], a.Argv[1:]...)
	cmd.Dir = a.Dir
	if len(a.Env) > 0 {
		cmd.Env = append(os.Environ(), envList(a.Env)...)
	}
	ownProcessGroup(cmd)
	limit := capOrDefault(o.MaxOutputBytes)
	stdout, stderr := &headBuffer{max: limit}, &tailBuffer{max: limit}
	p, err := startWithPipes(cmd, a.Stdin, stdout, stderr)
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec: start %q: %w", a.Argv[0], err)
	}
	waitErr := cmd.Wait()
	killLeftovers(cmd)
	delay := o.WaitDelay
	if delay <= 0 {
		delay = DefaultWaitDelay
	}
	p.drain(delay)

	res := ExecResult{
		ExitCode: cmd.ProcessState.ExitCode(),
		Stdout:   stdout.String(), StdoutTruncated: stdout.truncated,
		Stderr: stderr.String(), StderrTruncated: stderr.truncated,
	}
	if waitErr != nil && ctx.Err() != nil {
		return res, fmt.Errorf("exec: %q stopped, process group killed: %w", a.Argv[0], context.Cause(ctx))
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		return res, &ExitError{
			Program: a.Argv[0], ExitCode: ee.ExitCode(), State: ee.String(),
			StderrTail: lastBytes(res.Stderr, stderrTailBytes),
		}
	}
	if waitErr != nil {
		return res, fmt.Errorf("exec: wait for %q: %w", a.Argv[0], waitErr)
	}
	return res, nil
}

// checkDir checks that dir, if set, is a directory here: os/exec would
// blame the program for a missing one.
func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory", dir)
	}
	if err != nil {
		return fmt.Errorf("exec: param \"dir\": %w", err)
	}
	return nil
}

// envList is env as NAME=value entries, sorted by name.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
