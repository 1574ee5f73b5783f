package actors

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/internal/protoactor/remote"
	"github.com/gigq-go/gigq/messages"
)

// RemoteConfig makes a node a primary: worker nodes on other machines join
// it over protoactor's remote transport and run its jobs.
type RemoteConfig struct {
	// Listen is the host:port the transport binds (port 0: any free one).
	Listen string
	// Advertise is the host:port worker nodes dial; "" uses Listen with the
	// port bound.
	Advertise string
	// Secret, when set, must be proven by every worker node at join (an
	// HMAC of a nonce under it); nil lets any worker node join.
	Secret []byte
	// ServerTLS and ClientTLS, when set, encrypt the transport: the
	// listener serves with ServerTLS, and this node dials its peers with
	// ClientTLS (connections go both ways).
	ServerTLS, ClientTLS *tls.Config
	// Heartbeat is how often a worker node beats; Timeout is how long the
	// primary waits without a beat before it takes the worker node for
	// lost (and a worker node without an answer before it rejoins).
	// Defaults 1s and 10s.
	Heartbeat, Timeout time.Duration
}

func (c *RemoteConfig) withDefaults() {
	if c.Heartbeat <= 0 {
		c.Heartbeat = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * c.Heartbeat
	}
}

// transport is a started protoactor remote: the actor system's address is
// now Address, and PIDs of this system that cross the network carry it.
type transport struct {
	r       *remote.Remote
	Address string
}

// startTransport binds listen and starts protoactor's remote on sys. The
// transport is tuned for a few peers: small endpoint queues (the default
// preallocates a million slots per peer), gRPC keepalive so a silent peer
// is noticed, and one connection attempt per send (2 s) before messages to
// an unreachable peer are dead-lettered.
//
// accept says which messages peers may send to which actors; every other
// message is dropped before delivery (a peer could otherwise stop any
// actor of this node: protoactor delivers whatever a connection sends).
func startTransport(sys *actor.ActorSystem, listen, advertise string, serverTLS, clientTLS *tls.Config,
	accept func(target *actor.PID, msg any) bool) (*transport, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w (want HOST:PORT)", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("listen address %q: port %q is not a number from 0 to 65535", listen, portText)
	}
	dialCreds := insecure.NewCredentials()
	if clientTLS != nil {
		dialCreds = credentials.NewTLS(clientTLS)
	}
	serverOpts := []grpc.ServerOption{grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true})}
	if serverTLS != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(serverTLS)))
	}
	opts := []remote.ConfigOption{
		remote.WithEndpointWriterQueueSize(4096),
		remote.WithEndpointManagerQueueSize(4096),
		remote.WithDialOptions(grpc.WithTransportCredentials(dialCreds),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true})),
		remote.WithServerOptions(serverOpts...),
		remote.WithAcceptMessage(accept),
	}
	if advertise != "" {
		opts = append(opts, remote.WithAdvertisedHost(advertise))
	}
	cfg := remote.Configure(host, port, opts...)
	cfg.MaxRetryCount = 1
	r := remote.NewRemote(sys, cfg)
	// Start panics when it cannot bind; nothing is started by then.
	err = func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%v", p)
			}
		}()
		r.Start()
		return nil
	}()
	if err != nil {
		return nil, fmt.Errorf("start remote transport on %s: %w", listen, err)
	}
	return &transport{r: r, Address: sys.Address()}, nil
}

// stop closes the listener and the connections to peers.
func (t *transport) stop() {
	if t != nil {
		t.r.Shutdown(true)
	}
}

// ref is the wire form of a PID; pidOf the PID of a wire reference (nil
// for none).
func ref(pid *actor.PID) *messages.ActorRef {
	return &messages.ActorRef{Address: pid.Address, Id: pid.Id}
}

func pidOf(r *messages.ActorRef) *actor.PID {
	if r == nil || r.Address == "" || r.Id == "" {
		return nil
	}
	return actor.NewPID(r.Address, r.Id)
}

// primaryAccepts is what a primary takes from its peers: the join and a
// worker node's messages, addressed to the gateway or a node actor under
// it, and the remote watch messages.
func primaryAccepts(target *actor.PID, msg any) bool {
	const gw = supervisorName + "/" + gatewayName
	if target.Id != gw && !strings.HasPrefix(target.Id, gw+"/") {
		return false
	}
	switch msg.(type) {
	case *messages.Hello, *messages.Join, *messages.Heartbeat, *messages.Report, *messages.Leave, *messages.Progress:
		return true
	}
	return watchMessage(msg)
}

// agentAccepts is what a worker node takes from its primary: messages to
// its agent, and the remote watch messages.
func agentAccepts(target *actor.PID, msg any) bool {
	if target.Id != agentName {
		return false
	}
	switch msg.(type) {
	case *messages.Challenge, *messages.Refused, *messages.Welcome, *messages.RunJob, *messages.CancelAttempt,
		*messages.HeartbeatAck, *messages.ReportAck, *messages.Left:
		return true
	}
	return watchMessage(msg)
}

// watchMessage reports whether msg is one of the messages protoactor's
// remote watch sends.
func watchMessage(msg any) bool {
	switch msg.(type) {
	case *actor.Watch, *actor.Unwatch, *actor.Terminated, *actor.DeadLetterResponse:
		return true
	}
	return false
}
