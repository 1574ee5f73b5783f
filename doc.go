// Package gigq is a durable job queue and workflow engine on one SQLite
// file, built as an actor system (protoactor-go). It keeps the model of the
// Python library GigQ — jobs with a handler name ("function"), JSON params,
// priority, max_attempts, timeout, retry_delay; the tables jobs and
// job_executions — and runs it without polling: writes are group-committed
// by a single writer actor, and ready jobs reach workers by message.
//
// # Guarantees
//
//   - Durable acknowledgement: Submit returns after the job is committed.
//   - Each claim is exclusive: a claim is an UPDATE guarded by the job's
//     state, so an attempt runs on one worker of one process.
//   - At-least-once execution: a job runs until one attempt completes or
//     its attempts are used up. Handlers should be idempotent.
//   - Order: ready jobs start by priority (higher first), then oldest
//     first. With several workers, jobs run concurrently and may finish in
//     any order.
//
// # Tasks
//
// A task is a typed handler under a stable name; the name, not the Go
// type, is stored with each job:
//
//	type GreetArgs struct{ Name string }
//	var Greet = gigq.NewTask("greet", func(ctx context.Context, a GreetArgs) (string, error) {
//		return "hello " + a.Name, nil
//	})
//
// Register tasks in a Registry and pass it to Open. Inside a handler,
// JobFromContext tells the job id and the attempt number, and Progress
// reports how far it got.
//
// # Running a node
//
//	node, err := gigq.Open(ctx, gigq.Config{Path: "jobs.db", Registry: gigq.NewRegistry().MustAdd(Greet), Workers: 8})
//	if err != nil { ... }
//	defer node.Close(ctx)
//	id, err := Greet.Submit(ctx, node, GreetArgs{Name: "ada"}, nil)
//	job, err := node.Wait(ctx, id)
//	out, err := Greet.Result(ctx, node, id)
//
// SubmitOpts sets a job's priority, attempts, timeout, delay (RunAt),
// unique key and named queue. A process that only submits and reads opens
// with Config.ClientOnly. Several processes may open the same file: each
// notices the others' new jobs within Config.WatchInterval (PRAGMA
// data_version). Node.AddSchedule enqueues jobs on a cron schedule, once
// however many nodes share the file. A node opened with Config.Remote is
// a primary that worker nodes on other machines join (StartWorkerNode).
//
// # The database file
//
// Open writes only to a file that is gigq's own: new or empty (it gets
// gigq's schema and ApplicationID), with gigq's application id, or a
// database of an earlier gigq (adopted). It reads the file first without
// changing a byte, and refuses anything else — another program's SQLite
// database, a GigQ (Python) one, a file that is not SQLite, a damaged one
// — with an error matching ErrNotGigq that says what the file looks like;
// a file or folder the process may not write with one matching
// fs.ErrPermission. Config.ReadOnly opens a node that only reads (writes
// return ErrReadOnly), on a file or in a folder it may not write. Check
// runs SQLite's integrity check, and Backup makes a consistent copy while
// nodes run.
//
// # Job states
//
// pending -> running -> completed; a failed or timed-out attempt goes back
// to pending (after its retry delay) while attempts remain, else to failed
// or timeout; a pending or running job can be cancelled; failed, timeout
// and cancelled jobs can be requeued. Any other change is refused with an
// error that matches ErrInvalidTransition (a *TransitionError).
//
// # Retries
//
// A failed or timed-out attempt is retried after SubmitOpts.RetryDelay,
// or after the exponential, jittered delay of a Backoff
// (SubmitOpts.Backoff, or Task.WithBackoff for every job of a task). A
// handler's error steers it: SkipRetry (or ErrSkipRetry) fails the job at
// once, and Snooze returns a *SnoozeError that runs the job again later
// without using an attempt. A panic in a handler is a failed attempt.
//
// # Events
//
// Node.Subscribe delivers an Event for each change this node commits
// (submitted, started, completed, retrying, failed, ...); Config.Events
// receives them from the moment the node opens. Node.Wait and
// Node.WaitWorkflow wake on them.
//
// # Workflows and dependencies
//
// A Workflow groups jobs under a name, with dependencies; Submit writes
// it, every job and every edge, in one transaction:
//
//	wf := gigq.NewWorkflow("data_pipeline")
//	download := wf.Add("download", Download.Step(DownloadArgs{URL: url}, nil))
//	process := wf.Add("process", Process.Step(ProcessArgs{}, nil), gigq.DependsOn(download))
//	report := wf.Add("report", gigq.Call("echo", nil, nil), gigq.DependsOn(process))
//	notify := wf.Add("notify", gigq.Call("echo", nil, nil), gigq.DependsOn(process))
//	wf.Add("archive", gigq.Call("echo", nil, nil), gigq.DependsOn(report, notify))
//	id, jobs, err := wf.Submit(ctx, node)
//
// A job waits until every job it depends on completed, then becomes ready
// in the same commit as its last parent's completion; inside its handler,
// ParentResults (and the typed ParentResultOf, ParentResultsAs) give the
// parents' results in dependency order. When a job ends failed, timeout or
// cancelled, every job below it is cancelled with the error "upstream job
// <id> (<name>) <state>"; requeuing that job brings them back. A plain job
// may depend on jobs already submitted (SubmitOpts.DependsOn).
// Node.Workflow, Node.WaitWorkflow and Node.CancelWorkflow read, wait for
// and cancel a workflow; ParseWorkflowFile reads the YAML or JSON file
// format of `gigq workflow submit`.
//
// # Metrics
//
// With Config.Metrics set, a node registers these Prometheus metrics.
// Counters and histograms count what this node committed since Open (jobs
// submitted or run by other processes on the same file are not in them);
// the gauges gigq_jobs and gigq_workflows are read from the database at
// each scrape, so they cover every process.
//
//	gigq_jobs_submitted_total                  counter    jobs this node submitted (each job of a workflow counts)
//	gigq_jobs_finished_total{function,state}   counter    attempts this node's workers ended, by the job's
//	                                                      function and how the attempt ended:
//	                                                        completed  the job completed
//	                                                        failed     the job failed for good (no attempts left)
//	                                                        timeout    the job timed out for good
//	                                                        retry      failed or timed out; the job is pending again
//	                                                        released   stopped by the node's shutdown; not counted
//	                                                                   as an attempt, the job is pending again
//	                                                      (attempts of a lost node, reclaimed, are not counted)
//	gigq_jobs_cancelled_total                  counter    jobs this node cancelled: by Cancel or CancelWorkflow,
//	                                                      or because a job they depend on ended badly
//	gigq_attempt_duration_seconds{function}    histogram  how long each of those attempts ran
//	gigq_jobs{state}                           gauge      jobs in each state (pending, running, completed,
//	                                                      failed, timeout, cancelled), read at scrape
//	gigq_workflows{status}                     gauge      workflows in each status (running, completed,
//	                                                      failed, cancelled), read at scrape
//	gigq_store_batch_size                      histogram  commands per group commit
//	gigq_store_commit_seconds                  histogram  time from BEGIN to COMMIT of each group commit
//	gigq_workers                               gauge      the node's workers (0 for a client-only node)
//	gigq_workers_busy                          gauge      workers running an attempt; busy/workers is
//	                                                      the worker utilisation
//
// A scrape runs two small queries on the read pool (a count of jobs by
// state and of workflows by status, the first one on an index, the second
// a scan of the workflows table); a scrape of a closed node reports
// neither gauge.
//
// # Packages
//
// Package gigqtest runs a task's handler in a unit test, without a node
// (Example (TestingAHandler)). Package web serves a node over HTTP (a JSON
// API, an event stream and a dashboard), package handlers holds the
// built-in exec and http tasks, and package mcpserver offers a database to
// an MCP client. The packages
// actors, messages and persistence are gigq's engine: their API is
// internal, with no compatibility promise; use package gigq.
package gigq
