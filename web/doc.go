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
// "Authorization: Bearer <token>"; /healthz and /metrics stay open.
//
// Jobs, stats and workflows are written in the same JSON shape as the
// CLI's --json output (gigq.Job, gigq.Stats, gigq.WorkflowInfo). Errors
// are {"error": "...", "field": "..."} (field only for bad input) with
// the matching status: 400 bad input, 401 missing or wrong token, 404
// unknown job or workflow, 405 wrong method, 409 a change the job's state
// forbids, 413 a body over Options.MaxBody, 415 a body that is not JSON
// (or YAML for workflows), 503 the node is closed.
//
// The event stream never blocks the node: each client has its own
// buffer, and when a client reads too slowly the events that do not fit
// are dropped, counted and reported in the stream as an "event: dropped"
// message. http.Server.Shutdown waits for streams, which never go idle:
// close Options.Done when shutdown begins (http.Server.RegisterOnShutdown)
// to end them.
package web
