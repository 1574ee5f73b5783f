package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) requeueCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "requeue ID",
		Short: "Move a failed, timed-out or cancelled job back to pending",
		Long: `Move a failed, timed-out or cancelled job back to pending, with its
attempts reset and its error cleared. A job in another state is refused:
the command exits 1 and says why.`,
		Args: exactArgs(1, "exactly one argument, the job id"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			id := gigq.JobID(args[0])
			if err := n.Requeue(ctx, id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Job %s requeued.\n", id)
			return err
		}),
	}
}
