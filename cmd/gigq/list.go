package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) listCmd() *cobra.Command {
	var (
		status, before, queue string
		limit                 int
		asJSON                bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Long: fmt.Sprintf(`List jobs, newest first, optionally only those in one state. With --json,
print a JSON list of job objects (without their executions), written job by
job. --before ID shows the page after the job ID (the last one listed).

A listed job's params, result and error are cut to their first %d bytes:
a cut one has "params_truncated", "result_truncated" or "error_truncated"
true, and a cut params or result is a JSON string of its first bytes.
gigq status ID --json prints the whole job.`, gigq.DefaultListValueLimit),
		Args: exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) (err error) {
			st, err := parseStatus(status)
			if err != nil {
				return err
			}
			if limit < 1 {
				return usageErrorf("invalid --limit %d: must be at least 1", limit)
			}
			ctx := cmd.Context()
			n, err := a.openReader(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			jobs, err := n.List(ctx, &gigq.ListParams{Status: st, Limit: limit, Before: gigq.JobID(before), Queue: queue})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONList(cmd.OutOrStdout(), jobs)
			}
			out := cmd.OutOrStdout()
			if len(jobs) == 0 {
				if st != "" {
					_, err = fmt.Fprintf(out, "No %s jobs.\n", st)
				} else {
					_, err = fmt.Fprintln(out, "No jobs.")
				}
				return err
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tPRIORITY\tCREATED\tUPDATED")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Name, j.Status, j.Priority,
					fmtTime(j.CreatedAt), fmtTime(j.UpdatedAt))
			}
			return tw.Flush()
		}),
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only jobs in this state: "+statusNames())
	f.IntVar(&limit, "limit", 100, "at most this many jobs")
	f.StringVar(&before, "before", "", "list only jobs older than this job id (the next page after it)")
	f.BoolVar(&asJSON, "json", false, "print a JSON list of jobs")
	f.StringVar(&queue, "queue", "", "list only the jobs of this named queue")
	return cmd
}

// parseStatus checks a --status value; empty means every state.
func parseStatus(s string) (gigq.Status, error) {
	if s == "" {
		return "", nil
	}
	st := gigq.Status(s)
	if !slices.Contains(gigq.Statuses(), st) {
		return "", fmt.Errorf("unknown status %q: valid statuses are %s", s, statusNames())
	}
	return st, nil
}

// statusNames lists the job states, comma-separated.
func statusNames() string {
	names := make([]string, 0, 6)
	for _, s := range gigq.Statuses() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}
