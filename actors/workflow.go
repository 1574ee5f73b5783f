package actors

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// workflow tracks one unfinished workflow. It holds, per job, its state
// and the number of parents not completed yet, and per parent the jobs of
// this workflow that wait for it. When the store reports a parent
// completed, it counts that parent off each child; a child whose count
// reaches zero goes to the dispatcher, as a fresh job does. The work per
// completion is proportional to that job's children.
//
// The database holds the same counts (the store updates them in the
// transaction that completes the parent), so a restart, another process,
// or this actor's own restart loses nothing: on Started it asks the store
// for the workflow as committed, and ignores the changes that snapshot
// already holds (WorkflowChanged.Seq). Another process may also complete
// jobs of this workflow; those changes do not reach this actor. So with
// each completion the store also sends the children's counts as the
// database has them, and the lower count wins; a requeue or a revival is
// marked (JobChange.Back), whatever this actor last knew of the job. What
// another process makes claimable reaches this node's dispatcher through
// the store's watch on the file, and so does a workflow that ended there
// (WorkflowChanged.Status).
//
// When every job ended, or the store reports the workflow's final status
// (set in the transaction that ended its last job), it tells the
// supervisor, which stops it; changes that still reach it go back to the
// supervisor. A requeue later brings up a new one.
type workflow struct {
	deps *Deps
	log  zerolog.Logger
	id   persistence.WorkflowID

	loaded   bool
	seq      int64                       // the snapshot's Seq: changes up to it are in it
	buffered []*messages.WorkflowChanged // changes that came before the snapshot

	jobs     map[persistence.JobID]*flowJob
	children map[persistence.JobID][]persistence.JobID // parent -> its children in this workflow
	external map[persistence.JobID]persistence.Status  // parents outside the workflow
	active   int                                       // jobs not final
	ended    bool                                      // told the supervisor
}

// flowJob is one job of the workflow.
type flowJob struct {
	ready     persistence.ReadyJob
	status    persistence.Status
	remaining int
}

// workflowEnded is sent by a workflow actor to the supervisor when every
// job of its workflow ended.
type workflowEnded struct {
	id  persistence.WorkflowID
	pid *actor.PID
}

func newWorkflowProps(d *Deps, id persistence.WorkflowID) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &workflow{deps: d, id: id, log: d.Logger.With().Str("actor", "workflow").Str("workflow_id", string(id)).Logger()}
	})
}

func (w *workflow) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		w.load(ctx)
	case *messages.WorkflowLoaded:
		w.handleLoaded(ctx, msg)
	case *messages.WorkflowChanged:
		switch {
		case w.ended:
			// Routed here before the supervisor took this actor off its
			// map: back to the supervisor, which hands it to the
			// workflow's next actor (a requeue may have revived it).
			ctx.Send(ctx.Parent(), msg)
		case !w.loaded:
			w.buffered = append(w.buffered, msg)
		default:
			w.apply(ctx, msg)
		}
	case *messages.NodeStarted:
		// After a restart: Started already asked for the snapshot.
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		w.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

// load asks the store for the workflow as committed; changes wait in the
// buffer until it arrives.
func (w *workflow) load(ctx actor.Context) {
	w.loaded = false
	ctx.Request(w.deps.store, &messages.LoadWorkflow{WorkflowID: w.id})
}

func (w *workflow) handleLoaded(ctx actor.Context, msg *messages.WorkflowLoaded) {
	if errors.Is(msg.Err, persistence.ErrNotFound) {
		w.end(ctx) // cleared: nothing left to track
		return
	}
	if msg.Err != nil {
		// A bug or a broken database: fail, so supervision restarts
		// this actor (which loads again) a bounded number of times.
		panic(fmt.Errorf("load workflow %s: %w", w.id, msg.Err))
	}
	g := msg.Graph
	w.loaded, w.seq, w.active = true, msg.Seq, 0
	w.jobs = make(map[persistence.JobID]*flowJob, len(g.Jobs))
	w.children = make(map[persistence.JobID][]persistence.JobID)
	w.external = g.External
	var ready []persistence.ReadyJob
	for _, j := range g.Jobs {
		w.jobs[j.Job.ID] = &flowJob{ready: j.Job, status: j.Status, remaining: j.Remaining}
		if !j.Status.Final() {
			w.active++
		}
		if j.Status == persistence.StatusPending && j.Remaining == 0 {
			ready = append(ready, j.Job) // the dispatcher ignores jobs it already has
		}
		for _, p := range j.Parents {
			w.children[p] = append(w.children[p], j.Job.ID)
		}
	}
	w.log.Debug().Int("jobs", len(g.Jobs)).Int("active", w.active).Msg("workflow loaded")
	buffered := w.buffered
	w.buffered = nil
	for _, m := range buffered {
		if !w.loaded || w.ended {
			w.buffered = append(w.buffered, m)
			continue
		}
		w.apply(ctx, m)
	}
	if w.ended {
		for _, m := range w.buffered {
			ctx.Send(ctx.Parent(), m)
		}
		w.buffered = nil
	}
	w.release(ctx, ready)
	w.checkEnded(ctx)
}

