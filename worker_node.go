package gigq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/actors"
)

// WorkerNodeConfig configures a worker node: a process on another machine,
// with no database, that joins a primary (a node opened with
// Config.Remote) and runs the jobs of the tasks in its Registry.
type WorkerNodeConfig struct {
	// Join is the primary's remote address (HOST:PORT, its
	// RemoteConfig.Listen or Advertise).
	Join string
	// Registry holds the tasks this worker node runs. Required.
	Registry *Registry
	// Concurrency is how many jobs it runs at once. Default 4.
	Concurrency int
	// ID is written as worker_id on the jobs it runs. Default
	// "<hostname>-<pid>-w<n>", n counting the worker nodes this process
	// started (a node opened in the same process is "<hostname>-<pid>").
	ID string
	// Listen is the HOST:PORT this worker node serves on: the primary
	// connects back to it. Default: port 0 on the address this machine
	// reaches the primary from.
	Listen string
	// Advertise is the HOST:PORT the primary dials, when it differs from
	// Listen (NAT, a wildcard Listen).
	Advertise string
	// Secret is the primary's RemoteConfig.Secret.
	Secret string
	// TLS must match the primary's: set it when the primary uses TLS.
	TLS *RemoteTLS
	// Grace is how long running jobs go on while the primary is gone:
	// the worker node keeps joining again with backoff meanwhile, and
	// reports them once it is back in. Past Grace it cancels them (the
	// primary requeues them). Default 1m; -1 keeps them for ever.
	Grace time.Duration
	// ShutdownTimeout is how long Close lets running jobs finish before
	// it cancels their contexts. Default 30s.
	ShutdownTimeout time.Duration
	// Logger receives structured logs. Default: none.
	Logger *zerolog.Logger

	protocol uint32 // tests: claim another remote protocol
}

// WorkerNode is a running worker node. It joins its primary in the
// background, and joins again whenever it loses it, until Close. Its
// methods are safe for concurrent use by multiple goroutines.
type WorkerNode struct {
	cfg        WorkerNodeConfig
	log        zerolog.Logger
	agent      *actors.Agent
	baseCancel context.CancelFunc

	joined     chan struct{}
	joinedOnce sync.Once
	refused    chan struct{}
	refuseOnce sync.Once
	refuseErr  error

	closeOnce sync.Once
	closeErr  error
}

// workerNodes counts the worker nodes this process started, for their
// default ids.
var workerNodes atomic.Int64

// WorkerNodeStatus describes a worker node's link to its primary.
type WorkerNodeStatus struct {
	Joined  bool   // joined now
	Primary string // the primary's node id, once joined
	Running int    // jobs running now
}

