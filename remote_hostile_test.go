package gigq_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/internal/protoactor/remote"
	"github.com/gigq-go/gigq/messages"
)

// TestRemoteHostilePeer connects to a primary's transport without joining
// and sends what protoactor would deliver to any actor: stop and poison
// the store, a job report to the dispatcher, a message type the primary
// does not know. The primary drops all of it (this test's process would
// die on the unknown type otherwise) and keeps running jobs.
func TestRemoteHostilePeer(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
	r.Start()
	t.Cleanup(func() { r.Shutdown(true) })

	addr := primary.RemoteAddress()
	store := actor.NewPID(addr, "gigq/store")
	sys.Root.Send(store, &actor.PoisonPill{})
	sys.Root.Send(store, &actor.Stop{})
	sys.Root.Send(actor.NewPID(addr, "gigq/dispatcher"), &messages.Report{ExecutionId: "x", JobId: "y", Outcome: messages.Outcome_OUTCOME_COMPLETED})
	sys.Root.Send(actor.NewPID(addr, "gigq/gateway"), unknownMessage(t))
	// The gateway still answers a join after all that (the unknown type
	// closed this peer's connection: the first tries may be lost with it).
	eventually(t, "the gateway answers", func() bool {
		reply, err := sys.Root.RequestFuture(actor.NewPID(addr, "gigq/gateway"),
			&messages.Hello{Protocol: messages.RemoteProtocol, NodeId: "probe", Attempt: 1}, time.Second).Result()
		_, ok := reply.(*messages.Challenge)
		return err == nil && ok
	})

	c := startChild(t, childEnv{Join: addr, ID: "w", Tasks: []string{"echo"}})
	c.expect("joined")
	id, err := primary.Submit(testCtx(t), "echo", echoArgs{N: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, "w", completedOnce(t, primary, id), "the store and the dispatcher still run")
}

// unknownMessage is a protobuf message of a type no package registers.
func unknownMessage(t testing.TB) proto.Message {
	t.Helper()
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("hostile.proto"),
		Package:     proto.String("hostile"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Unknown")}},
	}, nil)
	require.NoError(t, err)
	return dynamicpb.NewMessage(fd.Messages().Get(0))
}
