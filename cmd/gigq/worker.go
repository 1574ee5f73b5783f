package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gigq-go/gigq"
)

func (a *app) workerCmd() *cobra.Command {
	var (
		wf   workerFlags
		wn   workerNodeFlags
		once bool
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run jobs with the built-in handlers",
		Long: `Run a node that executes jobs with the built-in handlers (echo, sleep,
fail, http; exec too with --allow-exec) until SIGINT or SIGTERM. The first
signal stops claiming and lets running jobs finish (up to --shutdown-grace,
then their contexts are cancelled and their jobs return to pending without
using an attempt); a second one exits at once (code 130), after putting the
running jobs back to pending without using an attempt, in one commit of at
most a second (it says so when that commit could not be made: the jobs are
then reclaimed later as "node lost", which uses an attempt).

If SQLite reports the database file damaged ("database disk image is
malformed"), the worker writes nothing more to it, claims nothing more,
cancels its running jobs and exits 1 with a message that names the file:
run "gigq check" on it. Jobs submitted by other
processes (gigq submit in another terminal) start within a fraction of a
second.

With --once, run at most one job and exit (0 also when none was ready).

The http handler connects only to public addresses: a job that names a
loopback, private, link-local (cloud metadata) or other non-public address,
or a host name that resolves to one, fails at once. --http-allow CIDR|IP|HOST
(repeatable) opens one, e.g. --http-allow 127.0.0.1/32.

With --join HOST:PORT, run a worker node instead: a process, on this or
another machine, that opens no database and runs the jobs of a primary
("gigq node --remote-listen", which logs the address to join). It logs
"joined primary" each time it joins; when it loses the primary, running jobs
go on for --grace while it joins again. It serves on --listen (default: a
free port on the address that reaches the primary) and the primary connects
back to it there, or to --advertise. Give it the primary's --remote-secret
(or GIGQ_REMOTE_SECRET) and, if the primary uses TLS, --remote-tls-cert and
--remote-tls-key (and --remote-tls-ca). If the primary refuses it for good
(a wrong secret), it prints why and exits 1. --once and --lease, which need
the database, do not go with --join.`,
		Example: `  gigq worker --concurrency 4
  GIGQ_REMOTE_SECRET="$SECRET" gigq worker --join 10.0.0.5:7420 --concurrency 8 --worker-id gpu-1`,
		Annotations: map[string]string{annotDefaultLevel: "info"},
		Args:        exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("join") {
				return a.runWorkerNode(cmd, &wf, &wn)
			}
			if err := onlyWith(cmd, "--join", wn.names()...); err != nil {
				return err
			}
			if err := wf.validate(1); err != nil {
				return err
			}
			cfg := wf.config(a)
			if once {
				cfg.MaxJobs = 1
			}
			return a.runNode(cmd.Context(), cfg, func(ctx context.Context, n *gigq.Node) error {
				select {
				case <-n.Done(): // only with --once
				case <-ctx.Done():
					if n.Err() == nil { // else runNode returns the damage
						a.log.Info().Msg("shutting down: letting running jobs finish (signal again to put them back to pending and exit at once)")
					}
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	wf.register(f)
	f.BoolVar(&once, "once", false, "run at most one job, then exit")
	wn.register(f)
	return cmd
}

// workerNodeFlags are the flags of gigq worker --join.
type workerNodeFlags struct {
	join      string
	listen    string
	advertise string
	grace     time.Duration
	remote    remoteFlags
}

func (wn *workerNodeFlags) register(f *pflag.FlagSet) {
	f.StringVar(&wn.join, "join", "", "run a worker node of the primary at HOST:PORT (gigq node --remote-listen) instead of opening the database")
	f.StringVar(&wn.listen, "listen", "",
		"with --join: HOST:PORT the primary connects back to (default: a free port on the address that reaches the primary)")
	f.StringVar(&wn.advertise, "advertise", "", "with --join: HOST:PORT the primary dials, when it differs from --listen")
	f.DurationVar(&wn.grace, "grace", time.Minute,
		"with --join: how long running jobs go on while the primary is gone (negative: for ever)")
	wn.remote.register(f)
}

// names are the flags that mean something only with --join.
func (wn *workerNodeFlags) names() []string {
	return append([]string{"listen", "advertise", "grace"}, wn.remote.names()...)
}

// runWorkerNode runs gigq worker --join: a worker node of a primary, with
// no database, until a signal (then it lets running jobs finish) or until
// the primary refuses it for good (exit 1).
func (a *app) runWorkerNode(cmd *cobra.Command, wf *workerFlags, wn *workerNodeFlags) error {
	for _, name := range []string{"once", "lease", "db"} {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--%s does not go with --join: a worker node has no database (its primary has)", name)
		}
	}
	for _, name := range []string{"queues", "queue-limit"} {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--%s does not go with --join: a worker node runs the queues of its primary (set it on gigq node)", name)
		}
	}
	if err := wf.validate(1); err != nil {
		return err
	}
	if err := wn.remote.resolve(a, cmd); err != nil {
		return err
	}
	if wn.join == "" {
		return usageErrorf("--join must not be empty: want the primary's HOST:PORT, e.g. 10.0.0.5:7420")
	}
	for _, hp := range []struct{ flag, v string }{{"join", wn.join}, {"listen", wn.listen}, {"advertise", wn.advertise}} {
		if err := checkHostPort(hp.flag, hp.v); err != nil {
			return err
		}
	}
	grace := wn.grace
	switch {
	case grace == 0:
		return usageErrorf("invalid --grace 0s: must be positive, or negative to keep running jobs for ever")
	case grace < 0:
		grace = -1
	}
	ctx := cmd.Context()
	w, err := gigq.StartWorkerNode(ctx, gigq.WorkerNodeConfig{
		Join: wn.join, Registry: wf.registryFor(), Concurrency: wf.concurrency, ID: wf.workerID,
		Listen: wn.listen, Advertise: wn.advertise, Secret: wn.remote.secret, TLS: wn.remote.tls(),
		Grace: grace, ShutdownTimeout: wf.grace, Logger: &a.log,
	})
	if err != nil {
		return err
	}
	// The worker node logs "joined primary" itself, each time it joins.
	var refused error
	select {
	case <-w.Refused():
		refused = fmt.Errorf("join %s: %w", wn.join, w.Err())
	case <-ctx.Done():
		a.log.Info().Msg("shutting down: letting running jobs finish (signal again to force)")
	}
	err = w.Close(context.WithoutCancel(ctx))
	if refused != nil {
		return refused
	}
	return err
}

// logEvent logs one job event: info for the normal course of a job, warn
// when an attempt failed.
func logEvent(log zerolog.Logger, e *gigq.Event) {
	var ev *zerolog.Event
	switch e.Kind {
	case gigq.EventRetrying, gigq.EventFailed, gigq.EventTimeout:
		ev = log.Warn()
	default:
		ev = log.Info()
	}
	if !ev.Enabled() {
		return
	}
	if e.Kind == gigq.EventWorkflow {
		ev.Str("workflow_id", string(e.WorkflowID)).Str("status", string(e.WorkflowStatus)).Msg("workflow status")
		return
	}
	ev = ev.Str(keyJobID, string(e.JobID)).Str(keyTask, e.Function)
	if e.WorkflowID != "" {
		ev = ev.Str("workflow_id", string(e.WorkflowID))
	}
	if e.Attempt > 0 {
		ev = ev.Int(keyAttempt, e.Attempt).Int(keyMaxAttempts, e.MaxAttempts)
	}
	if e.Elapsed > 0 {
		ev = ev.Dur(keyElapsed, e.Elapsed)
	}
	if e.Error != "" {
		ev = ev.Str(keyErr, e.Error)
	}
	if !e.RetryAfter.IsZero() {
		ev = ev.Time(keyRetryAfter, e.RetryAfter)
	}
	switch e.Kind {
	case gigq.EventSubmitted:
		ev.Msg("job submitted")
	case gigq.EventStarted:
		ev.Msg("job started")
	case gigq.EventCompleted:
		ev.Msg("job completed")
	case gigq.EventRetrying:
		ev.Msg("job retrying")
	case gigq.EventFailed:
		ev.Msg("job failed")
	case gigq.EventTimeout:
		ev.Msg("job timed out")
	case gigq.EventCancelled:
		ev.Msg("job cancelled")
	case gigq.EventRequeued:
		ev.Msg("job requeued")
	default:
		ev.Str("kind", string(e.Kind)).Msg("job event")
	}
}
