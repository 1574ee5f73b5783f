package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) statusCmd() *cobra.Command {
	var showParams, showResult, showExecutions, asJSON bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a job",
		Long: `Show a job: its definition, its state and, with the flags, its params,
its result and its attempts. With --json, print the job as one JSON object
with its executions (the attempts, oldest first).`,
		Args: exactArgs(1, "exactly one argument, the job id"),
		RunE: a.withReader(func(cmd *cobra.Command, n *gigq.Node, args []string) error {
			job, err := n.Status(cmd.Context(), gigq.JobID(args[0]))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), job)
			}
			if err := printJob(cmd.OutOrStdout(), job, showParams, showResult, showExecutions); err != nil {
				return err
			}
			if job.Status != gigq.StatusPending {
				return nil
			}
			if job.RunAt.After(time.Now()) {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Waiting: delayed until %s\n", fmtTime(job.RunAt))
				return err
			}
			nodes, err := n.Nodes(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), runnersNote(job.Function, nodes, time.Now()))
			return err
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&showParams, "show-params", false, "show the job's params")
	f.BoolVar(&showResult, "show-result", false, "show the job's result")
	f.BoolVar(&showExecutions, "show-executions", false, "show every attempt")
	f.BoolVar(&asJSON, "json", false, "print the job as JSON, with its executions")
	return cmd
}

// printJob writes the human form of a job.
func printJob(w io.Writer, j *gigq.Job, params, result, executions bool) error {
	var b strings.Builder
	tw := newTable(&b)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Job ID", string(j.ID))
	row("Name", j.Name)
	row("Function", j.Function)
	row("Status", string(j.Status))
	row("Priority", fmt.Sprint(j.Priority))
	row("Attempts", fmt.Sprintf("%d/%d", j.Attempts, j.MaxAttempts))
	row("Timeout", fmtSeconds(j.Timeout))
	row("Retry delay", fmtSeconds(j.RetryDelay))
	if j.Description != "" {
		row("Description", j.Description)
	}
	if j.WorkflowID != "" {
		row("Workflow", string(j.WorkflowID))
	}
	if len(j.Dependencies) > 0 {
		row("Depends on", joinIDs(j.Dependencies))
	}
	if j.Queue != "" && j.Queue != gigq.DefaultQueue {
		row("Queue", j.Queue)
	}
	if !j.RunAt.IsZero() {
		row("Run at", fmtTime(j.RunAt))
	}
	if j.UniqueKey != "" {
		row("Unique key", j.UniqueKey)
	}
	if j.Progress != nil {
		p := fmt.Sprintf("%.0f%%", j.Progress.Fraction*100)
		if j.Progress.Message != "" {
			p += " " + j.Progress.Message
		}
		row("Progress", p)
	}
	row("Created", fmtTime(j.CreatedAt))
	row("Updated", fmtTime(j.UpdatedAt))
	row("Started", fmtTime(j.StartedAt))
	row("Completed", fmtTime(j.CompletedAt))
	row("Worker", orDash(j.WorkerID))
	row("Error", orDash(firstLine(j.Error)))
	if err := tw.Flush(); err != nil {
		return err
	}
	if params {
		fmt.Fprintf(&b, "\nParams:\n  %s\n", indentJSON(j.Params, "  "))
	}
	if result {
		fmt.Fprintf(&b, "\nResult:\n  %s\n", indentJSON(j.Result, "  "))
	}
	if executions {
		fmt.Fprintf(&b, "\nExecutions (%d):\n", len(j.Executions))
		for i, e := range j.Executions {
			fmt.Fprintf(&b, "  %d. %s  %s  worker %s\n", i+1, e.ID, e.Status, orDash(e.WorkerID))
			completed := "-"
			if e.CompletedAt != nil {
				completed = fmt.Sprintf("%s (%s)", fmtTime(*e.CompletedAt), fmtElapsed(e.CompletedAt.Sub(e.StartedAt)))
			}
			fmt.Fprintf(&b, "     started %s, ended %s\n", fmtTime(e.StartedAt), completed)
			if len(e.Result) > 0 {
				fmt.Fprintf(&b, "     result: %s\n", e.Result)
			}
			if e.Error != nil {
				fmt.Fprintf(&b, "     error: %s\n", strings.ReplaceAll(*e.Error, "\n", "\n            "))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// nodeSeenWithin is how recent a node's heartbeat must be for status to
// count it as running: the default lease (nodes beat every 2 s).
const nodeSeenWithin = 15 * time.Second

// runnersNote says, for a pending job, which running nodes have its
// handler, or that none has and what would run it.
func runnersNote(function string, nodes []gigq.NodeInfo, now time.Time) string {
	var with, without []string
	for _, nd := range nodes {
		if now.Sub(nd.LastSeen) > nodeSeenWithin {
			continue
		}
		switch {
		case nd.Has(function):
			with = append(with, nd.ID)
		case len(nd.Handlers) == 0:
			without = append(without, nd.ID+" (runs no jobs itself)")
		default:
			without = append(without, fmt.Sprintf("%s (%s)", nd.ID, strings.Join(nd.Handlers, ", ")))
		}
	}
	switch {
	case len(with) > 0:
		return fmt.Sprintf("Runnable by: %s", strings.Join(with, ", "))
	case len(without) == 0:
		return fmt.Sprintf("Waiting: no worker or node is running on this database; start one with handler %q (gigq worker)", function)
	}
	hint := ""
	if function == "exec" {
		hint = "; exec runs only on a worker or node started with --allow-exec"
	}
	return fmt.Sprintf("Waiting: no running worker or node has handler %q%s. Running: %s", function, hint, strings.Join(without, "; "))
}

// joinIDs lists job ids for humans.
func joinIDs(ids []gigq.JobID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

// firstLine returns the first line of s, marked when more follow (a panic
// stack): the whole text is in --show-executions and --json.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " [...]"
	}
	return s
}
