package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq/bench"
)

func (a *app) benchCmd() *cobra.Command {
	var (
		jobs, steps, workers int
		sync                 string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "bench SCENARIO",
		Short: "Measure gigq on this machine: burndown, chain or ceiling",
		Long: `Run a benchmark scenario on a new database file and print its report.

Scenarios:
  burndown  insert --jobs no-op jobs (default 10000) through a client-only
            node, from 64 goroutines at once; then open a node with
            --workers workers and time it until every job is completed.
            jobs_per_sec is the work rate, insert_per_sec the insert rate.
  chain     run one workflow of --steps no-op steps (default 1000), each
            depending on the one before; seconds runs from submit to the
            last completion, and release_ms is each edge's release
            latency (the child's start minus its parent's completion).
  ceiling   raw SQLite, no gigq: one connection, gigq's pragmas, a minimal
            jobs table with UUIDv7 text keys; insert --jobs rows (default
            100000), then claim and complete each by id, in transactions
            of 1000 with prepared statements. insert_per_sec is the
            insert rate, jobs_per_sec the whole cycle's.

The database is a file in a new temporary directory, removed afterwards,
unless --db names one: then it must not exist yet, and it is kept (GIGQ_DB
is not read). Every report states the peak RSS of the process, the size of
the database file and its -wal, the machine (CPU, cores, Go, SQLite) and
the configuration; --json prints it as one JSON object with the fields
scenario, jobs, completed, seconds, jobs_per_sec, insert_seconds,
insert_per_sec, release_ms ({p50,p95,p99,max}, chain only),
peak_rss_bytes, db_bytes, sync, workers, machine and config.`,
		Example: `  gigq bench burndown --jobs 20000
  gigq bench chain --steps 1000 --json
  gigq bench ceiling --jobs 100000 --sync full`,
		Args: exactArgs(1, "a scenario: "+strings.Join(bench.Scenarios(), ", ")),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg := bench.Defaults(name)
			flags := cmd.Flags()
			if flags.Changed("db") {
				cfg.DB = a.db
			}
			if flags.Changed("jobs") {
				cfg.Jobs = jobs
			}
			if flags.Changed("steps") {
				cfg.Steps = steps
			}
			if flags.Changed("workers") {
				if workers == 0 { // (the library reads 0 as its default)
					return usageErrorf("invalid --workers 0: use 1 to %d", bench.MaxWorkers)
				}
				cfg.Workers = workers
			}
			if flags.Changed("sync") {
				cfg.Sync = sync
			}
			if err := bench.Validate(name, cfg); err != nil {
				return usageErrorf("%w", err)
			}
			r, err := bench.Run(cmd.Context(), name, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return r.WriteTable(cmd.OutOrStdout())
		}),
	}
	f := cmd.Flags()
	f.IntVar(&jobs, "jobs", 0, "jobs to run: burndown and ceiling (default 10000 for burndown, 100000 for ceiling)")
	f.IntVar(&steps, "steps", 0, "steps of chain's workflow (default 1000)")
	f.IntVar(&workers, "workers", bench.DefaultWorkers, "workers of the node: burndown and chain")
	f.StringVar(&sync, "sync", "normal", "commit durability: normal or full (gigq's Sync; ceiling's PRAGMA synchronous)")
	f.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	return cmd
}
