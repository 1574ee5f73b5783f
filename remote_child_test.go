package gigq_test

// Worker nodes in these tests run in child processes (this test binary,
// started again with GIGQ_TEST_WORKER_NODE set), as they would in
// production: a primary in this process, each worker node in its own, so a
// test can kill one. A child that ends with another status than 0 (a data
// race under -race exits 66) fails the test.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// childEnv configures a worker node child.
type childEnv struct {
	Join        string   `json:"join"`
	ID          string   `json:"id"`
	Secret      string   `json:"secret,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
	Tasks       []string `json:"tasks"` // of childTasks
	TLS         *gigq.RemoteTLS
	Protocol    uint32 `json:"protocol,omitempty"`
	GraceMS     int    `json:"grace_ms,omitempty"`
	// Primary makes the child a primary on DB listening on Join instead.
	Primary bool   `json:"primary,omitempty"`
	DB      string `json:"db,omitempty"`
}

const childVar = "GIGQ_TEST_WORKER_NODE"

// childTasks are the tasks a worker node child can register.
func childTasks() map[string]gigq.TaskDef {
	return map[string]gigq.TaskDef{
		"echo": echoTask("echo"),
		"only": echoTask("only"),
		"sleep": gigq.NewTask("sleep", func(ctx context.Context, a struct {
			MS int `json:"ms"`
		}) (string, error) {
			fmt.Println("sleep started")
			select {
			case <-time.After(time.Duration(a.MS) * time.Millisecond):
				j, _ := gigq.JobFromContext(ctx)
				return j.WorkerID, nil
			case <-ctx.Done():
				fmt.Println("sleep cancelled")
				return "", ctx.Err()
			}
		}),
		"halfway": gigq.NewTask("halfway", func(ctx context.Context, _ struct{}) (string, error) {
			gigq.Progress(ctx, 0.5, "halfway there")
			select {
			case <-time.After(300 * time.Millisecond):
				return "done", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}),
		"fail": gigq.NewTask("fail", func(context.Context, struct{}) (string, error) {
			return "", fmt.Errorf("failing on purpose")
		}),
		"skip": gigq.NewTask("skip", func(context.Context, struct{}) (string, error) {
			return "", gigq.SkipRetry(fmt.Errorf("bad input: no retry"))
		}),
		// snooze_once snoozes for ms the first time it sees a job.
		"snooze_once": gigq.NewTask("snooze_once", func(ctx context.Context, a struct {
			MS int `json:"ms"`
		}) (string, error) {
			j, _ := gigq.JobFromContext(ctx)
			if _, seen := snoozedOnce.LoadOrStore(j.ID, true); !seen {
				return "", gigq.Snooze(time.Duration(a.MS) * time.Millisecond)
			}
			return "woke", nil
		}),
		"sum": gigq.NewTask("sum", func(ctx context.Context, _ struct{}) (int, error) {
			total := 0
			for _, p := range gigq.ParentResults(ctx) {
				var m map[string]any
				if err := json.Unmarshal(p.Result, &m); err != nil {
					return 0, err
				}
				total += int(m["n"].(float64))
			}
			return total, nil
		}),
	}
}

// runChild is the worker node child's main: it prints "joined", or
// "refused <reason>", and runs until stdin closes or SIGTERM.
func runChild(spec string) int {
	var env childEnv
	if err := json.Unmarshal([]byte(spec), &env); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	if env.Primary {
		return runPrimaryChild(env)
	}
	reg := gigq.NewRegistry()
	all := childTasks()
	for _, name := range env.Tasks {
		reg.MustAdd(all[name])
	}
	log := zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	cfg := gigq.WorkerNodeConfig{Join: env.Join, ID: env.ID, Secret: env.Secret, Concurrency: env.Concurrency,
		Registry: reg, TLS: env.TLS, Logger: &log, ShutdownTimeout: 5 * time.Second, Grace: time.Duration(env.GraceMS) * time.Millisecond}
	if env.Protocol != 0 {
		gigq.SetWorkerNodeProtocol(&cfg, env.Protocol)
	}
	w, err := gigq.StartWorkerNode(context.Background(), cfg)
	if err != nil {
		fmt.Println("start:", err)
		return 1
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	stdin := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdin) }()
	joinedSeen := w.Joined()
	for {
		select {
		case <-joinedSeen:
			fmt.Println("joined")
			joinedSeen = nil
		case <-w.Refused():
			fmt.Println("refused", w.Err())
			_ = w.Close(context.Background())
			return 0
		case <-stop:
			return closeChild(w)
		case <-stdin:
			return closeChild(w)
		}
	}
}

// runPrimaryChild is a primary child's main: it prints "listening", and
// runs until stdin closes or it is killed.
func runPrimaryChild(env childEnv) int {
	log := zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	n, err := gigq.Open(context.Background(), gigq.Config{Path: env.DB, Workers: gigq.NoWorkers, Logger: &log,
		Remote: &gigq.RemoteConfig{Listen: env.Join}})
	if err != nil {
		fmt.Println("open:", err)
		return 1
	}
	fmt.Println("listening", n.RemoteAddress())
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := n.Close(context.Background()); err != nil {
		fmt.Println("close:", err)
		return 1
	}
	return 0
}

func closeChild(w *gigq.WorkerNode) int {
	if err := w.Close(context.Background()); err != nil {
		fmt.Println("close:", err)
		return 1
	}
	return 0
}

// child is a running worker node child.
type child struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	done   chan struct{}
	killed bool
}

// startChild starts a worker node child; it is stopped (or reaped) when
// the test ends.
func startChild(t testing.TB, env childEnv) *child {
	t.Helper()
	spec, err := json.Marshal(env)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childVar+"="+string(spec))
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = &testLogWriter{t: t, prefix: env.ID}
	require.NoError(t, cmd.Start())
	c := &child{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	t.Cleanup(c.stop)
	return c
}

// expect waits for the child to print a line starting with prefix.
func (c *child) expect(prefix string) string {
	c.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("worker node child exited before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
			c.t.Logf("child: %s", l)
		case <-deadline:
			c.t.Fatalf("worker node child did not print %q", prefix)
		}
	}
}

// stop asks the child to close (stdin closed), waits for it, and checks
// that it exited cleanly (unless it was killed).
func (c *child) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		c.t.Errorf("worker node child did not stop; killed")
		return
	}
	if !c.killed {
		if code := c.cmd.ProcessState.ExitCode(); code != 0 {
			c.t.Errorf("worker node child exited with status %d", code)
		}
	}
}

// kill ends the child with SIGKILL.
func (c *child) kill() {
	c.killed = true
	_ = c.cmd.Process.Kill()
	<-c.done
}

// testLogWriter sends a child's stderr to the test log.
type testLogWriter struct {
	t      testing.TB
	prefix string
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("[%s] %s", w.prefix, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// freePort is a loopback port nothing listens on now.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return "127.0.0.1:" + strconv.Itoa(port)
}
