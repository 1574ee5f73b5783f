package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
	"github.com/gigq-go/gigq/web"
)

// envToken names the environment variable read when --token is not given.
const envToken = "GIGQ_TOKEN"

// defaultHTTPAddr is gigq node's --http default: loopback only.
const defaultHTTPAddr = "127.0.0.1:7777"

// httpShutdownTimeout bounds how long in-flight requests may finish on
// shutdown, before the node closes.
const httpShutdownTimeout = 10 * time.Second

func (a *app) nodeCmd() *cobra.Command {
	var (
		wf        workerFlags
		rf        remoteFlags
		rp        primaryFlags
		addr      string
		token     string
		httpHosts []string
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run workers and the HTTP API in one process",
		Long: `Run a node: workers with the built-in handlers (as gigq worker does), and an
HTTP server with the dashboard (/), the JSON API under /api/, the event
stream (/api/events), Prometheus metrics (/metrics) and /healthz, until
SIGINT or SIGTERM. Shutdown stops the HTTP server, then the workers as gigq
worker does (--shutdown-grace); a second signal exits at once, after putting
the running jobs (and those of its worker nodes) back to pending without
using an attempt. /healthz answers 503 with the reason, and the node exits 1
naming "gigq check", when SQLite reports the database file damaged.

The server listens on loopback by default. With --token (or GIGQ_TOKEN)
every /api/ request must send "Authorization: Bearer <token>", and the
dashboard asks for the token once (/login) and keeps an HttpOnly session
cookie (a random session id, ended by Log out or after 12h); binding a
non-loopback address without a token is refused. A token (or
--remote-secret) shorter than 16 bytes, or given but blank, is refused:
make one with openssl rand -hex 32. GIGQ_TOKEN set to "" counts as unset.

With or without a token, the server refuses what a web page on another
site could make a browser send: a POST from another origin (403, by
net/http's CrossOriginProtection), a request whose Host is not localhost,
an IP address, --http's host or a --http-host name (421: this stops DNS
rebinding; give --http-host for each name a reverse proxy or DNS uses),
and a body without its Content-Type (415: application/json; YAML or JSON
for /api/workflows). POST /api/clear needs ?before=TIME or ?before=now.

With --remote-listen the node is also a primary: worker nodes on other
machines ("gigq worker --join HOST:PORT", no database of their own) join it
there and run its jobs, each job going only to a node that has its handler.
The address they should join is logged at start (useful with port 0). With
--concurrency 0 the primary runs no jobs itself and only dispatches to
worker nodes. Every worker node must know --remote-secret (or
GIGQ_REMOTE_SECRET), which never crosses the network; listening on a
non-loopback address without one is refused, and a wildcard address such as
0.0.0.0:7420 needs --remote-advertise, the HOST:PORT worker nodes dial.
--remote-tls-cert and --remote-tls-key encrypt the link (worker nodes then
need TLS flags too); with --remote-tls-ca each side also checks the other's
certificate. A worker node silent for --remote-heartbeat-timeout (or whose
connection drops) is taken for lost: its running attempts fail with
"node <id> lost" and are retried elsewhere.`,
		Example: `  gigq node
  gigq node --http 0.0.0.0:7777 --http-host gigq.example.com --token "$(openssl rand -hex 32)" --concurrency 4
  curl -s localhost:7777/api/stats
  GIGQ_REMOTE_SECRET=$(openssl rand -hex 32) gigq node --remote-listen 0.0.0.0:7420 --remote-advertise 10.0.0.5:7420 --concurrency 0`,
		Annotations: map[string]string{annotDefaultLevel: "info"},
		Args:        exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			primary := cmd.Flags().Changed("remote-listen")
			if !primary {
				if err := onlyWith(cmd, "--remote-listen", append(rp.names(), rf.names()...)...); err != nil {
					return err
				}
			}
			minConcurrency := 1
			if primary {
				minConcurrency = 0 // no workers of its own: worker nodes run every job
			}
			if err := wf.validate(minConcurrency); err != nil {
				return err
			}
			source := "--token"
			if !cmd.Flags().Changed("token") {
				token, source = a.getenv(envToken), envToken
			}
			if source == "--token" || token != "" {
				if err := checkSecret(source, envToken, token); err != nil {
					return err
				}
			}
			if err := checkBind(addr, token); err != nil {
				return err
			}
			allowedHosts, err := hostsOf(addr, httpHosts)
			if err != nil {
				return err
			}
			cfg := wf.config(a)
			if primary {
				if err := rf.resolve(a, cmd); err != nil {
					return err
				}
				remote, err := rp.config(&rf)
				if err != nil {
					return err
				}
				cfg.Remote = remote
				if wf.concurrency == 0 {
					// The node registers the tasks it runs itself: none.
					cfg.Workers, cfg.Registry = gigq.NoWorkers, nil
				}
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			cfg.Metrics = reg
			ctx := cmd.Context()
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
			if err != nil {
				return usageErrorf("cannot listen on --http %s: %v", addr, err)
			}
			defer func() { _ = ln.Close() }() // Shutdown closed it already, unless Open failed
			return a.runNode(ctx, cfg, func(ctx context.Context, n *gigq.Node) error {
				if join := n.RemoteAddress(); join != "" {
					a.log.Info().Str("join", join).Int("workers", max(wf.concurrency, 0)).Bool("secret", rf.secret != "").
						Bool("tls", cfg.Remote.TLS != nil).Msg("accepting worker nodes on " + join)
				}
				return a.serveHTTP(ctx, ln, n, web.Options{Token: token, AllowedHosts: allowedHosts, Gatherer: reg, Logger: &a.log})
			})
		}),
	}
	f := cmd.Flags()
	wf.register(f)
	f.StringVar(&addr, "http", defaultHTTPAddr, "address the HTTP server listens on (host:port)")
	f.StringVar(&token, "token", "", "bearer token required on every /api/ request, at least 16 bytes, e.g. $(openssl rand -hex 32) (env "+
		envToken+" when --token is not given)")
	f.StringArrayVar(&httpHosts, "http-host", nil,
		"a name clients reach the HTTP server by, e.g. a reverse proxy's gigq.example.com: requests for other names "+
			"than localhost, IP addresses and --http's host are refused (repeatable)")
	rp.register(f)
	rf.register(f)
	return cmd
}

