// Command gigq is the command line of gigq, a durable job queue on one
// SQLite file.
//
// Every command opens the database file itself (--db, default gigq.db, or
// $GIGQ_DB when --db is not given), so the commands work whether or not a
// worker is running: a job submitted in one terminal starts within a
// fraction of a second on a worker running in another.
//
// # Commands
//
//	gigq demo                      submit a handful of jobs, run them with live lines, print the stats
//	gigq submit HANDLER [flags]    submit a job; prints "Job submitted: <id>" ({"id":"<id>"} with --json)
//	gigq status ID [flags]         show a job (--show-params, --show-result, --show-executions, --json)
//	gigq list [flags]              list jobs, newest first (--status S, --limit N, --json)
//	gigq stats [--json]            count jobs in each state
//	gigq cancel ID                 cancel a pending job
//	gigq requeue ID                move a failed, timed-out or cancelled job back to pending
//	gigq clear [--before DAYS]     delete completed and cancelled jobs
//	gigq worker [flags]            run jobs with the built-in handlers (--concurrency N, --worker-id ID, --once)
//	gigq version [--json]          print the versions of gigq, Go and SQLite (also gigq --version); opens no database
//
// submit takes --name, -p/--param key=value (repeatable; the value is JSON
// when it is valid JSON, else a string), --priority, --max-attempts
// (default 3), --timeout and --retry-delay (seconds, fractions allowed;
// defaults 300 and 0) and --description.
//
// # Built-in handlers
//
// The worker and the demo run three handlers:
//
//	echo    returns its params as the result
//	sleep   sleeps "seconds" (a number) and returns {"slept": seconds}; stops early when cancelled
//	fail    fails with "message" (default "fail handler"); with "times": k it fails only the
//	        first k attempts, then returns {"attempts": n}
//
// # Output, logs and exit codes
//
// Results go to stdout: tables for humans, or one line of JSON with --json
// (the shapes of gigq.Job and gigq.Stats). Logs go to stderr only
// (--log-level debug|info|warn|error, default info for worker and warn
// otherwise; --log-format console|json, default console on a terminal),
// so --json output stays clean. Times are UTC RFC 3339.
//
// The exit code is 0 on success, 1 when the command failed (an unknown
// job, a change the job's state refuses, an unknown status, a database
// error) and 2 for a wrong command line (an unknown flag, a missing
// argument, a bad flag value, a -p without '='). Errors are printed to
// stderr as "gigq: ...".
//
// # Signals
//
// The first SIGINT or SIGTERM stops the worker gracefully: it claims no
// more jobs and lets the running ones finish (up to --shutdown-grace, then
// their contexts are cancelled and their jobs return to pending without
// using an attempt). A second signal exits at once (code 130), after
// putting the running jobs back to pending without using an attempt, in
// one commit bounded to a second (gigq.Node.Abort; abort.go).
//
// # A damaged database file
//
// When the node of gigq worker or gigq node finds its file damaged, it
// stops writing and claiming, and the command exits 1 with the error,
// which names the file, what SQLite reported, and gigq check.
package main