// StartWorkerNode starts a worker node, which joins cfg.Join at once and
// keeps trying with backoff while the primary cannot be reached. It returns
// once the worker node listens; Joined says when it is in. Close it when
// done.
//
// An invalid cfg gives an error that names the field, and a ctx already
// ended its error; then nothing was started. ctx is not kept: the worker
// node runs until Close.
func StartWorkerNode(ctx context.Context, cfg WorkerNodeConfig) (*WorkerNode, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.ID == "" {
		cfg.ID = fmt.Sprintf("%s-%d-w%d", hostname(), os.Getpid(), workerNodes.Add(1))
	}
	if cfg.Grace == 0 {
		cfg.Grace = time.Minute
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	switch {
	case cfg.Registry == nil || len(cfg.Registry.Names()) == 0:
		return nil, errors.New("gigq: a worker node needs a Registry with at least one task")
	case cfg.Concurrency < 1:
		return nil, fmt.Errorf("gigq: worker node Concurrency must be at least 1 (got %d)", cfg.Concurrency)
	case cfg.Grace < -1:
		return nil, fmt.Errorf("gigq: worker node Grace must be positive, or -1 to keep jobs for ever (got %s)", cfg.Grace)
	case cfg.ShutdownTimeout < 0:
		return nil, fmt.Errorf("gigq: worker node ShutdownTimeout must not be negative (got %s)", cfg.ShutdownTimeout)
	}
	if cfg.Secret != "" {
		if err := checkSecret("worker node Secret", cfg.Secret); err != nil {
			return nil, err
		}
	}
	if _, _, err := net.SplitHostPort(cfg.Join); err != nil {
		return nil, fmt.Errorf("gigq: worker node Join %q: want the primary's HOST:PORT, e.g. 10.0.0.5:7420", cfg.Join)
	}
	if cfg.Listen == "" {
		cfg.Listen = net.JoinHostPort(localAddressToward(cfg.Join), "0")
	}
	if host, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return nil, fmt.Errorf("gigq: worker node Listen %q: want HOST:PORT", cfg.Listen)
	} else if wildcard(host) && cfg.Advertise == "" {
		return nil, fmt.Errorf("gigq: worker node Listen %q binds every interface: set Advertise to the HOST:PORT the primary dials", cfg.Listen)
	}
	server, client, err := cfg.TLS.configs()
	if err != nil {
		return nil, err
	}
	log := zerolog.Nop()
	if cfg.Logger != nil {
		log = *cfg.Logger
	}
	base, cancel := context.WithCancel(context.Background())
	w := &WorkerNode{cfg: cfg, log: log, baseCancel: cancel, joined: make(chan struct{}), refused: make(chan struct{})}
	grace := cfg.Grace
	if grace < 0 {
		grace = 0
	}
	ac := actors.AgentConfig{
		Join: cfg.Join, Listen: cfg.Listen, Advertise: cfg.Advertise, NodeID: cfg.ID, Host: hostname(), PID: os.Getpid(),
		Concurrency: cfg.Concurrency, Handlers: cfg.Registry.handlers(), ServerTLS: server, ClientTLS: client,
		Grace: grace, Version: version(), Protocol: cfg.protocol, BaseContext: base, Logger: log,
		OnJoined: func(string) { w.joinedOnce.Do(func() { close(w.joined) }) },
		OnRefused: func(err error) {
			w.refuseOnce.Do(func() { w.refuseErr = err; close(w.refused) })
		},
	}
	if cfg.Secret != "" {
		ac.Secret = []byte(cfg.Secret)
	}
	w.agent, err = actors.StartAgent(ac)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gigq: %w", err)
	}
	log.Info().Str("id", cfg.ID).Str("primary", cfg.Join).Str("address", w.agent.Address()).Int("concurrency", cfg.Concurrency).
		Strs("tasks", cfg.Registry.Names()).Bool("tls", cfg.TLS != nil).Msg("worker node started; joining")
	return w, nil
}

// ID is the worker node's id (the worker_id on its jobs).
func (w *WorkerNode) ID() string { return w.cfg.ID }

// Address is where the primary reaches this worker node.
func (w *WorkerNode) Address() string { return w.agent.Address() }

// Joined is closed when the worker node first joined its primary.
func (w *WorkerNode) Joined() <-chan struct{} { return w.joined }

// Refused is closed when the primary refused the worker node for good (a
// wrong secret, another protocol); Err then says why.
func (w *WorkerNode) Refused() <-chan struct{} { return w.refused }

// Err is the reason the primary refused the worker node (it matches
// ErrJoinRefused), or nil.
func (w *WorkerNode) Err() error {
	select {
	case <-w.refused:
		return w.refuseErr
	default:
		return nil
	}
}

// Status reports the link to the primary now.
func (w *WorkerNode) Status(ctx context.Context) (WorkerNodeStatus, error) {
	s, err := w.agent.Status(ctx)
	if err != nil {
		return WorkerNodeStatus{}, err
	}
	return WorkerNodeStatus{Joined: s.Joined, Primary: s.Primary, Running: s.Running}, nil
}

// Close leaves the primary: it stops taking jobs, lets running ones finish
// and report for up to ShutdownTimeout (or until ctx ends), then cancels
// them (their jobs go back to pending without using an attempt), and stops.
// It is idempotent.
func (w *WorkerNode) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		grace, cancel := context.WithTimeout(ctx, w.cfg.ShutdownTimeout)
		err := w.agent.Drain(grace)
		cancel()
		if err != nil {
			w.log.Warn().Err(err).Msg("running jobs did not finish in time; cancelling them")
			w.baseCancel()
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := w.agent.Drain(last); err != nil {
				w.log.Warn().Err(err).Msg("jobs not reported before the worker node stopped; the primary requeues them")
			}
			cancel()
		}
		w.baseCancel()
		w.agent.Stop()
		w.log.Info().Msg("worker node stopped")
	})
	return w.closeErr
}

// localAddressToward is this machine's address on the route to addr (no
// packet is sent), or 127.0.0.1 when there is none.
func localAddressToward(addr string) string {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return a.IP.String()
	}
	return "127.0.0.1"
}

// version is gigq's module version as built into the binary, for logs.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/gigq-go/gigq" {
				return d.Version
			}
		}
		return bi.Main.Version
	}
	return "unknown"
}
