// Package actors is gigq's actor tree: the single writer of the SQLite file,
// the dispatcher, the scheduler and the workers, under one supervisor; and,
// on a primary, the gateway that worker nodes on other machines join.
//
// Package actors is part of gigq's engine: its API is internal, for the root
// package and gigq's own commands, with no compatibility promise; use
// package gigq.
//
//	Supervisor "gigq" (restart policy: workers always; others 10 in 10 s)
//	  ├─ store        single writer; group commit; watches other processes
//	  ├─ scheduler    timers for retry delays and delayed jobs -> JobsReady
//	  ├─ dispatcher   per-task ready windows + idle slots -> claims
//	  ├─ worker-N     one attempt at a time, handler on its own goroutine
//	  ├─ cron         cron schedules: one timer for the soonest next_run -> FireSchedules
//	  ├─ workflow-*   one per unfinished workflow: counts completed parents
//	  └─ gateway      (a primary) admits worker nodes
//	       └─ node-*  one per worker node: its session, heartbeat, loss
//	            └─ remote slots: to the dispatcher, workers like worker-N
//
// A worker node (another process, often another machine, no database) runs
// one actor, the agent, in its own actor system:
//
//	agent   --Hello-->       gateway     (protocol checked)
//	gateway --Challenge-->   agent       (a nonce)
//	agent   --Join-->        gateway     (HMAC of the nonce; handlers; in-flight attempts)
//	node-*  --JoinNode-->    store       (its row; attempts it no longer has failed)
//	node-*  --Welcome-->     agent       (session token, heartbeat pace)
//	slot    --WorkerIdle{Slot}--> dispatcher, which claims as for a worker
//	slot    --sendRun--> node-* --RunJob--> agent (handler on a goroutine)
//	agent   --Report-->      node-* --> slot --FinishAttempt--> store
//	node-*  --ReportAck-->   agent
//	agent   --Heartbeat-->   node-*      (HeartbeatAck back)
//	node-*  --NodeGone-->    store       (lost or left: running attempts failed, row deleted)
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
// How a running job is cancelled (the store ends it in the cancel's
// transaction; the attempt's later report is refused):
//
//	store     --StopAttempts-->    dispatcher  (after COMMIT; or, after another
//	                                            process's writes, the dispatcher
//	                                            finds them with JobStates)
//	dispatcher--StopAttempt-->     worker / remote slot (-> CancelAttempt -> agent)
//	worker    --WorkerIdle-->      dispatcher  (the handler's context is cancelled)
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
// |            | store_release.go | stop at once: running jobs back to pending, one commit |
// | Damage     | damage.go     | a damaged file: recorded once, logged once; no writes, no claims |
// |            | store_workflows.go | who hears of released, cancelled, revived jobs; snapshots |
// | Dispatcher | dispatcher.go | per-task ready windows, idle slots, claims               |
// |            | window.go     | one task's bounded window of the best ready jobs          |
// | Scheduler  | scheduler.go  | timers for retries and delayed jobs; a bounded heap      |
// | Cron       | cron.go       | cron schedules: timers, guarded enqueue through the store |
// |            | store_schedules.go | the store's part: add/change schedules, fire due ones |
// |            | clock.go      | the clock the cron actor uses (fake in tests)            |
// | Worker     | worker.go     | runs handlers off the mailbox; panics, deadlines, stops  |
// |            | progress.go   | a handler's throttled progress reports, and the store's part |
// | Workflow   | workflow.go   | one workflow's counts of parents; releases its children  |
// | Interfaces | interfaces.go | the narrow store interfaces the actors use; Handler      |
// | Observer   | observer.go   | the metrics hook: store after COMMIT, workers busy/idle  |
// | Remote     | remote.go     | protoactor's remote transport: TLS, keepalive, queues     |
// |            | gateway.go    | admits worker nodes: protocol, challenge, secret          |
// |            | remote_node.go| one worker node's session: slots, reports, loss, leave    |
// |            | remote_slot.go| a worker node's slot, as the dispatcher sees it           |
// |            | agent.go      | the worker node's side: join, beat, run, report, rejoin   |
// |            | agent_system.go | starts a worker node's actor system and agent           |
//
// Rules: an actor's state lives in its fields and is touched only inside
// Receive; Receive never blocks (no Future.Result, no user code; only the
// store writes SQLite, and the dispatcher and scheduler read it briefly);
// long work runs on a goroutine that reports back by message. Actors that
// hold durable state rebuild it from the database in *actor.Started (the
// workflow actor asks the store, so that its snapshot and the store's
// later changes are ordered).
package actors
