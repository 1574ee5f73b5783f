package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) statsCmd() *cobra.Command {
	var (
		asJSON bool
		queue  string
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count jobs in each state",
		Args:  exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) (err error) {
			ctx := cmd.Context()
			n, err := a.openReader(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			st, err := n.QueueStats(ctx, queue)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			return printStats(cmd.OutOrStdout(), st)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"pending":0,...,"total":0}`)
	cmd.Flags().StringVar(&queue, "queue", "", "count only the jobs of this named queue")
	return cmd
}

// printStats writes the human stats table.
func printStats(w io.Writer, st gigq.Stats) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "STATUS\tCOUNT")
	for _, r := range []struct {
		s gigq.Status
		n int
	}{
		{gigq.StatusPending, st.Pending}, {gigq.StatusRunning, st.Running}, {gigq.StatusCompleted, st.Completed},
		{gigq.StatusFailed, st.Failed}, {gigq.StatusCancelled, st.Cancelled}, {gigq.StatusTimeout, st.Timeout},
	} {
		fmt.Fprintf(tw, "%s\t%d\n", r.s, r.n)
	}
	fmt.Fprintf(tw, "total\t%d\n", st.Total)
	return tw.Flush()
}
