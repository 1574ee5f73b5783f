package gigq_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gigq-go/gigq"
)

// TestMain fails the package when any test, example or benchmark leaves a
// goroutine behind: every node must be closed, and Close must stop all of
// its actors.
//
// One protoactor goroutine is allowed: the dead-letter log throttle starts
// a timer goroutine on a message to a stopped actor (a late report from a
// handler that was abandoned at its timeout) and ends it by itself after
// DeadLetterThrottleInterval (1 s), even after the system is shut down.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childVar); spec != "" {
		os.Exit(runChild(spec)) // a worker node child: see remote_child_test.go
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// waitTimeout bounds every wait in these tests. It is generous: the suite
// runs under -race on two cores, and a wait that hits it is a failure.
const waitTimeout = 20 * time.Second

// testCtx returns a context that ends at waitTimeout, or when the test
// ends.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dbPath is a fresh database file in the test's temporary directory.
func dbPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "gigq.db")
}

// testLogger logs through t at warn level and above, so output appears only
// for failures or -v.
func testLogger(t testing.TB) *zerolog.Logger {
	l := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	return &l
}

// openNode opens a node with cfg (on a fresh file unless cfg.Path is set)
// and closes it when the test ends. Close is idempotent, so a test may
// close it earlier.
func openNode(t testing.TB, cfg gigq.Config) *gigq.Node {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = dbPath(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	n, err := gigq.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close(context.Background())) })
	return n
}

// closeNode closes n and checks that it closed cleanly.
func closeNode(t testing.TB, n *gigq.Node) {
	t.Helper()
	require.NoError(t, n.Close(context.Background()))
}

// waitJob waits for the job to end, failing the test at waitTimeout.
func waitJob(t testing.TB, n *gigq.Node, id gigq.JobID) *gigq.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	j, err := n.Wait(ctx, id)
	require.NoError(t, err, "wait for job %s", id)
	return j
}

// status reads a job, failing the test on error.
func status(t testing.TB, n *gigq.Node, id gigq.JobID) *gigq.Job {
	t.Helper()
	j, err := n.Status(testCtx(t), id)
	require.NoError(t, err)
	return j
}

// eventually polls cond until it holds, failing the test at waitTimeout.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting", what)
		}
		<-tick.C
	}
}

// nextEvent reads one event, failing the test at waitTimeout or when the
// channel closes.
func nextEvent(t testing.TB, events <-chan *gigq.Event) *gigq.Event {
	t.Helper()
	select {
	case e, ok := <-events:
		require.True(t, ok, "event channel closed")
		return e
	case <-time.After(waitTimeout):
		require.FailNow(t, "timed out waiting for an event")
		return nil
	}
}

// eventFor reads events until one of the given kind for the job arrives.
func eventFor(t testing.TB, events <-chan *gigq.Event, id gigq.JobID, kind gigq.EventKind) *gigq.Event {
	t.Helper()
	for {
		if e := nextEvent(t, events); e.JobID == id && e.Kind == kind {
			return e
		}
	}
}

// The tasks the tests share. Each is safe for concurrent use.

type addArgs struct {
	A int `json:"a"`
	B int `json:"b"`
}

var (
	addTask = gigq.NewTask("add", func(_ context.Context, a addArgs) (int, error) { return a.A + a.B, nil })
	noop    = gigq.NewTask("noop", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil })
	failing = gigq.NewTask("always_fail", func(ctx context.Context, _ struct{}) (int, error) {
		jc, _ := gigq.JobFromContext(ctx)
		return 0, fmt.Errorf("attempt %d failed", jc.Attempt)
	})
)

// gate is a handler's blocker that the test controls: a task built on it
// signals each start and returns once the gate opens (or, when it honours
// its context, when the context ends).
type gate struct {
	started chan gigq.JobID
	release chan struct{}
	once    sync.Once
}

// newGate returns a closed-for-now gate. Tests open it with a defer made
// right away, so that blocked handlers return before the test's nodes are
// closed (cleanups run after the test function's defers).
func newGate() *gate {
	return &gate{started: make(chan gigq.JobID, 1024), release: make(chan struct{})}
}

// open lets every blocked handler return. Idempotent.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// waitStarted waits for the next handler start and returns its job id.
func (g *gate) waitStarted(t testing.TB) gigq.JobID {
	t.Helper()
	select {
	case id := <-g.started:
		return id
	case <-time.After(waitTimeout):
		require.FailNow(t, "timed out waiting for a handler to start")
		return ""
	}
}

// task is a task named name that blocks until the gate opens, ignoring
// its context.
func (g *gate) task(name string) *gigq.Task[struct{}, string] {
	return gigq.NewTask(name, func(ctx context.Context, _ struct{}) (string, error) {
		jc, _ := gigq.JobFromContext(ctx)
		g.started <- jc.ID
		<-g.release
		return "released", nil
	})
}

// ctxTask is a task named name that blocks until the gate opens or its
// context ends.
func (g *gate) ctxTask(name string) *gigq.Task[struct{}, string] {
	return gigq.NewTask(name, func(ctx context.Context, _ struct{}) (string, error) {
		jc, _ := gigq.JobFromContext(ctx)
		g.started <- jc.ID
		select {
		case <-g.release:
			return "released", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
}

// isTransition checks that err is a refused transition that names the job
// and its state.
func isTransition(t testing.TB, err error, id gigq.JobID, state gigq.Status) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, gigq.ErrInvalidTransition)
	var te *gigq.TransitionError
	require.True(t, errors.As(err, &te), "want a *gigq.TransitionError, got %T: %v", err, err)
	require.Equal(t, id, te.JobID)
	require.Equal(t, state, te.From)
	require.Contains(t, err.Error(), string(id))
	require.Contains(t, err.Error(), string(state))
}