// primaryFlags are the flags of gigq node that make it a primary worker
// nodes join (besides the shared remoteFlags).
type primaryFlags struct {
	listen           string
	advertise        string
	heartbeatTimeout time.Duration
}

func (rp *primaryFlags) register(f *pflag.FlagSet) {
	f.StringVar(&rp.listen, "remote-listen", "",
		"accept worker nodes (gigq worker --join) on HOST:PORT, e.g. 0.0.0.0:7420 (port 0 picks a free one)")
	f.StringVar(&rp.advertise, "remote-advertise", "",
		"HOST:PORT worker nodes dial, when it differs from --remote-listen (required with a wildcard --remote-listen)")
	f.DurationVar(&rp.heartbeatTimeout, "remote-heartbeat-timeout", 10*time.Second,
		"how long a worker node may stay silent before it is taken for lost and its running jobs are retried")
}

// names are the flags that mean something only with --remote-listen.
func (*primaryFlags) names() []string {
	return []string{"remote-advertise", "remote-heartbeat-timeout"}
}

// config is the node's Remote configuration.
func (rp *primaryFlags) config(rf *remoteFlags) (*gigq.RemoteConfig, error) {
	if rp.listen == "" {
		return nil, usageErrorf("--remote-listen must not be empty: want HOST:PORT, e.g. 0.0.0.0:7420")
	}
	if err := checkHostPort("remote-listen", rp.listen); err != nil {
		return nil, err
	}
	if err := checkHostPort("remote-advertise", rp.advertise); err != nil {
		return nil, err
	}
	if err := positiveDuration("remote-heartbeat-timeout", rp.heartbeatTimeout); err != nil {
		return nil, err
	}
	return &gigq.RemoteConfig{Listen: rp.listen, Advertise: rp.advertise, Secret: rf.secret, TLS: rf.tls(),
		HeartbeatTimeout: rp.heartbeatTimeout}, nil
}

