package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) cancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pending job",
		Long: `Cancel a pending job. A job in another state (running, or already ended)
is refused: the command exits 1 and says why.`,
		Args: exactArgs(1, "exactly one argument, the job id"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			id := gigq.JobID(args[0])
			if err := n.Cancel(ctx, id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Job %s cancelled.\n", id)
			return err
		}),
	}
}
