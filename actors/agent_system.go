package actors

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
)

// AgentConfig is a worker node: a process on another machine, without the
// database, that joins a primary and runs its jobs (agent.go).
type AgentConfig struct {
	// Join is the primary's remote address (host:port).
	Join string
	// Listen and Advertise are this worker node's own transport address:
	// the primary connects back to it. Listen's port may be 0.
	Listen, Advertise string
	// NodeID is written as worker_id on the jobs it runs; Host and PID
	// describe the process in the primary's nodes table.
	NodeID string
	Host   string
	PID    int
	// Concurrency is how many jobs it runs at once.
	Concurrency int
	Handlers    map[string]Handler
	// Secret proves the worker node may join (the primary's secret).
	Secret               []byte
	ServerTLS, ClientTLS *tls.Config
	// Heartbeat paces the worker node until the primary's Welcome sets it.
	Heartbeat time.Duration
	// Grace is how long attempts keep running without a primary before
	// they are cancelled; 0 keeps them for ever.
	Grace time.Duration
	// Version is gigq's version, sent at join for the primary's logs.
	Version string
	// Protocol is the remote protocol it claims at join; 0 means
	// messages.RemoteProtocol (tests set another to see the refusal).
	Protocol uint32
	// OnJoined is called (on the agent's goroutine; it must not block)
	// each time the worker node joins its primary; OnRefused when the
	// primary refused it for good.
	OnJoined  func(primaryID string)
	OnRefused func(error)
	// BaseContext is the parent of every handler's context.
	BaseContext context.Context
	Logger      zerolog.Logger
	Now         func() time.Time

	startedAt time.Time
}

func (c *AgentConfig) handlerNames() []string { return sortedNames(c.Handlers) }

// Agent is a running worker node. Its methods are safe for concurrent use.
type Agent struct {
	cfg       *AgentConfig
	sys       *actor.ActorSystem
	transport *transport
	pid       *actor.PID
}

const agentName = "agent"

// StartAgent starts a worker node's transport and its agent, which begins
// joining the primary at once (and keeps trying, with backoff, until it
// can).
func StartAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("worker node concurrency must be at least 1 (got %d)", cfg.Concurrency)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BaseContext == nil {
		cfg.BaseContext = context.Background()
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	cfg.startedAt = cfg.Now()
	sys := newActorSystem(cfg.Logger)
	tr, err := startTransport(sys, cfg.Listen, cfg.Advertise, cfg.ServerTLS, cfg.ClientTLS, agentAccepts)
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	a := &Agent{cfg: &cfg, sys: sys, transport: tr}
	a.pid, err = sys.Root.SpawnNamed(newAgentProps(a.cfg), agentName)
	if err != nil {
		tr.stop()
		sys.Shutdown()
		return nil, fmt.Errorf("start worker node: %w", err)
	}
	return a, nil
}

// Address is the address the primary reaches this worker node at.
func (a *Agent) Address() string { return a.transport.Address }

// Status reports the link to the primary.
func (a *Agent) Status(ctx context.Context) (AgentStatus, error) {
	v, err := a.request(ctx, &agentStatusRequest{})
	if err != nil {
		return AgentStatus{}, err
	}
	return *v.(*AgentStatus), nil
}

// Drain stops taking jobs (the primary stops sending them) and waits until
// no attempt runs and the primary has every report, or until ctx ends.
func (a *Agent) Drain(ctx context.Context) error {
	_, err := a.request(ctx, &agentDrain{})
	return err
}

// Stop stops the agent and closes the transport. Call Drain first.
func (a *Agent) Stop() {
	_ = a.sys.Root.PoisonFuture(a.pid).Wait()
	a.transport.stop()
	a.sys.Shutdown()
}

func (a *Agent) request(ctx context.Context, msg any) (any, error) {
	return requestFrom(ctx, a.sys, a.pid, msg)
}

// newActorSystem builds an actor system whose protoactor logs go to log at
// warn level and above. The remote transport's reports about its outgoing
// connections (a peer that went away, a failed dial) are demoted to debug:
// the agent and the primary's node actors log what such an event means for
// jobs. What it says about what peers send (a message it drops) stays.
func newActorSystem(log zerolog.Logger) *actor.ActorSystem {
	pa := log.With().Str("component", "protoactor").Logger().Level(max(zerolog.WarnLevel, log.GetLevel()))
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(transportLogs{zerolog.NewSlogHandler(pa)})
	}))
}

// transportLogs demotes protoactor's records about outgoing connections
// to debug.
type transportLogs struct{ slog.Handler }

func (h transportLogs) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelDebug && strings.HasPrefix(r.Message, "EndpointWriter") {
		r.Level = slog.LevelDebug
		if !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h transportLogs) WithAttrs(as []slog.Attr) slog.Handler {
	return transportLogs{h.Handler.WithAttrs(as)}
}

func (h transportLogs) WithGroup(name string) slog.Handler {
	return transportLogs{h.Handler.WithGroup(name)}
}
