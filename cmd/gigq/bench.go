package main

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq/bench"
)

// benchSizeFlags are the flags that size one scenario: "all" takes none.
var benchSizeFlags = []string{"db", "jobs", "submitters", "steps", "width", "layers", "queued", "rate", "duration",
	"latency-jobs", "concurrency"}

func (a *app) benchCmd() *cobra.Command {
	var (
		jobs, steps, workers, submitters, width, layers, queued, rate, latencyJobs, concurrency int
		duration                                                                                time.Duration
		sync, plotPath                                                                          string
		asJSON                                                                                  bool
	)
	cmd := &cobra.Command{
		Use:   "bench SCENARIO",
		Short: "Measure gigq on this machine: burndown, chain, fanout, diamond, depth, steady, remote, ceiling or all",
		Long: `Run a benchmark scenario on a new database file and print its report.

Scenarios:
  burndown  insert --jobs no-op jobs (default 10000) through a client-only
            node, from --submitters goroutines at once (default 64),
            one job per Submit; then open a node with
            --workers workers and time it until every job is completed.
            jobs_per_sec is the work rate, insert_per_sec the insert rate.
  chain     run one workflow of --steps no-op steps (default 1000), each
            depending on the one before; seconds runs from submit to the
            last completion, and release_ms is each edge's release
            latency (the child's start minus its parent's completion).
  fanout    run one workflow of a root, --width no-op steps depending on
            it (default 1000) and a sink depending on all of them;
            seconds and release_ms as for chain (the sink's release runs
            from its last parent's completion).
  diamond   run one workflow of --layers layers (default 10) of --width
            no-op steps (default 10, at most 1000); each step depends on
            every step of the layer before, and the first layer on none.
            seconds and release_ms as for fanout.
  depth     insert --queued no-op jobs of priority -1 (default 100000),
            then --jobs of priority 0 (default 10000); open a node with
            --workers workers and time it until the --jobs jobs are
            completed (the queued ones wait behind them), then close it.
            jobs_per_sec is their work rate, with --queued jobs queued.
  steady    open a node with --workers workers and submit no-op jobs to
            it at --rate a second (default 500, at most 100000) for
            --duration (default 10s, 1s to 1h), from 64 goroutines paced
            by a ticker; latency_ms is each job's completion minus the
            start of its submit call, insert_per_sec the submit rate
            achieved.
  remote    worker nodes joined to a primary over the remote transport on
            loopback, all in this process, each run on a new database:
            the throughput of --jobs no-op jobs (default 20000; inserted
            first, then timed from opening the node until every one is
            completed, as burndown) run by --concurrency local workers
            (default 32), by one worker node of --concurrency slots, and by
            two, through a primary that runs no jobs itself; then the
            latency of --latency-jobs jobs (default 1000) submitted one at
            a time, each once the one before completed, locally and through
            one worker node. jobs_per_sec and seconds are the two-node
            run's, latency_ms the one-node latency; the remote object has
            every variant and added_latency_ms, the one-node p50 minus the
            local p50. It is not part of all.
  ceiling   raw SQLite, no gigq: one connection, gigq's pragmas, a minimal
            jobs table with UUIDv7 text keys; insert --jobs rows (default
            100000), then claim and complete each by id, in transactions
            of 1000 with prepared statements. insert_per_sec is the
            insert rate, jobs_per_sec the whole cycle's.
  all       burndown 100000 jobs, chain 1000 steps, fanout 1000 wide,
            depth 10000 jobs behind 100000 queued, steady 500/s for 10s
            and ceiling 100000 jobs, one after another, each on a
            temporary database: a few minutes on 2 cores. It takes
            --workers, --sync, --json and --plot only, and prints one
            table of all the reports, a row each, or with --json one
            JSON array of them.

The database is a file in a new temporary directory, removed afterwards,
unless --db names one: then it must not exist yet, and it is kept (GIGQ_DB
is not read). A flag the scenario does not take is a usage error. Every
report states the peak RSS of the process, the size of the database file
and its -wal, the machine (CPU, cores, Go, SQLite) and the configuration;
--json prints it as one JSON object with the fields scenario, jobs,
completed, seconds, jobs_per_sec, insert_seconds, insert_per_sec,
latency_ms ({p50,p95,p99,max}, steady and remote), release_ms (the same;
chain, fanout and diamond), queued (depth only), peak_rss_bytes, db_bytes,
sync, workers (remote: slots a worker node), machine, config and, for
remote only, remote: {local, one_node, two_nodes}, each {slots, seconds,
jobs_per_sec, join_ms and node_jobs (worker nodes only), latency_ms (local
and one_node)}, with latency_jobs and added_latency_ms.

When stderr is a terminal and --json is not set, a progress bar on stderr
shows the long phases (inserting, working, steady's submits) and is
erased before the report. --plot FILE.svg or FILE.png also draws the run
to that file: throughput over time (completions per time bucket, as
jobs/s, in 80 to 200 buckets) and, where the scenario measures latency_ms
or release_ms, their histogram up to the p99; with all, one file per
scenario (FILE-burndown.svg, FILE-chain.svg, ...).`,
		Example: `  gigq bench burndown --jobs 20000 --plot burndown.svg
  gigq bench chain --steps 1000 --json
  gigq bench diamond --layers 10 --width 10
  gigq bench depth --queued 1000000 --jobs 10000
  gigq bench steady --rate 1000 --duration 30s --plot steady.png
  gigq bench remote --jobs 20000 --latency-jobs 1000 --concurrency 32 --json
  gigq bench ceiling --jobs 100000 --sync full
  gigq bench all --json`,
		Args: exactArgs(1, "a scenario: "+strings.Join(append(bench.Scenarios(), "all"), ", ")),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) error {
			name := args[0]
			flags := cmd.Flags()
			if flags.Changed("workers") && workers == 0 { // (the library reads 0 as its default)
				return usageErrorf("invalid --workers 0: use 1 to %d", bench.MaxWorkers)
			}
			if flags.Changed("concurrency") && concurrency == 0 { // (likewise)
				return usageErrorf("invalid --concurrency 0: use 1 to %d", bench.MaxWorkers)
			}
			if plotPath != "" {
				if err := bench.CheckPlotPath(plotPath); err != nil {
					return usageErrorf("invalid --plot: %w", err)
				}
			}
			var progress bench.Progress // a bar on a terminal, for people; none for JSON, pipes and tests
			if a.stderrTTY && !asJSON {
				progress = bench.NewProgressBar(cmd.ErrOrStderr())
			}
			if name == "all" {
				for _, f := range benchSizeFlags {
					if flags.Changed(f) {
						return usageErrorf("all does not take --%s: it runs fixed sizes on temporary databases", f)
					}
				}
				plan := bench.AllPlan(workers, sync)
				for i := range plan {
					plan[i].Config.Progress = progress
				}
				reports, err := bench.RunAll(cmd.Context(), plan)
				if err != nil {
					return err
				}
				if asJSON {
					err = writeJSON(cmd.OutOrStdout(), reports)
				} else {
					err = bench.WriteSummary(cmd.OutOrStdout(), reports)
				}
				if err != nil || plotPath == "" {
					return err
				}
				for _, r := range reports {
					if err := r.WritePlot(scenarioPlotPath(plotPath, r.Scenario)); err != nil {
						return err
					}
				}
				return nil
			}
			cfg := bench.Defaults(name)
			if flags.Changed("db") {
				cfg.DB = a.db
			}
			for _, f := range []struct {
				flag string
				dst  *int
				v    int
			}{{"jobs", &cfg.Jobs, jobs}, {"steps", &cfg.Steps, steps}, {"workers", &cfg.Workers, workers},
				{"submitters", &cfg.Submitters, submitters},
				{"width", &cfg.Width, width}, {"layers", &cfg.Layers, layers}, {"queued", &cfg.Queued, queued},
				{"rate", &cfg.Rate, rate}, {"latency-jobs", &cfg.LatencyJobs, latencyJobs},
				{"concurrency", &cfg.Concurrency, concurrency}} {
				if flags.Changed(f.flag) {
					*f.dst = f.v
				}
			}
			if flags.Changed("duration") {
				cfg.Duration = duration
			}
			if flags.Changed("sync") {
				cfg.Sync = sync
			}
			if err := bench.Validate(name, cfg); err != nil {
				return usageErrorf("%w", err)
			}
			cfg.Progress = progress
			r, err := bench.Run(cmd.Context(), name, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				err = writeJSON(cmd.OutOrStdout(), r)
			} else {
				err = r.WriteTable(cmd.OutOrStdout())
			}
			if err != nil || plotPath == "" {
				return err
			}
			return r.WritePlot(plotPath)
		}),
	}
	f := cmd.Flags()
	f.IntVar(&jobs, "jobs", 0, "jobs to run: burndown, depth, ceiling and each of remote's throughput runs "+
		"(default 10000 for burndown and depth, 20000 for remote, 100000 for ceiling)")
	f.IntVar(&latencyJobs, "latency-jobs", 0, "jobs each of remote's latency runs submits one at a time (default 1000)")
	f.IntVar(&concurrency, "concurrency", 0, "slots of each of remote's worker nodes, and workers of its local baseline (default 32)")
	f.IntVar(&steps, "steps", 0, "steps of chain's workflow (default 1000)")
	f.IntVar(&width, "width", 0, "steps between fanout's root and sink (default 1000), or of each diamond layer (default 10)")
	f.IntVar(&layers, "layers", 0, "layers of diamond's workflow (default 10)")
	f.IntVar(&queued, "queued", 0, "jobs depth leaves queued behind its --jobs (default 100000)")
	f.IntVar(&rate, "rate", 0, "jobs a second steady submits (default 500)")
	f.DurationVar(&duration, "duration", 0, "how long steady submits, e.g. 30s (default 10s)")
	f.IntVar(&workers, "workers", bench.DefaultWorkers, "workers of the node: every scenario but remote (see --concurrency) and ceiling")
	f.IntVar(&submitters, "submitters", 0, "goroutines burndown, depth and remote submit from, one job per Submit (default 64)")
	f.StringVar(&sync, "sync", "normal", "commit durability: normal or full (gigq's Sync; ceiling's PRAGMA synchronous)")
	f.BoolVar(&asJSON, "json", false, "print the report as one JSON object (all: a JSON array of them)")
	f.StringVar(&plotPath, "plot", "", "also draw throughput over time and the latency histogram to FILE.svg or FILE.png "+
		"(all: one file per scenario, FILE-burndown.svg ...)")
	return cmd
}

// scenarioPlotPath is the plot file of one scenario of "all": path with
// "-SCENARIO" before its extension.
func scenarioPlotPath(path, scenario string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + scenario + ext
}
