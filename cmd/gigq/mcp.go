package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/mcpserver"
)

func (a *app) mcpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "mcp",
		Short: "Serve GigQ's MCP tools over stdio, for AI agents",
		Long: `Serve the Model Context Protocol over stdin and stdout, so an agent can
submit jobs and workflows and follow them on the database (--db): the tools
gigq_submit_job, gigq_get_job_status, gigq_get_job_result, gigq_list_jobs,
gigq_queue_stats, gigq_cancel_job, gigq_requeue_job and gigq_submit_workflow.

It runs no job: jobs run where a "gigq worker" or "gigq node" runs on the
same database. Logs go to stderr; it ends when the client closes stdin.`,
		Args: exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) (err error) {
			ctx := cmd.Context()
			n, err := gigq.Open(ctx, gigq.Config{Path: a.db, ClientOnly: true, Logger: &a.log})
			if err != nil {
				return err
			}
			defer closeNode(context.WithoutCancel(ctx), n, &err)
			err = mcpserver.Serve(ctx, n, mcpserver.Options{Logger: &a.log})
			if errors.Is(err, context.Canceled) {
				return nil // interrupted: a normal stop
			}
			return err
		}),
	}
}
