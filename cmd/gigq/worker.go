package main

import (
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) workerCmd() *cobra.Command {
	var (
		concurrency int
		workerID    string
		once        bool
		grace       time.Duration
		lease       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run jobs with the built-in handlers",
		Long: `Run a node that executes jobs with the built-in handlers (echo, sleep,
fail) until SIGINT or SIGTERM. The first signal stops claiming and lets
running jobs finish (up to --shutdown-grace, then their contexts are
cancelled and their jobs return to pending without using an attempt); a
second one exits at once. Jobs submitted by other processes (gigq submit in another
terminal) start within a fraction of a second.

With --once, run at most one job and exit (0 also when none was ready).`,
		Annotations: map[string]string{annotDefaultLevel: "info"},
		Args:        exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) (err error) {
			if concurrency < 1 {
				return usageErrorf("invalid --concurrency %d: must be at least 1", concurrency)
			}
			if lease <= 2*time.Second {
				return usageErrorf("invalid --lease %s: must be longer than the 2s heartbeat", lease)
			}
			if grace <= 0 {
				return usageErrorf("invalid --shutdown-grace %s: must be positive", grace)
			}
			cfg := gigq.Config{Path: a.db, Registry: builtinRegistry(), Workers: concurrency, WorkerID: workerID,
				ShutdownTimeout: grace, Lease: lease, Logger: &a.log}
			if once {
				cfg.MaxJobs = 1
			}
			// Events from the start: the node claims its first jobs during
			// Open, before a Subscribe could be made.
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
			ctx := cmd.Context()
			n, err := gigq.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			select {
			case <-n.Done(): // only with --once
			case <-ctx.Done():
				a.log.Info().Msg("shutting down: letting running jobs finish (signal again to force)")
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.IntVar(&concurrency, "concurrency", 1, "number of jobs run at once")
	f.StringVar(&workerID, "worker-id", "", "worker id written on the jobs it runs (default <hostname>-<pid>)")
	f.BoolVar(&once, "once", false, "run at most one job, then exit")
	f.DurationVar(&lease, "lease", 15*time.Second,
		"how long another node may go without a heartbeat before its running jobs are reclaimed")
	f.DurationVar(&grace, "shutdown-grace", 30*time.Second,
		"on SIGINT/SIGTERM, how long running jobs may finish before they are cancelled and returned to pending")
	return cmd
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
