// Package handlers holds the tasks built into the standalone gigq binary
// that reach outside the process: "exec" runs a command, "http" sends a
// request. Each is a *gigq.Task built from an options struct whose zero
// value is ready to use:
//
//	registry.MustAdd(handlers.Exec(handlers.ExecOptions{}), handlers.HTTP(handlers.HTTPOptions{}))
//
// Params are decoded strictly: an unknown param, a value of the wrong type
// or a missing required param fails the attempt with an error that names
// the param and says what it must be. Such an attempt is retried like any
// other failure (gigq has no permanent-failure signal yet), so a job with
// bad params fails once per attempt.
//
// # exec
//
// Params: argv (required: the program and its arguments, no shell),
// env (added to the node's environment), dir, stdin. Result: exit_code,
// stdout, stderr, stdout_truncated, stderr_truncated.
//
// exec runs arbitrary programs with the rights of the node's user. It is
// therefore not registered by default: a node runs it only when its
// operator enables it explicitly (gigq's --allow-exec flag). Anyone who can
// submit jobs to such a node can run commands on it.
//
// Output is captured up to ExecOptions.MaxOutputBytes (1 MiB by default)
// per stream. stdout keeps its first bytes; stderr keeps its last, since
// the end of stderr is where a failing command says why. A *_truncated
// flag says bytes were dropped.
//
// A non-zero exit fails the attempt with an *ExitError that names the exit
// code (or the signal) and carries the last 4 KiB of stderr.
//
// On unix the command runs in a process group of its own. When the
// handler's context ends (the job's timeout, a cancel, the node shutting
// down) the whole group is sent SIGKILL, so a process the command started
// dies with it; the attempt fails with an error wrapping the context's
// cause. When the command exits by itself, processes it left in its group
// are killed too, so a job leaves nothing running. A process that leaves
// the group (setsid, or a daemon that double-forks into a new session) is
// out of reach. On other systems (Windows) only the command's own process
// is killed.
//
// # http
//
// Params: method (default GET), url (required, http or https), headers,
// body, expect_status (a list of status codes; default any 2xx). Result:
// status, headers (one string per name, several values joined with ", "),
// body, body_truncated.
//
// The body is read up to HTTPOptions.MaxBodyBytes (1 MiB by default); the
// rest is not read. A status outside expect_status fails the attempt with
// a *StatusError that names the status and carries the start of the body.
// The request is bound to the handler's context, so the job's timeout
// bounds it; the default client has no timeout of its own and follows up
// to 10 redirects.
package handlers
