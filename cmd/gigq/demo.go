package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
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

// demoStep is one job of the demo's workflow.
type demoStep struct {
	key    string
	params map[string]any
	after  []string
}

// demoWorkflow is GigQ's data pipeline: download -> process -> {report,
// notify} -> archive, all echo jobs, so each result shows its parents'.
const demoWorkflow = "data_pipeline"

func demoSteps() []demoStep {
	return []demoStep{
		{key: "download", params: map[string]any{"url": "https://example.com/data.csv"}},
		{key: "process", params: map[string]any{"op": "clean"}, after: []string{"download"}},
		{key: "report", params: map[string]any{"format": "pdf"}, after: []string{"process"}},
		{key: "notify", params: map[string]any{"channel": "email"}, after: []string{"process"}},
		{key: "archive", params: map[string]any{"to": "cold storage"}, after: []string{"report", "notify"}},
	}
}

func (a *app) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run a few jobs and watch their lifecycle (start here)",
		Long: `Run the demo: open the database (--db, default gigq.db), submit a handful
of jobs (echo jobs with different priorities, a short sleep, a job that
fails once and is retried, and one that fails for good) and a workflow
(data_pipeline: download -> process -> {report, notify} -> archive, echo
jobs that each return their parents' results), run them on a node with 2
workers while printing one line per event, then print the workflow's jobs
in the order they ran with their parents' results, the workflow's status,
the stats and the commands to try next. It takes about a second.`,
		Annotations: map[string]string{annotDefaultLevel: "warn"},
		Args:        exactArgs(0, "no arguments"),
		RunE:        runtimeE(a.runDemo),
	}
}

func (a *app) runDemo(cmd *cobra.Command, _ []string) (err error) {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	start := time.Now()
	reg := builtinRegistry(handlers.HTTPOptions{})
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

	jobs, steps := demoJobs(), demoSteps()
	fmt.Fprintf(out, "gigq demo: %d jobs and the %d-job workflow %s in %s, run by a node with %d workers (tasks: %s)\n\n",
		len(jobs), len(steps), demoWorkflow, a.db, demoWorkers, strings.Join(reg.Names(), ", "))
	// Submit as "gigq submit" does from another terminal: through a
	// client-only node. The worker node notices the new rows within
	// 100ms and starts the best ones first.
	ids, stepIDs, wid, err := a.submitDemoJobs(ctx, out, start, jobs, steps)
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
	for _, id := range append(slices.Clone(ids), stepIDs...) {
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
		if len(final) < len(ids) {
			final = append(final, j)
		}
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
	info, err := n.Workflow(ctx, wid)
	if err != nil {
		return err
	}
	printDemoWorkflow(out, start, info)
	st, err := n.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nJobs in %s:\n", a.db)
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
	fmt.Fprintf(tw, "  gigq workflow status %s%s\t# the workflow and its jobs\n", wid, dbFlag)
	fmt.Fprintf(tw, "  gigq submit echo -p msg=hi%s\t# submit a job...\n", dbFlag)
	fmt.Fprintf(tw, "  gigq worker%s\t# ...and run it (Ctrl-C to stop)\n", dbFlag)
	return tw.Flush()
}

// submitDemoJobs submits the jobs and the workflow of steps through a
// client-only node and prints a line for each job; it returns the jobs'
// ids, the steps' ids, in order, and the workflow's id.
func (a *app) submitDemoJobs(ctx context.Context, out io.Writer, start time.Time, jobs []demoJob, steps []demoStep) (
	ids, stepIDs []gigq.JobID, wid gigq.WorkflowID, err error) {
	c, err := a.openClient(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	defer closeNode(ctx, c, &err)
	printSubmitted := func(id gigq.JobID, name, task, detail string) {
		fmt.Fprintf(out, "%s  %-9s  %s  %-20s  %s\n", sinceStart(start, time.Now()), "submitted", shortID(id),
			name+" ("+task+")", detail)
	}
	for _, dj := range jobs {
		id, err := c.Submit(ctx, dj.task, dj.params, &dj.opts)
		if err != nil {
			return nil, nil, "", err
		}
		ids = append(ids, id)
		printSubmitted(id, dj.opts.Name, dj.task, fmt.Sprintf("priority %d", dj.opts.Priority))
	}
	wf := gigq.NewWorkflow(demoWorkflow)
	for _, st := range steps {
		wf.Add(st.key, gigq.Call("echo", st.params, nil), gigq.After(st.after...))
	}
	if wid, _, err = wf.Submit(ctx, c); err != nil {
		return nil, nil, "", err
	}
	for i, st := range wf.Steps() {
		stepIDs = append(stepIDs, st.ID())
		detail := "workflow " + demoWorkflow
		if len(steps[i].after) > 0 {
			detail += ", after " + strings.Join(steps[i].after, " and ")
		}
		printSubmitted(st.ID(), st.Key(), "echo", detail)
	}
	return ids, stepIDs, wid, nil
}

// printDemoWorkflow prints the workflow's jobs in the order they started,
// each with its parents' results as its echo result holds them (without
// their own parents'), then the workflow's status.
func printDemoWorkflow(out io.Writer, start time.Time, info *gigq.WorkflowInfo) {
	jobs := slices.Clone(info.Jobs)
	slices.SortStableFunc(jobs, func(x, y *gigq.Job) int { return x.StartedAt.Compare(y.StartedAt) })
	names := map[string]string{}
	for _, j := range jobs {
		names[string(j.ID)] = j.Name
	}
	fmt.Fprintf(out, "Workflow %s, its jobs in the order they ran, with their parents' results:\n", info.Name)
	tw := newTable(out)
	for _, j := range jobs {
		var parents []string
		members, _ := objectMembers(j.Result) // nil for a job that did not complete
		for _, m := range members {
			if m.key != "parent_results" {
				continue
			}
			results, _ := objectMembers(m.value)
			for _, r := range results {
				parents = append(parents, names[r.key]+" "+shortResult(r.value))
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", sinceStart(start, j.StartedAt), j.Name, shortID(j.ID), j.Status,
			orDash(strings.Join(parents, ", ")))
	}
	tw.Flush()
	fmt.Fprintf(out, "Workflow %s %s: %d of %d jobs completed.\n", info.Name, info.Status, info.Counts.Completed, info.Counts.Total)
}

// shortResult is an echo result without its own parents' results ("…"
// marks them), cut to a few dozen characters.
func shortResult(raw json.RawMessage) string {
	members, err := objectMembers(raw)
	if err != nil {
		return string(raw)
	}
	own := slices.DeleteFunc(slices.Clone(members), func(m member) bool { return m.key == "parent_results" })
	s := string(objectJSON(own))
	if len(own) < len(members) {
		s = strings.TrimSuffix(s, "}") + ",…}"
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return s
}

// printEvent prints one live line for a job event.
func printEvent(w io.Writer, start time.Time, e *gigq.Event) {
	if e.JobID == "" {
		return // a workflow's status: the summary prints it
	}
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
