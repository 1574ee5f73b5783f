// Package web serves a gigq node over HTTP: a JSON API under /api/, a
// server-sent event stream of job changes (/api/events), Prometheus
// metrics (/metrics) and a health check (/healthz).
//
// New returns an http.Handler, so a service that embeds gigq can mount it
// on its own server:
//
//	h := web.New(node, web.Options{Token: os.Getenv("GIGQ_TOKEN"), Gatherer: reg})
//	srv := &http.Server{Addr: "127.0.0.1:7777", Handler: h}
//
// With Options.Token set, every /api/ request must carry
// "Authorization: Bearer <token>" or the session cookie of a dashboard
// login; /healthz and /metrics stay open.
//
// With or without a token, the handler refuses what a web page on
// another site can make a browser send: every route answers only the
// Hosts of Options.AllowedHosts, loopback names and IP addresses (421
// otherwise, which stops DNS rebinding); every POST goes through
// net/http's CrossOriginProtection (403 for a browser request from
// another origin); request bodies must declare their Content-Type (415);
// and POST /api/clear needs ?before= (an RFC 3339 time, or now).
//
// Jobs, stats and workflows are written in the same JSON shape as the
// CLI's --json output (gigq.Job, gigq.Stats, gigq.WorkflowInfo). Errors
// are {"error": "...", "field": "..."} (field only for bad input) with
// the matching status: 400 bad input, 401 missing or wrong token, 403 a
// cross-origin request, 404 unknown job or workflow, 405 wrong method,
// 409 a change the job's state forbids, 413 a body over Options.MaxBody,
// 415 a body without Content-Type or not JSON (or YAML for workflows),
// 421 a Host that is not the node's, 503 the node is closed.
//
// The event stream never blocks the node: each client has its own
// buffer, and when a client reads too slowly the events that do not fit
// are dropped, counted and reported in the stream as an "event: dropped"
// message. http.Server.Shutdown waits for streams, which never go idle:
// close Options.Done when shutdown begins (http.Server.RegisterOnShutdown)
// to end them.
package web
