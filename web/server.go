package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq"
)

// DefaultMaxBody is Options.MaxBody's default: 1 MiB.
const DefaultMaxBody = 1 << 20

// Defaults for the event stream.
const (
	DefaultHeartbeat   = 15 * time.Second
	DefaultEventBuffer = 256
)

// Options configure the handler New returns. The zero value serves the API
// without authentication, without /metrics (404) and without logs.
type Options struct {
	// Token, when set, is required on every /api/ request as
	// "Authorization: Bearer <token>" (compared in constant time), or
	// the session cookie the dashboard's login form sets. /healthz,
	// /metrics and the dashboard's static files are open. Use at least
	// 16 random bytes (openssl rand -hex 32): gigq node refuses shorter.
	Token string
	// AllowedHosts are the names, besides the default ones, that requests
	// may carry in their Host header (a reverse proxy's name, a DNS name
	// of the node; a port is ignored, case too): gigq node's --http-host,
	// and --http's host when it is a name. By default only loopback names
	// ("localhost", "*.localhost") and IP addresses are answered; any
	// other Host gets 421 Misdirected Request, on every route. This is
	// what stops DNS rebinding: a page whose own name was made to
	// resolve to the node's address could otherwise read the API.
	AllowedHosts []string
	// SessionTTL is how long a dashboard login lasts (with a Token): the
	// session's id then stops working, as it does at logout. Default
	// DefaultSessionTTL (12h).
	SessionTTL time.Duration
	// Gatherer, when set, is served on /metrics in the Prometheus text
	// format.
	Gatherer prometheus.Gatherer
	// Logger receives the server's logs (internal errors at error level,
	// requests at debug). Default: none.
	Logger *zerolog.Logger
	// MaxBody is the largest request body, in bytes; a bigger one gets
	// 413. Default DefaultMaxBody (1 MiB).
	MaxBody int64
	// Heartbeat is how often an idle event stream gets a comment line, so
	// that proxies and clients see it alive. Default DefaultHeartbeat
	// (15s).
	Heartbeat time.Duration
	// EventBuffer is how many events each stream client may fall behind
	// before events are dropped (and the drop reported to it). Default
	// DefaultEventBuffer (256).
	EventBuffer int
	// Done, when closed, ends every event stream (and refuses new ones):
	// close it when the server shuts down.
	Done <-chan struct{}
}

// server holds what the handlers share.
type server struct {
	node *gigq.Node
	opts Options
	log  zerolog.Logger
}

// New returns the HTTP handler of node: the dashboard at / (with a
// token, behind a login form at /login), the API under /api/, the event
// stream, /metrics and /healthz. It is safe for concurrent use; the node
// must stay open while the handler serves.
//
// Every route answers only the Hosts of Options.AllowedHosts (and
// loopback names and IP addresses), and every state-changing request
// (POST) goes through net/http's CrossOriginProtection: a browser request
// from another origin is refused with 403, with or without a token.
func New(node *gigq.Node, opts Options) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = DefaultEventBuffer
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	s := &server{node: node, opts: opts, log: zerolog.Nop()}
	if opts.Logger != nil {
		s.log = *opts.Logger
	}

	api := http.NewServeMux()
	s.route(api, "/api/jobs", methods{
		http.MethodGet:  s.listJobs,
		http.MethodPost: s.submitJob,
	})
	s.route(api, "/api/jobs/{id}", methods{http.MethodGet: s.getJob})
	s.route(api, "/api/jobs/{id}/cancel", methods{http.MethodPost: s.cancelJob})
	s.route(api, "/api/jobs/{id}/requeue", methods{http.MethodPost: s.requeueJob})
	s.route(api, "/api/clear", methods{http.MethodPost: s.clear})
	s.route(api, "/api/stats", methods{http.MethodGet: s.stats})
	s.route(api, "/api/workflows", methods{http.MethodPost: s.submitWorkflow})
	s.route(api, "/api/workflows/{id}", methods{http.MethodGet: s.getWorkflow})
	s.route(api, "/api/events", methods{http.MethodGet: s.events})
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errorf(http.StatusNotFound, "", "no API endpoint %s: see the README's HTTP API section", r.URL.Path))
	})

	mux := http.NewServeMux()
	a := newAuth(opts.Token, newSessions(opts.SessionTTL, maxSessions))
	mux.Handle("/api/", a.wrap(s, api))
	s.routeDashboard(mux, a)
	s.route(mux, "/healthz", methods{http.MethodGet: s.healthz})
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{ErrorLog: promLogger{s.log}}))
	}
	return s.logRequests(newHostGuard(opts.AllowedHosts).wrap(s, s.crossOrigin(mux)))
}

// logRequests logs each request at debug level once it is answered.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", sw.status).
			Dur("elapsed", time.Since(start)).Msg("http request")
	})
}

// statusWriter records the status of a response. Unwrap lets
// http.ResponseController reach the connection (Flush for event streams).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// methods maps an HTTP method to its handler on one path.
type methods map[string]http.HandlerFunc

// route registers the handlers of a path, and a fallback that answers any
// other method with 405 and the Allow header, in JSON (ServeMux's own 405
// is plain text).
func (s *server) route(mux *http.ServeMux, path string, m methods) {
	allow := make([]string, 0, len(m))
	for method, h := range m {
		mux.HandleFunc(method+" "+path, h)
		allow = append(allow, method)
		if method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.fail(w, r, errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed on %s: use %s",
			r.Method, r.URL.Path, strings.Join(allow, " or ")))
	})
}

// healthz answers 200 {"status":"ok"}; 503 {"status":"failed","error":
// ...} once the node stopped because its database file is damaged
// (gigq.Node.Err, which names the file and what SQLite reported); and 503
// once Options.Done is closed (the server is shutting down). It does not
// touch the database.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.node.Err(); err != nil {
		// The node stopped (its database file is damaged). Not logged
		// here: the node logged it once, and a probe asks often.
		s.reply(w, http.StatusServiceUnavailable, map[string]string{"status": "failed",
			"error": strings.TrimPrefix(err.Error(), "gigq: ")})
		return
	}
	if s.shuttingDown() {
		s.fail(w, r, errorf(http.StatusServiceUnavailable, "", "shutting down"))
		return
	}
	s.reply(w, http.StatusOK, map[string]string{"status": "ok"})
}

// shuttingDown reports whether Options.Done is closed.
func (s *server) shuttingDown() bool {
	select {
	case <-s.opts.Done:
		return true
	default:
		return false
	}
}

// promLogger routes promhttp's errors into the logger.
type promLogger struct{ log zerolog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error().Msg(strings.TrimSpace(fmt.Sprintln(v...))) }
