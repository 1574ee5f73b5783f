package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

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
// jobs of this workflow; those changes do not reach this actor, so when a
// change shows its view was behind (a job it thought waiting ran), it
// loads the workflow again. What another process makes claimable reaches
// this node's dispatcher through the store's watch on the file.
//
// When every job ended (the store set the workflow's final status in the
// same transaction) it tells the supervisor, which stops it. A requeue
// later brings up a new one.
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
		if !w.loaded {
			w.buffered = append(w.buffered, msg)
			return
		}
		w.apply(ctx, msg)
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
		if !w.loaded {
			w.buffered = append(w.buffered, m)
			continue
		}
		w.apply(ctx, m)
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
	if msg.Status != "" {
		// Another process changed the workflow's status: its jobs'
		// changes there never came here.
		w.load(ctx)
		return
	}
	var ready []persistence.ReadyJob
	for _, c := range msg.Jobs {
		old, known := w.state(c.JobID)
		if known && old == c.Status && c.Status != persistence.StatusPending {
			continue
		}
		if j, ok := w.jobs[c.JobID]; ok {
			if old == persistence.StatusPending && c.Status == persistence.StatusPending {
				// The database's count (or a retry, which leaves it at
				// 0): ours must agree, or another process completed
				// parents we did not hear of.
				if j.remaining != c.Remaining {
					w.log.Debug().Str("job_id", string(c.JobID)).Msg("workflow changed elsewhere; loading it again")
					w.load(ctx)
					return
				}
				continue
			}
			if old == persistence.StatusPending && j.remaining > 0 && c.Status != persistence.StatusCancelled {
				// It ran though we counted parents left: another process
				// completed them. Our counts are behind; load again.
				w.log.Debug().Str("job_id", string(c.JobID)).Msg("workflow changed elsewhere; loading it again")
				w.load(ctx)
				return
			}
			if old.Final() != c.Status.Final() {
				if c.Status.Final() {
					w.active--
				} else {
					w.active++
				}
			}
			j.status = c.Status
			if c.Status == persistence.StatusPending {
				j.remaining = c.Remaining
				// Back from a final state (requeued or revived): it is
				// new work. (A retry, running -> pending, is the store's
				// and the scheduler's to announce.)
				if old.Final() && c.Remaining == 0 {
					ready = append(ready, j.ready)
				}
			}
		} else {
			w.external[c.JobID] = c.Status
		}
		if c.Status == persistence.StatusCompleted {
			for _, child := range w.children[c.JobID] {
				cj := w.jobs[child]
				if cj == nil || cj.status != persistence.StatusPending || cj.remaining == 0 {
					continue
				}
				cj.remaining--
				if cj.remaining == 0 {
					ready = append(ready, cj.ready)
				}
			}
		}
	}
	w.release(ctx, ready)
	w.checkEnded(ctx)
}

// state is what this actor knows of a job of the workflow or a parent
// outside it.
func (w *workflow) state(id persistence.JobID) (persistence.Status, bool) {
	if j, ok := w.jobs[id]; ok {
		return j.status, true
	}
	s, ok := w.external[id]
	return s, ok
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
	if !w.loaded || w.active > 0 || w.ended {
		return
	}
	w.ended = true
	ctx.Send(ctx.Parent(), &workflowEnded{id: w.id, pid: ctx.Self()})
}
