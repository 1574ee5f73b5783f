package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

const (
	demoWorkers = 2
	// demoTimeout bounds the whole demo; its jobs take about a second.
	demoTimeout = 30 * time.Second
)

// demoJob is one job the demo submits.
type demoJob struct {
	task   string
	params map[string]any
	opts   gigq.SubmitOpts
}

// demoJobs are the demo's jobs: they show priorities, a sleep, a retry
// that then succeeds and a job that fails for good.
func demoJobs() []demoJob {
	return []demoJob{
		{task: "echo", params: map[string]any{"message": "hello, gigq"}, opts: gigq.SubmitOpts{Name: "hello"}},
		{task: "echo", params: map[string]any{"message": "low priority: I run last"},
			opts: gigq.SubmitOpts{Name: "low-priority", Priority: -5}},
		{task: "sleep", params: map[string]any{"seconds": 0.3}, opts: gigq.SubmitOpts{Name: "nap", Priority: 5}},
		{task: "echo", params: map[string]any{"message": "high priority: I run first"},
			opts: gigq.SubmitOpts{Name: "urgent", Priority: 10}},
		{task: "fail", params: map[string]any{"times": 1, "message": "flaky failure, will retry"},
			opts: gigq.SubmitOpts{Name: "flaky", MaxAttempts: 3, RetryDelay: 500 * time.Millisecond}},
		{task: "fail", params: map[string]any{"message": "this job always fails"},
			opts: gigq.SubmitOpts{Name: "doomed", MaxAttempts: 2}},
	}
}

func (a *app) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run a few jobs and watch their lifecycle (start here)",
		Long: `Run the demo: open the database (--db, default gigq.db), submit a handful
of jobs (echo jobs with different priorities, a short sleep, a job that
fails once and is retried, and one that fails for good), run them on a
node with 2 workers while printing one line per event, then print the
stats and the commands to try next. It takes about a second.`,
		Annotations: map[string]string{annotDefaultLevel: "warn"},
		Args:        exactArgs(0, "no arguments"),
		RunE:        runtimeE(a.runDemo),
	}
}

