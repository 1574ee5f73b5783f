package main

import (
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) workerCmd() *cobra.Command {
	var (
		wf   workerFlags
		once bool
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
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			if err := wf.validate(); err != nil {
				return err
			}
			cfg := wf.config(a)
			if once {
				cfg.MaxJobs = 1
			}
			ctx := cmd.Context()
			return a.runNode(ctx, cfg, func(n *gigq.Node) error {
				select {
				case <-n.Done(): // only with --once
				case <-ctx.Done():
					a.log.Info().Msg("shutting down: letting running jobs finish (signal again to force)")
				}
				return nil
			})
		}),
	}
	f := cmd.Flags()
	wf.register(f)
	f.BoolVar(&once, "once", false, "run at most one job, then exit")
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
