package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

// jobChangeCmd builds a command that applies one change to one job by id
// (cancel, requeue): it exits 0 with "Job <id> <done>." or 1 with the reason
// the change was refused.
func (a *app) jobChangeCmd(use, short, long, done string, change func(*gigq.Node, context.Context, gigq.JobID) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  exactArgs(1, "exactly one argument, the job id"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			id := gigq.JobID(args[0])
			if err := change(n, ctx, id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Job %s %s.\n", id, done)
			return err
		}),
	}
}
