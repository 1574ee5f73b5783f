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
// JobFromContext tells the job id and the attempt number.
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
// A process that only submits and reads opens with Config.ClientOnly.
// Several processes may open the same file: each notices the others' new
// jobs within Config.WatchInterval (PRAGMA data_version).
//
// # Job states
//
// pending -> running -> completed; a failed or timed-out attempt goes back
// to pending (after retry_delay) while attempts remain, else to failed or
// timeout; a pending job can be cancelled; failed, timeout and cancelled
// jobs can be requeued. Any other change is refused with an error that
// matches ErrInvalidTransition.
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
package gigq
