package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) scheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Manage cron schedules",
		Long: `Manage cron schedules: at each due time of a schedule, one job is
enqueued, once, however many nodes share the database file. A running
"gigq worker" or "gigq node" enqueues them; a schedule added here is picked
up by the nodes that run.`,
		Args: exactArgs(0, "a subcommand: add, list, remove, pause or resume"),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.scheduleAddCmd(), a.scheduleListCmd(),
		a.scheduleChangeCmd("remove", "Remove a schedule (the jobs it enqueued stay)", "removed", (*gigq.Node).RemoveSchedule),
		a.scheduleChangeCmd("pause", "Pause a schedule: it enqueues nothing until resumed", "paused", (*gigq.Node).PauseSchedule),
		a.scheduleChangeCmd("resume", "Resume a paused schedule from its next due time", "resumed", (*gigq.Node).ResumeSchedule),
	)
	return cmd
}

func (a *app) scheduleAddCmd() *cobra.Command {
	var (
		cronExpr string
		timezone string
		catchUp  string
		jf       jobFlags
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --cron EXPR HANDLER",
		Short: "Add a cron schedule that enqueues jobs for a handler",
		Long: `Add the schedule NAME: at each due time of --cron (in --timezone, default
UTC) one job for HANDLER is enqueued, with the -p params and job flags as
"gigq submit" takes them (the job's name defaults to NAME).

--cron takes five fields (minute hour day-of-month month day-of-week), six
with seconds first, or a descriptor (@hourly, @daily, @every 10m).
--catch-up says what happens to due times missed while no node ran: one
(default) enqueues one job for the latest of them, skip none.`,
		Example: `  gigq schedule add hourly-report --cron "0 * * * *" echo -p report=hourly
  gigq schedule add nightly --cron "30 2 * * *" --timezone Europe/Berlin sleep -p seconds=1
  gigq schedule add often --cron "*/10 * * * * *" echo --catch-up skip`,
		Args: exactArgs(2, "two arguments, the schedule name and the handler name"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			if cronExpr == "" {
				return usageErrorf("--cron is required: e.g. --cron \"0 * * * *\"")
			}
			p, opts, err := jf.parse()
			if err != nil {
				return err
			}
			cu := gigq.CatchUp(catchUp)
			if !cu.Valid() {
				return usageErrorf("invalid --catch-up %q: use one or skip", catchUp)
			}
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			info, err := n.AddSchedule(ctx, gigq.Schedule{Name: args[0], Cron: cronExpr, Timezone: timezone, Function: args[1],
				Params: p, CatchUp: cu, Opts: opts})
			if errors.Is(err, gigq.ErrInvalidSchedule) {
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Schedule added: %s (next run %s)\n", info.Name, fmtTime(info.NextRun))
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&cronExpr, "cron", "", `cron expression, e.g. "0 * * * *" (required)`)
	f.StringVar(&timezone, "timezone", "", "IANA time zone of the expression (default UTC)")
	f.StringVar(&catchUp, "catch-up", string(gigq.CatchUpOne), "missed runs while no node ran: one or skip")
	jf.register(f, "job name (default: the schedule name)")
	f.BoolVar(&asJSON, "json", false, "print the schedule as JSON")
	return cmd
}

func (a *app) scheduleListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cron schedules",
		Long:  `List the cron schedules by name, paused ones too. With --json, print a JSON list.`,
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withReader(func(cmd *cobra.Command, n *gigq.Node, _ []string) error {
			all, err := n.Schedules(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if all == nil {
					all = []gigq.ScheduleInfo{}
				}
				return writeJSON(out, all)
			}
			if len(all) == 0 {
				_, err = fmt.Fprintln(out, "No schedules.")
				return err
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "NAME\tCRON\tTZ\tFUNCTION\tENABLED\tLAST RUN\tNEXT RUN")
			for _, s := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\t%s\n", s.Name, s.Cron, s.Timezone, s.Function, s.Enabled,
					fmtTime(s.LastRun), fmtTime(s.NextRun))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON list of schedules")
	return cmd
}

// scheduleChangeCmd is remove, pause or resume: one schedule by name.
func (a *app) scheduleChangeCmd(verb, short, done string, change func(*gigq.Node, context.Context, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  exactArgs(1, "exactly one argument, the schedule name"),
		RunE: a.withClient(func(cmd *cobra.Command, n *gigq.Node, args []string) error {
			if err := change(n, cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "Schedule %s: %s\n", done, args[0])
			return err
		}),
	}
}
