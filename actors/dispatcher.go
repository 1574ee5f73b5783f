package actors

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// dispatcher matches ready jobs with idle workers. It keeps a bounded
// window of the best ready jobs (priority DESC, created_at ASC) and the set
// of idle workers; it claims through the store actor (guarded updates,
// batched like every write) and hands each claimed job to its worker.
//
// New jobs arrive by message after commit (JobsReady); when more jobs are
// ready than the window holds, it remembers that (overflow) and refills
// from the ready index once the window runs low. It never polls.
//
// State: the window, the workers (idle, reserved for a claim, busy), the
// claims in flight. On NodeStarted (at start, and after a restart) it
// refills from the database and asks the workers to announce themselves.
type dispatcher struct {
	deps *Deps
	log  zerolog.Logger

	window   readyHeap
	inWindow map[persistence.JobID]struct{}
	worst    *persistence.ReadyJob // cached worst job of a full window
	overflow bool                  // the database may hold ready jobs the window lacks

	idle     []*actor.PID
	isIdle   map[string]bool
	claiming map[persistence.JobID]*actor.PID // claims in flight, with the worker reserved for each
	reserved map[string]persistence.JobID     // worker -> the job of its claim in flight
	busy     map[string]persistence.ExecutionID

	claimed    int // successful claims, for MaxJobs
	draining   bool
	drainWait  []*actor.PID
	doneSent   bool
	functions  []string
	warnedFunc map[string]bool
}

func newDispatcherProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return newDispatcher(d) })
}

func newDispatcher(d *Deps) *dispatcher {
	fns := make([]string, 0, len(d.Handlers))
	for name := range d.Handlers {
		fns = append(fns, name)
	}
	sort.Strings(fns)
	return &dispatcher{
		deps:       d,
		log:        d.Logger.With().Str("actor", "dispatcher").Logger(),
		inWindow:   map[persistence.JobID]struct{}{},
		isIdle:     map[string]bool{},
		claiming:   map[persistence.JobID]*actor.PID{},
		reserved:   map[string]persistence.JobID{},
		busy:       map[string]persistence.ExecutionID{},
		overflow:   true, // unknown until the first refill
		functions:  fns,
		warnedFunc: map[string]bool{},
	}
}

func (d *dispatcher) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NodeStarted:
		for _, w := range d.deps.workers {
			ctx.Send(w, &messages.AnnounceIdle{})
		}
		d.refill()
		d.dispatch(ctx)
	case *messages.JobsReady:
		for _, j := range msg.Jobs {
			d.push(j)
		}
		d.dispatch(ctx)
	case *messages.WorkerIdle:
		d.handleWorkerIdle(ctx, msg)
	case *messages.ClaimJobsReply:
		d.handleClaimed(ctx, msg)
	case *messages.SyncReply:
		// The store committed everything the workers reported before
		// checkDone asked, and announced what its earlier batches made
		// ready (a job reclaimed at start arrives before this reply). If
		// that gave us work, the run goes on; else it is over.
		if len(d.claiming) > 0 || len(d.busy) > 0 || (d.claimed < d.deps.MaxJobs && d.window.Len() > 0) {
			d.doneSent = false
			return
		}
		d.deps.OnDone()
	case *messages.Drain:
		d.draining = true
		d.drainWait = append(d.drainWait, ctx.Sender())
		d.checkDrained(ctx)
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		d.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (d *dispatcher) handleWorkerIdle(ctx actor.Context, msg *messages.WorkerIdle) {
	w := ctx.Sender()
	if w == nil {
		return
	}
	// A worker announces itself when it starts and when asked
	// (AnnounceIdle); such a report can arrive after the worker was given
	// a job. Only a report about the attempt it runs frees it.
	if _, ok := d.reserved[w.Id]; ok {
		return
	}
	if exec, ok := d.busy[w.Id]; ok && exec != msg.ExecutionID {
		return
	}
	delete(d.busy, w.Id)
	if !d.isIdle[w.Id] {
		d.isIdle[w.Id] = true
		d.idle = append(d.idle, w)
	}
	d.dispatch(ctx)
	d.checkDrained(ctx)
}

func (d *dispatcher) handleClaimed(ctx actor.Context, msg *messages.ClaimJobsReply) {
	for _, job := range msg.Claimed {
		w := d.claiming[job.ID]
		delete(d.claiming, job.ID)
		if w != nil {
			delete(d.reserved, w.Id)
		}
		if w == nil {
			d.log.Error().Str("job_id", string(job.ID)).Msg("claimed job has no reserved worker")
			continue
		}
		d.claimed++
		d.busy[w.Id] = job.ExecutionID
		ctx.Send(w, &messages.RunAttempt{Job: job})
	}
	for _, r := range msg.Refused {
		w := d.claiming[r.Claim.JobID]
		delete(d.claiming, r.Claim.JobID)
		if w != nil {
			delete(d.reserved, w.Id)
		}
		d.log.Debug().Err(r.Err).Str("job_id", string(r.Claim.JobID)).Msg("claim refused")
		if w != nil && !d.isIdle[w.Id] {
			d.isIdle[w.Id] = true
			d.idle = append(d.idle, w)
		}
	}
	d.dispatch(ctx)
	d.checkDrained(ctx)
}

