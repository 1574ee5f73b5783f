package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq"
)

// The real gigq binary, built without -race (plain go build) the first time
// a test asks for it. Tests hold a reference while they use it; when the
// last one is done the directory is removed (and a later test builds it
// again, from the build cache).
var builtBinary struct {
	mu   sync.Mutex
	refs int
	dir  string
	path string
}

// gigqBinary returns the path of the real gigq binary, building it when no
// other test holds it.
func gigqBinary(tb testing.TB) string {
	tb.Helper()
	b := &builtBinary
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refs == 0 {
		dir, err := os.MkdirTemp("", "gigq-bin-")
		require.NoError(tb, err)
		path := filepath.Join(dir, "gigq")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			require.NoError(tb, err, "go build: %s", out)
		}
		b.dir, b.path = dir, path
	}
	b.refs++
	path := b.path
	tb.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.refs--
		if b.refs == 0 {
			_ = os.RemoveAll(b.dir)
			b.dir, b.path = "", ""
		}
	})
	return path
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a gigq process started by a test.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed once the process was waited for
	err    error         // cmd.Wait's, set before done closes
}

// startProc starts the gigq binary with args. The test's cleanup kills it
// (when still running) and waits for it.
func startProc(tb testing.TB, bin string, args ...string) *proc {
	tb.Helper()
	return startProcWith(tb, nil, bin, args...)
}