// serveHTTP serves the node's web handler on ln until ctx ends, then shuts
// the server down: new connections are refused, event streams end, and
// in-flight requests get httpShutdownTimeout to finish.
func (a *app) serveHTTP(ctx context.Context, ln net.Listener, n *gigq.Node, opts web.Options) error {
	done := make(chan struct{})
	opts.Done = done
	srv := &http.Server{Handler: web.New(n, opts), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(func() { close(done) })
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.Info().Str("addr", ln.Addr().String()).Bool("token", opts.Token != "").
		Msg("listening on http://" + ln.Addr().String())
	select {
	case err := <-served:
		return err // Serve failed: it never returns nil before Shutdown
	case <-ctx.Done():
	}
	a.log.Info().Msg("shutting down: stopping the HTTP server, then letting running jobs finish (signal again to put them back to pending and exit at once)")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// checkBind refuses a non-loopback address without a token: anyone who
// can reach it could submit, cancel and delete jobs.
func checkBind(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("invalid --http %q: want host:port, e.g. %s", addr, defaultHTTPAddr)
	}
	if token != "" || isLoopback(host) {
		return nil
	}
	return usageErrorf("refusing to serve the HTTP API on non-loopback address %s without a token: "+
		"anyone who can reach it could submit, cancel and delete jobs; set --token (or %s), or listen on loopback (e.g. --http %s)",
		addr, envToken, defaultHTTPAddr)
}

// hostsOf returns the names the HTTP server answers to besides loopback
// names and IP addresses (web.Options.AllowedHosts): --http's host when
// it is a name, and each --http-host.
func hostsOf(addr string, httpHosts []string) ([]string, error) {
	var out []string
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && net.ParseIP(host) == nil {
		out = append(out, host)
	}
	for _, h := range httpHosts {
		if h == "" || strings.ContainsAny(h, "/ \t@?#") {
			return nil, usageErrorf("invalid --http-host %q: want a host name as clients send it, e.g. gigq.example.com "+
				"(no scheme or path; a port is ignored)", h)
		}
		out = append(out, h)
	}
	return out, nil
}

// isLoopback reports whether host names only the loopback interface. An
// empty host (all interfaces) or another name is not.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// registryFor returns the handlers a worker or node runs: the built-in
// ones (http opened to --http-allow), plus, with --allow-exec, exec, which
// runs any command the job names: only a node whose operator asked for it
// may run one.
func (wf *workerFlags) registryFor() *gigq.Registry {
	reg := builtinRegistry(handlers.HTTPOptions{Allow: wf.httpAllow})
	if wf.allowExec {
		reg.MustAdd(handlers.Exec(handlers.ExecOptions{}))
	}
	return reg
}

// workerFlags are the flags of a process that runs jobs (worker, node).
type workerFlags struct {
	concurrency int
	workerID    string
	grace       time.Duration
	lease       time.Duration
	allowExec   bool
	httpAllow   []string
	queues      []string
	queueLimits []string
}

func (wf *workerFlags) register(f *pflag.FlagSet) {
	f.IntVar(&wf.concurrency, "concurrency", 1, "number of jobs run at once")
	f.StringVar(&wf.workerID, "worker-id", "", "worker id written on the jobs it runs (default <hostname>-<pid>)")
	f.DurationVar(&wf.lease, "lease", 15*time.Second,
		"how long another node may go without a heartbeat before its running jobs are reclaimed")
	f.DurationVar(&wf.grace, "shutdown-grace", 30*time.Second,
		"on SIGINT/SIGTERM, how long running jobs may finish before they are cancelled and returned to pending")
	f.BoolVar(&wf.allowExec, "allow-exec", false,
		"also run the exec handler: jobs that run any command line they name, as this process's user")
	f.StringArrayVar(&wf.httpAllow, "http-allow", nil,
		"let http jobs connect to `CIDR|IP|HOST`, which they may not by default as it is loopback, private or link-local, e.g. 127.0.0.1/32 or api.internal (repeatable)")
	f.StringSliceVar(&wf.queues, "queues", nil, "run only the jobs of these named queues, e.g. default,reports (default: every queue)")
	f.StringArrayVar(&wf.queueLimits, "queue-limit", nil,
		"QUEUE=N: run at most N jobs of the queue at once, across all workers, e.g. reports=2 (repeatable)")
}

// limits parses --queue-limit.
func (wf *workerFlags) limits() (map[string]int, error) {
	if len(wf.queueLimits) == 0 {
		return nil, nil
	}
	out := map[string]int{}
	for _, kv := range wf.queueLimits {
		q, n, ok := strings.Cut(kv, "=")
		v, err := strconv.Atoi(n)
		if !ok || q == "" || err != nil || v < 1 {
			return nil, usageErrorf("invalid --queue-limit %q: want QUEUE=N with N at least 1, e.g. reports=2", kv)
		}
		out[q] = v
	}
	return out, nil
}

// validate checks the flags. --concurrency must be at least
// minConcurrency: 1, or 0 for a primary (gigq node --remote-listen).
func (wf *workerFlags) validate(minConcurrency int) error {
	if wf.concurrency < minConcurrency {
		hint := ""
		if wf.concurrency == 0 {
			hint = " (0, no workers of its own, only for a primary: gigq node --remote-listen)"
		}
		return usageErrorf("invalid --concurrency %d: must be at least %d%s", wf.concurrency, minConcurrency, hint)
	}
	if wf.lease <= 2*time.Second {
		return usageErrorf("invalid --lease %s: must be longer than the 2s heartbeat", wf.lease)
	}
	if wf.grace <= 0 {
		return usageErrorf("invalid --shutdown-grace %s: must be positive", wf.grace)
	}
	if _, err := wf.limits(); err != nil {
		return err
	}
	for _, entry := range wf.httpAllow {
		if err := handlers.CheckAllow(entry); err != nil {
			return usageErrorf("invalid --http-allow: %v", err)
		}
	}
	return nil
}

// config is the node config the flags give, with the built-in handlers
// (and exec with --allow-exec).
func (wf *workerFlags) config(a *app) gigq.Config {
	limits, _ := wf.limits() // validate checked them
	return gigq.Config{Path: a.db, Registry: wf.registryFor(), Workers: wf.concurrency, WorkerID: wf.workerID,
		ShutdownTimeout: wf.grace, Lease: wf.lease, Logger: &a.log, Queues: wf.queues, QueueLimits: limits}
}

// runNode opens a node that runs jobs, logs its events, calls fn with it,
// and closes it after. fn's context ends at the first signal, or when the
// node stops because its database file is damaged; runNode then returns
// that error (exit 1), which names the file and says to run gigq check.
// While the node is open, a second signal aborts it (main.go).
func (a *app) runNode(ctx context.Context, cfg gigq.Config, fn func(ctx context.Context, n *gigq.Node) error) (err error) {
	// Events from the start: the node claims its first jobs during Open,
	// before a Subscribe could be made.
	events := make(chan *gigq.Event, 4096)
	cfg.Events = events
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		for e := range events {
			logEvent(a.log, e)
		}
	}()
	defer func() {
		close(events) // after Close: nothing more is sent
		<-logged
	}()
	n, err := gigq.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer abortHookFrom(ctx).set(n.Abort)() // also while closeNode lets running jobs finish
	defer closeNode(ctx, n, &err)
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-n.Failed():
			stop()
		case <-fctx.Done():
		}
	}()
	err = fn(fctx, n)
	if ferr := n.Err(); ferr != nil {
		return ferr // the damage, rather than what it made fn or Close say
	}
	return err
}
