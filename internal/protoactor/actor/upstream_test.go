package actor_test

import (
	"log/slog"
	"testing"
	"time"

	upstream "github.com/asynkron/protoactor-go/actor"
	_ "github.com/asynkron/protoactor-go/remote" // registers upstream's remote.proto and Remoting service
	"go.uber.org/goleak"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	_ "github.com/gigq-go/gigq/internal/protoactor/remote"
)

// TestMain: the test leaves no goroutine behind, apart from the
// dead-letter throttle's timer, which ends by itself (root main_test.go).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"),
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// TestLinkedWithUpstream: a program that links this copy and upstream
// protoactor-go (a service that embeds gigq and uses protoactor itself)
// starts (a protobuf registration conflict panics at init, before any test
// runs), keeps both sets of proto types apart, and runs an actor of each.
func TestLinkedWithUpstream(t *testing.T) {
	for _, name := range []string{"actor.PID", "remote.MessageBatch", "remote.Remoting",
		"gigq.protoactor.actor.PID", "gigq.protoactor.remote.MessageBatch", "gigq.protoactor.remote.Remoting"} {
		if _, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name)); err != nil {
			t.Errorf("%s is not registered: %v", name, err)
		}
	}

	quiet := func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }
	ours := actor.NewActorSystem(actor.WithLoggerFactory(quiet))
	pid := ours.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if s, ok := c.Message().(string); ok {
			c.Respond("ours: " + s)
		}
	}))
	got, err := ours.Root.RequestFuture(pid, "ping", 10*time.Second).Result()
	if err != nil || got != "ours: ping" {
		t.Fatalf("gigq's copy answered %v, %v", got, err)
	}
	if err := ours.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}

	theirs := upstream.NewActorSystem(upstream.WithLoggerFactory(func(*upstream.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	upid := theirs.Root.Spawn(upstream.PropsFromFunc(func(c upstream.Context) {
		if s, ok := c.Message().(string); ok {
			c.Respond("upstream: " + s)
		}
	}))
	got, err = theirs.Root.RequestFuture(upid, "ping", 10*time.Second).Result()
	if err != nil || got != "upstream: ping" {
		t.Fatalf("upstream protoactor-go answered %v, %v", got, err)
	}
	if err := theirs.Root.PoisonFuture(upid).Wait(); err != nil {
		t.Fatal(err)
	}
}