func (a *app) runDemo(cmd *cobra.Command, _ []string) (err error) {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	start := time.Now()
	reg := builtinRegistry()
	n, err := gigq.Open(ctx, gigq.Config{Path: a.db, Registry: reg, Workers: demoWorkers, Logger: &a.log,
		ShutdownTimeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer closeNode(ctx, n, &err)
	// Subscribe at once: the node starts claiming during Open (jobs an
	// earlier run left pending in the file).
	events, unsubscribe := n.Subscribe()
	defer unsubscribe()

	jobs := demoJobs()
	fmt.Fprintf(out, "gigq demo: %d jobs in %s, run by a node with %d workers (tasks: %s)\n\n",
		len(jobs), a.db, demoWorkers, strings.Join(reg.Names(), ", "))
	// Submit as "gigq submit" does from another terminal: through a
	// client-only node. The worker node notices the new rows within
	// 100ms and starts the best ones first.
	ids, err := a.submitDemoJobs(ctx, out, start, jobs)
	if err != nil {
		return err
	}

	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for e := range events {
			printEvent(out, start, e)
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	final := make([]*gigq.Job, 0, len(ids))
	for _, id := range ids {
		j, err := n.Wait(wctx, id)
		if err != nil {
			unsubscribe()
			<-printed
			switch {
			case ctx.Err() != nil:
				return errors.New("demo interrupted")
			case errors.Is(err, context.DeadlineExceeded):
				return fmt.Errorf("demo jobs did not finish within %s", demoTimeout)
			}
			return err
		}
		final = append(final, j)
	}
	// Wait returned after the last job's final event was published, so
	// every line is in the channel: print them before the summary.
	unsubscribe()
	<-printed

	counts := map[gigq.Status]int{}
	for _, j := range final {
		counts[j.Status]++
	}
	fmt.Fprintf(out, "\nAll %d demo jobs finished in %s: %d completed, %d failed.\n\n",
		len(final), time.Since(start).Round(10*time.Millisecond), counts[gigq.StatusCompleted], counts[gigq.StatusFailed])
	st, err := n.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Jobs in %s:\n", a.db)
	if err := printStats(out, st); err != nil {
		return err
	}
	dbFlag := ""
	if a.db != defaultDB {
		dbFlag = " --db " + shellQuote(a.db)
	}
	flaky, doomed := ids[4], ids[5]
	fmt.Fprintf(out, "\nTry next (go run ./cmd/gigq stands for gigq until you go install ./cmd/gigq):\n")
	tw := newTable(out)
	fmt.Fprintf(tw, "  gigq list%s\t# every job, newest first\n", dbFlag)
	fmt.Fprintf(tw, "  gigq status %s --show-executions%s\t# the retried job's two attempts\n", flaky, dbFlag)
	fmt.Fprintf(tw, "  gigq status %s --json%s\t# the failed job, as JSON\n", doomed, dbFlag)
	fmt.Fprintf(tw, "  gigq submit echo -p msg=hi%s\t# submit a job...\n", dbFlag)
	fmt.Fprintf(tw, "  gigq worker%s\t# ...and run it (Ctrl-C to stop)\n", dbFlag)
	return tw.Flush()
}

// submitDemoJobs submits the jobs through a client-only node and prints a
// line for each; it returns their ids in order.
func (a *app) submitDemoJobs(ctx context.Context, out io.Writer, start time.Time, jobs []demoJob) (ids []gigq.JobID, err error) {
	c, err := a.openClient(ctx)
	if err != nil {
		return nil, err
	}
	defer closeNode(ctx, c, &err)
	for _, dj := range jobs {
		id, err := c.Submit(ctx, dj.task, dj.params, &dj.opts)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		fmt.Fprintf(out, "%s  %-9s  %s  %-20s  priority %d\n", sinceStart(start, time.Now()), "submitted",
			shortID(id), dj.opts.Name+" ("+dj.task+")", dj.opts.Priority)
	}
	return ids, nil
}

// printEvent prints one live line for a job event.
func printEvent(w io.Writer, start time.Time, e *gigq.Event) {
	detail := ""
	attempt := fmt.Sprintf("attempt %d/%d", e.Attempt, e.MaxAttempts)
	switch e.Kind {
	case gigq.EventSubmitted:
		detail = ""
	case gigq.EventStarted:
		detail = attempt
	case gigq.EventCompleted:
		detail = fmt.Sprintf("%s, took %s", attempt, fmtElapsed(e.Elapsed))
	case gigq.EventRetrying:
		detail = fmt.Sprintf("%s failed: %s", attempt, firstLine(e.Error))
		if !e.RetryAfter.IsZero() {
			detail += fmt.Sprintf(" (retry in %s)", fmtElapsed(e.RetryAfter.Sub(e.At)))
		} else {
			detail += " (retry at once)"
		}
	case gigq.EventFailed:
		detail = fmt.Sprintf("%s failed for good: %s", attempt, firstLine(e.Error))
	case gigq.EventTimeout:
		detail = fmt.Sprintf("%s timed out for good: %s", attempt, firstLine(e.Error))
	default:
		detail = firstLine(e.Error)
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(w, "%s  %-9s  %s  %-20s  %s\n", sinceStart(start, at), e.Kind, shortID(e.JobID),
		e.Name+" ("+e.Function+")", detail)
}

// sinceStart formats the time since the demo started, e.g. "+0.512s".
func sinceStart(start, t time.Time) string {
	return fmt.Sprintf("%+7.3fs", max(t.Sub(start), 0).Seconds())
}

// shortID is the end of a job id: the random part of a UUIDv7 (its start
// is the submission time, shared by jobs submitted together).
func shortID(id gigq.JobID) string {
	s := string(id)
	if len(s) > 8 {
		return s[len(s)-8:]
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