// startProcWith is startProc with env added to the process's environment.
func startProcWith(tb testing.TB, env []string, bin string, args ...string) *proc {
	tb.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, done: make(chan struct{})}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stderr = p.stderr
	require.NoError(tb, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startWorker starts "gigq worker" on db with extra args (JSON logs at
// warn, so a busy worker does not spend its time logging).
func startWorker(tb testing.TB, bin, db string, args ...string) *proc {
	tb.Helper()
	return startProc(tb, bin, append([]string{"worker", "--db", db, "--log-level", "warn", "--log-format", "json"}, args...)...)
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *proc) wait(tb testing.TB, d time.Duration) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		tb.Fatalf("%v did not exit within %s; stderr:\n%s", p.cmd.Args, d, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill9 kills the process with SIGKILL, waits for it (so it is not left a
// zombie) and returns when it died.
func (p *proc) kill9(tb testing.TB) time.Time {
	tb.Helper()
	require.NoError(tb, p.cmd.Process.Signal(syscall.SIGKILL))
	at := time.Now()
	p.wait(tb, 10*time.Second)
	return at
}

// binOutput runs the binary to completion (bounded) and returns stdout,
// requiring exit 0.
func binOutput(tb testing.TB, bin string, args ...string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(tb, err, "gigq %v: stderr %s", args, stderr.String())
	return out
}

// binStats reads "gigq stats --json" through the binary.
func binStats(tb testing.TB, bin, db string) gigq.Stats {
	tb.Helper()
	out := binOutput(tb, bin, "stats", "--json", "--db", db)
	var st gigq.Stats
	require.NoError(tb, json.Unmarshal(out, &st), string(out))
	return st
}

// binStatus reads "gigq status ID --json" through the binary.
func binStatus(tb testing.TB, bin, db string, id gigq.JobID) *gigq.Job {
	tb.Helper()
	out := binOutput(tb, bin, "status", string(id), "--json", "--db", db)
	var j gigq.Job
	require.NoError(tb, json.Unmarshal(out, &j), string(out))
	return &j
}

// binSubmit submits a job through "gigq submit --json".
func binSubmit(tb testing.TB, bin, db string, args ...string) gigq.JobID {
	tb.Helper()
	out := binOutput(tb, bin, append([]string{"submit", "--json", "--db", db}, args...)...)
	var v struct {
		ID gigq.JobID `json:"id"`
	}
	require.NoError(tb, json.Unmarshal(out, &v), string(out))
	require.NotEmpty(tb, v.ID)
	return v.ID
}

// waitStats polls "gigq stats --json" until ok holds, for at most d, and
// returns the last stats.
func waitStats(tb testing.TB, bin, db string, d time.Duration, what string, ok func(gigq.Stats) bool) gigq.Stats {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		st := binStats(tb, bin, db)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited %s for %s; last stats %+v", d, what, st)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// submitMany submits n jobs through the Go API on a client-only node, from
// 8 goroutines, and returns their ids.
func submitMany(tb testing.TB, db string, n int, function string, params any, opts *gigq.SubmitOpts) []gigq.JobID {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: db, ClientOnly: true, WatchInterval: -1})
	require.NoError(tb, err)
	defer func() { require.NoError(tb, node.Close(context.Background())) }()
	ids := make([]gigq.JobID, n)
	errs := make([]error, n)
	const goroutines = 8
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g; i < n; i += goroutines {
				ids[i], errs[i] = node.Submit(ctx, function, params, opts)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(tb, err, "submit %d", i)
	}
	return ids
}

// openRO opens db read-only for raw SQL assertions.
func openRO(tb testing.TB, db string) *sqlite.Conn {
	tb.Helper()
	conn, err := sqlite.OpenConn(db, sqlite.OpenReadOnly)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = conn.Close() })
	conn.SetBusyTimeout(10 * time.Second)
	return conn
}

// queryInt runs a query that returns one integer.
func queryInt(tb testing.TB, conn *sqlite.Conn, query string, args ...any) int {
	tb.Helper()
	var v int
	var rows int
	err := sqlitex.Execute(conn, query, &sqlitex.ExecOptions{
		Args: args,
		ResultFunc: func(stmt *sqlite.Stmt) error {
			v = stmt.ColumnInt(0)
			rows++
			return nil
		},
	})
	require.NoError(tb, err, query)
	require.Equal(tb, 1, rows, query)
	return v
}

// queryRows runs a query and returns each row's columns as text.
func queryRows(tb testing.TB, conn *sqlite.Conn, query string, args ...any) [][]string {
	tb.Helper()
	var out [][]string
	err := sqlitex.Execute(conn, query, &sqlitex.ExecOptions{
		Args: args,
		ResultFunc: func(stmt *sqlite.Stmt) error {
			row := make([]string, stmt.ColumnCount())
			for i := range row {
				row[i] = stmt.ColumnText(i)
			}
			out = append(out, row)
			return nil
		},
	})
	require.NoError(tb, err, query)
	return out
}

// requireExactlyOnce asserts the end state every multi-process test wants:
// want jobs, all COMPLETED, each with exactly one completed execution,
// attempts within max_attempts, nothing running.
func requireExactlyOnce(tb testing.TB, db string, want int) {
	tb.Helper()
	conn := openRO(tb, db)
	require.Equal(tb, want, queryInt(tb, conn, `SELECT count(*) FROM jobs`))
	notDone := queryRows(tb, conn, `SELECT id, status, attempts, coalesce(error, '') FROM jobs WHERE status != 'completed' LIMIT 5`)
	require.Empty(tb, notDone, "jobs not completed (first 5)")
	bad := queryRows(tb, conn, `SELECT j.id, (SELECT count(*) FROM job_executions e WHERE e.job_id = j.id AND e.status = 'completed')
		AS n FROM jobs j WHERE n != 1 LIMIT 5`)
	require.Empty(tb, bad, "jobs without exactly one completed execution (id, count; first 5)")
	over := queryRows(tb, conn, `SELECT id, attempts, max_attempts FROM jobs WHERE attempts > max_attempts OR attempts < 1 LIMIT 5`)
	require.Empty(tb, over, "attempts out of [1, max_attempts] (first 5)")
	require.Zero(tb, queryInt(tb, conn, `SELECT count(*) FROM job_executions WHERE status = 'running' OR completed_at IS NULL`),
		"executions still running")
	require.Zero(tb, queryInt(tb, conn, `SELECT count(*) FROM jobs WHERE status = 'running'`))
}

// workerIDs returns the names "prefix-1" ... "prefix-n".
func workerIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i+1)
	}
	return out
}

// waitRegistered waits until every worker id has its row in nodes: the
// process is past start-up, with its signal handlers installed, so a
// SIGTERM is a graceful stop and not the default kill.
func waitRegistered(tb testing.TB, db string, ids ...string) {
	tb.Helper()
	conn := openRO(tb, db)
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for queryInt(tb, conn, `SELECT count(*) FROM nodes WHERE id = ?`, id) == 0 {
			require.True(tb, time.Now().Before(deadline), "worker %s did not register", id)
			<-time.After(10 * time.Millisecond)
		}
	}
}