// apply takes the store's committed changes: job states, and completed
// parents counted off their children.
func (w *workflow) apply(ctx actor.Context, msg *messages.WorkflowChanged) {
	if msg.Seq <= w.seq {
		return // the snapshot holds it
	}
	w.seq = msg.Seq
	var ready []persistence.ReadyJob
	for _, c := range msg.Jobs {
		if j, ok := w.jobs[c.JobID]; ok {
			ready = w.applyJob(j, c, ready)
			continue
		}
		// A parent outside the workflow.
		if old := w.external[c.JobID]; old != c.Status {
			w.external[c.JobID] = c.Status
			if c.Status == persistence.StatusCompleted {
				ready = w.countOff(c.JobID, ready)
			}
		}
	}
	w.release(ctx, ready)
	switch {
	case msg.Status != "" && msg.Status != persistence.WorkflowRunning:
		// The database says it ended (here, or in another process whose
		// jobs' changes never came here).
		w.end(ctx)
	case msg.Status == persistence.WorkflowRunning && len(msg.Jobs) == 0:
		// Another process brought it back (a requeue there): what
		// changed is known only to the database.
		w.load(ctx)
	default:
		w.checkEnded(ctx)
	}
}

// applyJob takes one job's change and returns ready with the jobs it made
// claimable. The database's count wins over this actor's: another process
// may have completed parents this actor never heard of.
func (w *workflow) applyJob(j *flowJob, c messages.JobChange, ready []persistence.ReadyJob) []persistence.ReadyJob {
	old := j.status
	if c.Status != persistence.StatusPending {
		if old == c.Status {
			return ready
		}
		if !old.Final() {
			w.active--
		}
		j.status, j.remaining = c.Status, 0
		if c.Status == persistence.StatusCompleted {
			ready = w.countOff(c.JobID, ready)
		}
		return ready
	}
	switch {
	case old.Final() || c.Back:
		// Requeued or revived: new work, waiting for c.Remaining
		// parents. (This actor may not have known it had ended, if that
		// happened in another process.)
		if old.Final() {
			w.active++
		}
		j.status, j.remaining = persistence.StatusPending, c.Remaining
		if c.Remaining == 0 {
			ready = append(ready, j.ready)
		}
	case j.remaining > 0 && c.Remaining < j.remaining:
		// The database's count after a completion: lower than ours when
		// another process completed parents too.
		j.remaining = c.Remaining
		if c.Remaining == 0 {
			ready = append(ready, j.ready)
		}
	}
	// Otherwise: a retry (running -> pending again, the store's and the
	// scheduler's to announce), or a count that agrees.
	return ready
}

// countOff counts a completed parent off its children in this workflow.
func (w *workflow) countOff(parent persistence.JobID, ready []persistence.ReadyJob) []persistence.ReadyJob {
	for _, child := range w.children[parent] {
		cj := w.jobs[child]
		if cj == nil || cj.status != persistence.StatusPending || cj.remaining == 0 {
			continue
		}
		cj.remaining--
		if cj.remaining == 0 {
			ready = append(ready, cj.ready)
		}
	}
	return ready
}

// release hands claimable jobs to the dispatcher.
func (w *workflow) release(ctx actor.Context, ready []persistence.ReadyJob) {
	if len(ready) > 0 && w.deps.dispatcher != nil {
		ctx.Send(w.deps.dispatcher, &messages.JobsReady{Jobs: ready})
	}
}

// checkEnded tells the supervisor, which stops this actor, once no job of
// the workflow can run any more. (The store set the final status in the
// transaction that ended the last job.)
func (w *workflow) checkEnded(ctx actor.Context) {
	if w.loaded && w.active == 0 {
		w.end(ctx)
	}
}

// end tells the supervisor, once, that this actor is done.
func (w *workflow) end(ctx actor.Context) {
	if w.ended {
		return
	}
	w.ended = true
	ctx.Send(ctx.Parent(), &workflowEnded{id: w.id, pid: ctx.Self()})
}
