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
package gigq
