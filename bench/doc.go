// Package bench is gigq's benchmark harness, run by "gigq bench". Each
// scenario runs on a new database file and returns a Report: the figures,
// the machine and the configuration.
//
// The gigq scenarios use only the public API of package gigq, as a user's
// program would:
//
//   - burndown inserts Config.Jobs no-op jobs through a client-only node,
//     then opens a node with Config.Workers workers and times it until
//     every job is completed (the insert rate and the work rate);
//   - chain runs one workflow of Config.Steps no-op steps, each depending
//     on the one before, and reports the release latency of each edge
//     (the child's start minus its parent's completion, as stored);
//   - fanout runs a workflow of a root, Config.Width steps under it and a
//     sink under them all; diamond one of Config.Layers layers of
//     Config.Width steps, each depending on every step of the layer
//     before. Both report the total time and each step's release
//     latency (its start minus its latest parent's completion);
//   - depth works Config.Jobs jobs while Config.Queued lower-priority jobs
//     wait behind them, and reports their work rate;
//   - steady submits Config.Rate jobs a second for Config.Duration while a
//     node works them, and reports each job's latency, submit to
//     completion;
//   - remote runs jobs on worker nodes that join a primary over the
//     remote transport on loopback (in this process): the throughput of
//     Config.Jobs jobs run by Config.Concurrency local workers, by one
//     worker node of Config.Concurrency slots and by two, and the latency
//     of Config.LatencyJobs jobs run one at a time, locally and through one
//     worker node (Report.Remote). "all" leaves it out: it measures the
//     transport, not the engine, and starts servers.
//
// RunAll runs a plan of scenarios in turn; AllPlan is "gigq bench all",
// and WriteSummary its table. Config.Progress is told how the long phases
// advance (NewProgressBar draws them on a terminal), and Report.WritePlot
// draws a run's throughput over time and latency histogram to an SVG or
// PNG file, from the samples Run keeps in Report.Series.
//
// ceiling measures raw SQLite on one connection with the same pragmas:
// the physical limit the engine approaches (see Ceiling).
package bench
