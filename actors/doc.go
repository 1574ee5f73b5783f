// Package actors is gigq's actor tree: the single writer of the SQLite file,
// the dispatcher, the scheduler and the workers, under one supervisor.
//
//	Supervisor "gigq" (restart policy: workers always; others 10 in 10 s)
//	  ├─ store        single writer; group commit; watches other processes
//	  ├─ scheduler    retry_delay timers -> JobsReady
//	  ├─ dispatcher   ready window (priority heap) + idle workers -> claims
//	  ├─ worker-N     one attempt at a time, handler on its own goroutine
//	  └─ workflow-*   one per unfinished workflow: counts completed parents
//
// How a job flows (messages in package messages):
//
//	node      --SubmitJobs-->      store       (reply after COMMIT)
//	store     --JobsReady-->       dispatcher  (after COMMIT)
//	worker    --WorkerIdle-->      dispatcher
//	dispatcher--ClaimJobs-->       store       (guarded UPDATE, batched)
//	store     --ClaimJobsReply-->  dispatcher
//	dispatcher--RunAttempt-->      worker
//	worker    --FinishAttempt-->   store       (fenced by execution id)
//	store     --JobsReady / RetriesScheduled--> dispatcher / scheduler
//
// How a workflow's child is released (the store already counted the
// parent off the child, cancelled what a failure leaves unable to run, and
// set the workflow's final status if that was its last job, in the
// parent's transaction):
//
//	store     --WorkflowChanged--> supervisor --> workflow (spawned if none)
//	workflow  --LoadWorkflow-->    store       (snapshot, ordered by Seq)
//	workflow  --JobsReady-->       dispatcher  (children whose count reached 0)
//	workflow  --workflowEnded-->   supervisor  (which stops it)
//
// | Layer      | File          | Responsibility                                           |
// |------------|---------------|----------------------------------------------------------|
// | System     | system.go     | builds the actor system, fixed PIDs, requests from the node |
// | Supervisor | supervisor.go | spawns the children, restart policy                      |
// |            | supervisor_workflows.go | starts, routes to and stops the workflow actors |
// | Store      | store.go      | the only writer; group commit; replies after COMMIT      |
// |            | store_nodes.go| its node row, heartbeats, reclaim of lost nodes' jobs    |
// |            | store_full.go | a full disk: keep reports, re-announce failed claims     |
// |            | store_workflows.go | who hears of released, cancelled, revived jobs; snapshots |
// | Dispatcher | dispatcher.go | bounded ready window, idle workers, claims               |
// | Scheduler  | scheduler.go  | timers for retries that wait for retry_delay             |
// | Worker     | worker.go     | runs handlers off the mailbox; panics and deadlines      |
// | Workflow   | workflow.go   | one workflow's counts of parents; releases its children  |
// | Interfaces | interfaces.go | the narrow store interfaces the actors use; Handler      |
// | Observer   | observer.go   | the metrics hook: store after COMMIT, workers busy/idle  |
//
// Rules: an actor's state lives in its fields and is touched only inside
// Receive; Receive never blocks (no Future.Result, no user code; only the
// store writes SQLite, and the dispatcher and scheduler read it briefly);
// long work runs on a goroutine that reports back by message. Actors that
// hold durable state rebuild it from the database in *actor.Started (the
// workflow actor asks the store, so that its snapshot and the store's
// later changes are ordered).
package actors