// limitReached reports whether MaxJobs claims are made or in flight.
func (d *dispatcher) limitReached() bool {
	return d.deps.MaxJobs > 0 && d.claimed+len(d.claiming) >= d.deps.MaxJobs
}

// dispatch claims the best ready jobs for the idle workers, in one message.
func (d *dispatcher) dispatch(ctx actor.Context) {
	if d.draining {
		return
	}
	if d.window.Len() < d.lowWater() && d.overflow {
		d.refill()
	}
	var claims []persistence.Claim
	for len(d.idle) > 0 && d.window.Len() > 0 && !d.limitReached() {
		j := heap.Pop(&d.window).(persistence.ReadyJob)
		delete(d.inWindow, j.ID)
		if d.window.Len() == 0 {
			d.worst = nil
		}
		w := d.idle[len(d.idle)-1]
		d.idle = d.idle[:len(d.idle)-1]
		delete(d.isIdle, w.Id)
		exec := persistence.ExecutionID(uuid.Must(uuid.NewV7()).String())
		claims = append(claims, persistence.Claim{JobID: j.ID, ExecutionID: exec, WorkerID: d.deps.WorkerID})
		d.claiming[j.ID] = w
		d.reserved[w.Id] = j.ID
		if d.window.Len() < d.lowWater() && d.overflow {
			d.refill()
		}
	}
	if len(claims) > 0 {
		ctx.Request(d.deps.store, &messages.ClaimJobs{Claims: claims})
	}
	d.checkDone(ctx)
}

func (d *dispatcher) lowWater() int { return max(1, d.deps.WindowSize/2) }

// push adds a ready job to the window, evicting the worst one when the
// window is full and the new job is better.
func (d *dispatcher) push(j persistence.ReadyJob) {
	if _, ok := d.inWindow[j.ID]; ok {
		return
	}
	if _, ok := d.claiming[j.ID]; ok {
		return
	}
	if _, ok := d.deps.Handlers[j.Function]; !ok {
		if !d.warnedFunc[j.Function] {
			d.warnedFunc[j.Function] = true
			d.log.Warn().Str("task", j.Function).Str("known", strings.Join(d.functions, ", ")).
				Msg("handler is not registered on this node; its jobs stay pending")
		}
		return
	}
	if d.window.Len() < d.deps.WindowSize {
		heap.Push(&d.window, j)
		d.inWindow[j.ID] = struct{}{}
		if d.worst != nil && d.worst.Less(j) {
			w := j
			d.worst = &w
		}
		return
	}
	d.overflow = true
	if d.worst == nil {
		d.worst = d.findWorst()
	}
	if !j.Less(*d.worst) {
		return // not better than what we hold; a refill finds it later
	}
	for i := range d.window {
		if d.window[i].ID == d.worst.ID {
			heap.Remove(&d.window, i)
			delete(d.inWindow, d.worst.ID)
			break
		}
	}
	heap.Push(&d.window, j)
	d.inWindow[j.ID] = struct{}{}
	d.worst = d.findWorst()
}

func (d *dispatcher) findWorst() *persistence.ReadyJob {
	if len(d.window) == 0 {
		return nil
	}
	w := d.window[0]
	for _, j := range d.window[1:] {
		if w.Less(j) {
			w = j
		}
	}
	return &w
}

// refill reads the best ready jobs from the ready index.
func (d *dispatcher) refill() {
	if len(d.functions) == 0 {
		d.overflow = false
		return
	}
	limit := d.deps.WindowSize + len(d.claiming)
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := d.deps.Reader.ReadyJobs(c, limit, d.functions)
	if err != nil {
		// Keep overflow set: the next dispatch tries again.
		d.log.Error().Err(err).Msg("refill ready window")
		return
	}
	d.overflow = len(jobs) >= limit
	for _, j := range jobs {
		d.push(j)
	}
}

func (d *dispatcher) checkDrained(ctx actor.Context) {
	if !d.draining || len(d.claiming) > 0 || len(d.busy) > 0 {
		return
	}
	for _, w := range d.drainWait {
		if w != nil {
			ctx.Send(w, &messages.Drained{})
		}
	}
	d.drainWait = nil
}

// checkDone tells the node, once, that a MaxJobs run has nothing left to
// do: the limit is reached or nothing is ready, and no attempt runs. It
// first asks the store to sync, so the last outcome is committed when the
// node hears it (workers send FinishAttempt before WorkerIdle).
func (d *dispatcher) checkDone(ctx actor.Context) {
	if d.deps.MaxJobs <= 0 || d.doneSent || d.deps.OnDone == nil || len(d.claiming) > 0 || len(d.busy) > 0 {
		return
	}
	if d.claimed >= d.deps.MaxJobs || (d.window.Len() == 0 && !d.overflow) {
		d.doneSent = true
		ctx.Request(d.deps.store, &messages.Sync{})
	}
}

// readyHeap orders ready jobs best first.
type readyHeap []persistence.ReadyJob

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return h[i].Less(h[j]) }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(persistence.ReadyJob)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
