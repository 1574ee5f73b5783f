package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) workflowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workflow",
		Short: "Submit, inspect and cancel workflows (jobs with dependencies)",
		Long: `A workflow is a named group of jobs with dependencies between them, written
in one transaction: a job runs once every job it depends on completed, and
is cancelled when one of them fails, times out or is cancelled.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown workflow command %q: use submit, status or cancel", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.workflowSubmitCmd(), a.workflowStatusCmd(), a.workflowCancelCmd())
	return cmd
}

func (a *app) workflowSubmitCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "submit FILE",
		Short: "Submit the workflow a YAML or JSON file describes",
		Long: `Submit the workflow that FILE describes, all its jobs in one transaction,
and print the workflow's id and each job's id, in the file's order. A
mistake in the file is reported with its line (exit 2), and nothing is
submitted. The file, YAML or JSON:

  name: data_pipeline
  jobs:
    - key: download              # unique; the job's name unless name is given
      function: echo             # the handler
      params: {url: "https://example.com/data.csv"}
    - key: process
      function: echo
      depends_on: [download]     # keys of other jobs of the file
      priority: 5                # optional: priority, max_attempts, timeout and
      timeout: 60                # retry_delay (seconds), name, description`,
		Example: `  gigq workflow submit pipeline.yaml
  gigq workflow submit pipeline.json --json`,
		Args: exactArgs(1, "exactly one argument, the workflow file"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErrorf("cannot read the workflow file: %v", err)
			}
			w, err := gigq.ParseWorkflowFile(args[0], data)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			id, _, err := w.Submit(ctx, n)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				jobs := make([]member, len(w.Steps()))
				for i, s := range w.Steps() {
					jobs[i] = member{key: s.Key(), value: jsonString(string(s.ID()))}
				}
				_, err = fmt.Fprintf(out, "%s\n", objectJSON([]member{
					{key: "workflow_id", value: jsonString(string(id))}, {key: "jobs", value: objectJSON(jobs)}}))
				return err
			}
			fmt.Fprintf(out, "Workflow submitted: %s (%s, %s)\n", id, w.Name(), plural(len(w.Steps()), "job", "jobs"))
			tw := newTable(out)
			for _, s := range w.Steps() {
				fmt.Fprintf(tw, "  %s\t%s\n", s.Key(), s.ID())
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"workflow_id":"<id>","jobs":{"<key>":"<job id>",...}}`)
	return cmd
}

func (a *app) workflowStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a workflow and its jobs",
		Long: `Show a workflow: its name, its status (running, completed, failed or
cancelled), its jobs' counts by state, and each job with its status and
the jobs it depends on. With --json, print it as one JSON object with
every job in the form "gigq status --json" prints.`,
		Args: exactArgs(1, "exactly one argument, the workflow id"),
		RunE: a.withReader(func(cmd *cobra.Command, n *gigq.Node, args []string) error {
			info, err := n.Workflow(cmd.Context(), gigq.WorkflowID(args[0]))
			if err != nil {
				return a.workflowError(args[0], err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			return printWorkflow(cmd.OutOrStdout(), info)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the workflow as JSON, with its jobs")
	return cmd
}

func (a *app) workflowCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a workflow's pending jobs",
		Long: `Cancel every pending job of a workflow (and the jobs outside it that
depend on them). Running jobs finish; their dependents are cancelled
then. Prints how many jobs were cancelled.`,
		Args: exactArgs(1, "exactly one argument, the workflow id"),
		RunE: a.withClient(func(cmd *cobra.Command, n *gigq.Node, args []string) error {
			count, err := n.CancelWorkflow(cmd.Context(), gigq.WorkflowID(args[0]))
			if err != nil {
				return a.workflowError(args[0], err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Cancelled %s of workflow %s.\n", plural(count, "job", "jobs"), args[0])
			return err
		}),
	}
}

// workflowError says so plainly when the workflow does not exist.
func (a *app) workflowError(id string, err error) error {
	if errors.Is(err, gigq.ErrNotFound) {
		return fmt.Errorf("workflow %s not found in %s: check the id that gigq workflow submit printed", id, a.db)
	}
	return err
}

// printWorkflow writes the human form of a workflow.
func printWorkflow(w io.Writer, info *gigq.WorkflowInfo) error {
	var b strings.Builder
	tw := newTable(&b)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Workflow ID", string(info.ID))
	row("Name", info.Name)
	row("Status", string(info.Status))
	row("Created", fmtTime(info.CreatedAt))
	row("Updated", fmtTime(info.UpdatedAt))
	c := info.Counts
	row("Jobs", fmt.Sprintf("%d: %d pending, %d running, %d completed, %d failed, %d cancelled, %d timeout",
		c.Total, c.Pending, c.Running, c.Completed, c.Failed, c.Cancelled, c.Timeout))
	fmt.Fprintln(tw)
	names := make(map[gigq.JobID]string, len(info.Jobs))
	for _, j := range info.Jobs {
		names[j.ID] = j.Name
	}
	fmt.Fprintln(tw, "NAME\tJOB ID\tSTATUS\tDEPENDS ON")
	for _, j := range info.Jobs {
		deps := make([]string, len(j.Dependencies))
		for i, d := range j.Dependencies {
			deps[i] = string(d) // a job outside the workflow
			if name, ok := names[d]; ok {
				deps[i] = name
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.Name, j.ID, j.Status, orDash(strings.Join(deps, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonString encodes s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}
