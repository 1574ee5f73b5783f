// Package handlers holds the tasks built into the standalone gigq binary
// that reach outside the process: "exec" runs a command, "http" sends a
// request. Each is a *gigq.Task built from an options struct whose zero
// value is ready to use:
//
//	registry.MustAdd(handlers.Exec(handlers.ExecOptions{}), handlers.HTTP(handlers.HTTPOptions{}))
//
// Params are decoded strictly: an unknown param, a value of the wrong type
// or a missing required param fails the job with an error that names the
// param and says what it must be. Such an error is final (gigq.SkipRetry):
// the same params cannot do better on another attempt, so the job fails on
// its first attempt, whatever its max attempts. So do other params no
// request or command can be made of (an http url that is not an absolute
// http or https URL, an exec env name with '='); an exec dir that does not
// exist (yet) fails the attempt only.
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
//
// Anyone who can submit jobs can make the node send requests, so by
// default the http task connects only to public addresses. It refuses:
//
//   - loopback: 127.0.0.0/8, ::1
//   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//     (unique local)
//   - link-local: 169.254.0.0/16 (cloud metadata, 169.254.169.254,
//     included), fe80::/10
//   - unspecified: 0.0.0.0/8, ::
//   - multicast: 224.0.0.0/4, ff00::/8; broadcast: 255.255.255.255
//   - carrier-grade NAT 100.64.0.0/10, IETF protocol assignments
//     192.0.0.0/24, benchmarking 198.18.0.0/15, reserved 240.0.0.0/4
//   - IPv6 outside global unicast 2000::/3 (site-local fec0::/10, discard
//     100::/64 and the rest), IETF assignments 2001::/23 (Teredo
//     included), local-use NAT64 64:ff9b:1::/48
//   - an IPv6 address that embeds an IPv4 address is judged by it:
//     IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4
//     (2002::/16); ::ffff:127.0.0.1 is loopback
//
// The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are not refused: they reach nothing.
//
// The check is on the address actually dialed, after DNS, in the dialer's
// Control hook: a name that resolves to a refused address is refused, and
// a name that answers DNS differently the second time (DNS rebinding) has
// no second time to use. Each redirect's target is dialed, so checked, the
// same way. The task uses no proxy: HTTP_PROXY and HTTPS_PROXY are
// ignored, since a proxy would connect on the task's behalf, where the
// check cannot see.
//
// A refusal fails the job at once (gigq.SkipRetry), with a
// *BlockedAddressError that names the address, why it is refused, and the
// --http-allow flag that would open it, e.g. "http: refusing to connect to
// 127.0.0.1:7777 (loopback address); to allow it, start the node with
// --http-allow 127.0.0.1/32". HTTPOptions.Allow (gigq's --http-allow,
// repeatable) opens a CIDR, an address, or a host name: a request to that
// name may connect to whatever the name resolves to. HTTPOptions.Client,
// when set, replaces the task's client, check included.
package handlers
