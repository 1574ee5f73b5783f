package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) clearCmd() *cobra.Command {
	var days float64
	cmd := &cobra.Command{
		Use:   "clear",
		Short: "Delete completed and cancelled jobs",
		Long: `Delete completed and cancelled jobs with their executions; with --before,
only those that finished more than DAYS days ago (fractions allowed:
--before 0.5 is twelve hours). Failed and timed-out jobs are kept.`,
		Args: exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) (err error) {
			var before time.Time
			if cmd.Flags().Changed("before") {
				if days < 0 || days != days || days > 1e6 {
					return usageErrorf("invalid --before %v: must be a number of days, zero or more", days)
				}
				before = time.Now().Add(-time.Duration(days * 24 * float64(time.Hour)))
			}
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			count, err := n.ClearCompleted(ctx, before)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Cleared %s.\n", plural(count, "job", "jobs"))
			return err
		}),
	}
	cmd.Flags().Float64Var(&days, "before", 0, "only jobs that finished more than DAYS days ago")
	return cmd
}
