package handlers_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gigq-go/gigq"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// node, test server and handler call must have ended. The ignored function
// is protoactor's dead-letter throttle timer, which ends by itself a second
// after a message to a stopped actor (the root package's main_test.go says
// more).
func TestMain(m *testing.M) {
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

// openNode opens a node on a fresh file that runs tasks, and closes it
// when the test ends.
func openNode(t testing.TB, tasks ...gigq.TaskDef) *gigq.Node {
	t.Helper()
	l := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	n, err := gigq.Open(context.Background(), gigq.Config{
		Path:     filepath.Join(t.TempDir(), "gigq.db"),
		Registry: gigq.NewRegistry().MustAdd(tasks...),
		Workers:  2,
		Logger:   &l,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close(context.Background())) })
	return n
}

// waitJob waits for the job to end, failing the test at waitTimeout.
func waitJob(t testing.TB, n *gigq.Node, id gigq.JobID) *gigq.Job {
	t.Helper()
	j, err := n.Wait(testCtx(t), id)
	require.NoError(t, err, "wait for job %s", id)
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

// async runs f on a goroutine; the channel closes when it returns.
func async(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

// within waits for done to close, failing the test after d: the check that
// a handler returned promptly.
func within(t testing.TB, d time.Duration, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		require.FailNow(t, "not done in time", "%s did not finish within %s", what, d)
	}
}
