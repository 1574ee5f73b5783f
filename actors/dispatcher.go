package actors

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// dispatcher matches ready jobs with idle worker slots. It keeps, per
// task, a bounded window of the best ready jobs (priority DESC, created_at
// ASC), and the set of idle slots: the node's own workers, and the slots of
// remote worker nodes joined to it (see gateway.go), each with the tasks it
// can run. It claims through the store actor (guarded updates, batched
// like every write) and hands each claimed job to its slot.
//
// New jobs arrive by message after commit (JobsReady); when more jobs of a
// task are ready than its window holds, it remembers that (overflow) and
// refills from the ready index once the window runs low. It never polls.
// A job whose task no slot can run stays in the database, pending.
//
// Named queues: a node may serve some queues only (Deps.Queues), whose
// jobs alone it reads and keeps, and cap a queue (Deps.QueueLimits): it
// counts the queue's claims and attempts and passes the queue over at its
// cap. A capped queue's jobs have windows of their own, so that they
// cannot fill the window the other queues' jobs need while they wait.
//
// State: the windows, the slots (idle, reserved for a claim, busy), the
// claims in flight. On NodeStarted (at start, and after a restart) it asks
// every slot to announce itself, and refills as slots come.
type dispatcher struct {
	deps *Deps
	log  zerolog.Logger

	windows map[windowKey]*readyWindow

	// Named queues: served is nil when the node serves every queue;
	// limits caps the jobs of a queue claimed or running at once, and
	// inQueue counts them.
	served  map[string]bool
	onlyQ   []string // served, as a list (nil: every queue)
	limited []string // the queues with a limit, sorted
	limits  map[string]int
	inQueue map[string]int
	claimQ  map[persistence.JobID]string // the queue of each claim in flight

	local     []string        // the tasks of the node's own workers, sorted
	localSet  map[string]bool // the same, as a set
	remoteFns map[string]int  // slots of worker nodes per task

	slots    map[string]*slot                           // by PID id
	gone     map[string]bool                            // slots that left: a late WorkerIdle must not bring them back
	idle     []*slot                                    // idle the longest first
	claiming map[persistence.JobID]*slot                // claims in flight
	busy     map[string]persistence.ExecutionID         // slot -> the attempt it runs
	attempts map[persistence.ExecutionID]runningAttempt // the same, by attempt

	claimed    int // successful claims, for MaxJobs
	draining   bool
	drainWait  []*actor.PID
	doneSent   bool
	warnedFunc map[string]bool
}

// runningAttempt is an attempt a slot runs.
type runningAttempt struct {
	slot  *slot
	job   persistence.JobID
	queue string
}

// windowKey names a ready window: a task's jobs of the queues without a
// limit (queue ""), or of one queue with a limit, which gets windows of
// its own so that its jobs, waiting for a free place, cannot fill a window
// and keep other queues' jobs out.
type windowKey struct {
	fn, queue string
}

// slot is one worker the dispatcher can give a job: a worker actor of this
// node, or a slot of a remote worker node.
type slot struct {
	pid   *actor.PID
	node  string   // written as the claim's worker_id
	fns   []string // the tasks it runs
	idle  bool
	claim persistence.JobID // the job of its claim in flight, if any
	gone  bool              // its worker node left; never given a job again
}

func newDispatcherProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return newDispatcher(d) })
}

func newDispatcher(d *Deps) *dispatcher {
	var fns []string
	if d.Workers > 0 {
		fns = d.handlerNames()
	}
	var served map[string]bool
	if d.Queues != nil {
		served = map[string]bool{}
		for _, q := range d.Queues {
			served[q] = true
		}
	}
	var limited []string
	for q, n := range d.QueueLimits {
		if n > 0 && (served == nil || served[q]) {
			limited = append(limited, q)
		}
	}
	sort.Strings(limited)
	localSet := map[string]bool{}
	windows := map[windowKey]*readyWindow{}
	for _, f := range fns {
		localSet[f] = true
		// Unfilled: overflow until the first refill.
		windows[windowKey{f, ""}] = newReadyWindow(d.WindowSize)
		for _, q := range limited {
			windows[windowKey{f, q}] = newReadyWindow(d.WindowSize)
		}
	}
	return &dispatcher{
		deps:       d,
		log:        d.Logger.With().Str("actor", "dispatcher").Logger(),
		windows:    windows,
		served:     served,
		onlyQ:      slices.Clone(d.Queues),
		limited:    limited,
		limits:     d.QueueLimits,
		inQueue:    map[string]int{},
		claimQ:     map[persistence.JobID]string{},
		local:      fns,
		localSet:   localSet,
		remoteFns:  map[string]int{},
		slots:      map[string]*slot{},
		gone:       map[string]bool{},
		claiming:   map[persistence.JobID]*slot{},
		busy:       map[string]persistence.ExecutionID{},
		attempts:   map[persistence.ExecutionID]runningAttempt{},
		warnedFunc: map[string]bool{},
	}
}

func (d *dispatcher) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NodeStarted:
		for _, w := range d.deps.workers {
			ctx.Send(w, &messages.AnnounceIdle{})
		}
		if d.deps.gateway != nil {
			ctx.Send(d.deps.gateway, &messages.AnnounceIdle{})
		}
		d.dispatch(ctx)
	case *messages.JobsReady:
		for _, j := range msg.Jobs {
			d.push(j)
		}
		d.dispatch(ctx)
	case *messages.WorkerIdle:
		d.handleWorkerIdle(ctx, msg)
	case *messages.WorkersGone:
		d.handleWorkersGone(msg)
	case *messages.StopAttempts:
		for _, a := range msg.Attempts {
			d.stop(ctx, a.ExecutionID, "the job was cancelled")
		}
	case *messages.OtherWrites:
		d.checkAttempts(ctx)
	case *messages.ClaimJobsReply:
		d.handleClaimed(ctx, msg)
	case *messages.SyncReply:
		// The store committed everything the workers reported before
		// checkDone asked, and announced what its earlier batches made
		// ready (a job reclaimed at start arrives before this reply). If
		// that gave us work, the run goes on; else it is over.
		if len(d.claiming) > 0 || len(d.busy) > 0 || (d.claimed < d.deps.MaxJobs && d.readyInWindows()) {
			d.doneSent = false
			return
		}
		d.deps.OnDone()
	case *stopClaiming:
		d.draining = true
		ctx.Respond(&stopClaimingReply{})
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
	s := d.slots[w.Id]
	if s == nil {
		if d.gone[w.Id] {
			return
		}
		s = d.addSlot(w, msg.Slot)
	}
	// A slot announces itself when it starts and when asked (AnnounceIdle);
	// such a report can arrive after the slot was given a job. Only a
	// report about the attempt it runs frees it.
	if s.gone || s.claim != "" {
		return
	}
	if exec, ok := d.busy[w.Id]; ok && exec != msg.ExecutionID {
		return
	}
	d.endAttempt(d.busy[w.Id])
	delete(d.busy, w.Id)
	if !s.idle {
		s.idle = true
		d.idle = append(d.idle, s)
	}
	d.dispatch(ctx)
	d.checkDrained(ctx)
}

// addSlot records a slot the first time it announces itself: one of the
// node's workers, or (with info) a remote worker node's slot.
func (d *dispatcher) addSlot(pid *actor.PID, info *messages.Slot) *slot {
	s := &slot{pid: pid, node: d.deps.WorkerID, fns: d.local}
	if info != nil {
		s.node, s.fns = info.Node, info.Functions
		for _, f := range s.fns {
			d.remoteFns[f]++
			if d.remoteFns[f] == 1 && !d.localSet[f] {
				// The task had no runner: its jobs were left in the
				// database. Read them when a slot asks.
				for k, w := range d.windows {
					if k.fn == f {
						w.overflow = true
					}
				}
				delete(d.warnedFunc, f)
			}
		}
	}
	d.slots[pid.Id] = s
	return s
}

// handleWorkersGone takes slots out of the pool. A claim in flight for one
// of them is released when it commits (see handleClaimed).
func (d *dispatcher) handleWorkersGone(msg *messages.WorkersGone) {
	for _, id := range msg.Slots {
		d.gone[id] = true
		s := d.slots[id]
		if s == nil {
			continue
		}
		delete(d.slots, id)
		d.endAttempt(d.busy[id])
		delete(d.busy, id)
		s.gone = true
		if s.idle {
			s.idle = false
			d.idle = slices.DeleteFunc(d.idle, func(x *slot) bool { return x == s })
		}
		if s.node != d.deps.WorkerID {
			for _, f := range s.fns {
				if d.remoteFns[f]--; d.remoteFns[f] <= 0 {
					delete(d.remoteFns, f)
				}
			}
		}
	}
}

func (d *dispatcher) handleClaimed(ctx actor.Context, msg *messages.ClaimJobsReply) {
	for _, job := range msg.Claimed {
		s := d.claiming[job.ID]
		delete(d.claiming, job.ID)
		if s == nil {
			d.log.Error().Str("job_id", string(job.ID)).Msg("claimed job has no reserved worker")
			continue
		}
		s.claim = ""
		if s.gone {
			d.unclaim(job.ID)
			// Its worker node left while the claim was in flight: give
			// the job back, without using an attempt. (If the node's
			// attempts were reclaimed after this claim committed, this
			// report is stale and ignored.)
			ctx.Send(d.deps.store, &messages.FinishAttempt{Finish: persistence.Finish{JobID: job.ID, ExecutionID: job.ExecutionID,
				Outcome: persistence.OutcomeReleased, Error: fmt.Sprintf("worker node %s left before the job was sent to it", s.node)},
				Function: job.Function})
			continue
		}
		d.claimed++
		d.busy[s.pid.Id] = job.ExecutionID
		d.attempts[job.ExecutionID] = runningAttempt{slot: s, job: job.ID, queue: d.claimQ[job.ID]}
		delete(d.claimQ, job.ID)
		ctx.Send(s.pid, &messages.RunAttempt{Job: job})
	}
	for _, r := range msg.Refused {
		s := d.claiming[r.Claim.JobID]
		delete(d.claiming, r.Claim.JobID)
		d.unclaim(r.Claim.JobID)
		d.deps.unlessDamaged(d.log.Debug(), r.Err).Err(r.Err).Str("job_id", string(r.Claim.JobID)).Msg("claim refused")
		if s == nil {
			continue
		}
		s.claim = ""
		if !s.gone && !s.idle {
			s.idle = true
			d.idle = append(d.idle, s)
		}
	}
	d.dispatch(ctx)
	d.checkDrained(ctx)
}

// unclaim forgets a claim that did not become an attempt: its queue has
// one job fewer.
func (d *dispatcher) unclaim(id persistence.JobID) {
	if q, ok := d.claimQ[id]; ok {
		d.inQueue[q]--
		delete(d.claimQ, id)
	}
}

// endAttempt forgets an attempt that ended: its queue has one job fewer.
func (d *dispatcher) endAttempt(exec persistence.ExecutionID) {
	if a, ok := d.attempts[exec]; ok {
		d.inQueue[a.queue]--
		delete(d.attempts, exec)
	}
}

// stop tells the slot that runs the attempt to stop it.
func (d *dispatcher) stop(ctx actor.Context, exec persistence.ExecutionID, reason string) {
	if a, ok := d.attempts[exec]; ok && !a.slot.gone {
		ctx.Send(a.slot.pid, &messages.StopAttempt{ExecutionID: exec, Reason: reason})
	}
}

// checkAttempts stops the attempts whose jobs another process changed: a
// cancel from another process (gigq cancel), or a node that took this one
// for lost and reclaimed them.
func (d *dispatcher) checkAttempts(ctx actor.Context) {
	if len(d.attempts) == 0 {
		return
	}
	ids := make([]persistence.JobID, 0, len(d.attempts))
	for _, a := range d.attempts {
		ids = append(ids, a.job)
	}
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	states, err := d.deps.Reader.JobStates(c, ids)
	if err != nil {
		d.deps.unlessDamaged(d.log.Warn(), err).Err(err).Msg("check running jobs after another process's writes")
		return
	}
	for exec, a := range d.attempts {
		st, ok := states[a.job]
		switch {
		case ok && st.Status == persistence.StatusRunning && st.ExecutionID == exec:
		case ok && st.Status == persistence.StatusCancelled:
			d.stop(ctx, exec, "the job was cancelled")
		default:
			d.stop(ctx, exec, "the job no longer runs here")
		}
	}
}

// limitReached reports whether MaxJobs claims are made or in flight.
func (d *dispatcher) limitReached() bool {
	return d.deps.MaxJobs > 0 && d.claimed+len(d.claiming) >= d.deps.MaxJobs
}

// dispatch claims the best ready job each idle slot can run, in one
// message. The slots idle the longest go first, so jobs spread over the
// slots (and the worker nodes) rather than going to the one just freed; a
// slot with nothing it can run stays idle.
func (d *dispatcher) dispatch(ctx actor.Context) {
	if d.draining || d.deps.halted() != nil {
		return
	}
	var claims []persistence.Claim
	waiting := d.idle[:0] // the slots left idle, in order (filtered in place)
	for _, s := range d.idle {
		var w *readyWindow
		if !d.limitReached() {
			w = d.best(s.fns)
		}
		if w == nil {
			waiting = append(waiting, s)
			continue
		}
		j := w.pop()
		d.claimQ[j.ID] = j.Queue
		d.inQueue[j.Queue]++
		s.idle = false
		exec := persistence.ExecutionID(uuid.Must(uuid.NewV7()).String())
		claims = append(claims, persistence.Claim{JobID: j.ID, ExecutionID: exec, WorkerID: s.node})
		d.claiming[j.ID] = s
		s.claim = j.ID
	}
	clear(d.idle[len(waiting):])
	d.idle = waiting
	if len(claims) > 0 {
		ctx.Request(d.deps.store, &messages.ClaimJobs{Claims: claims})
	}
	d.checkDone(ctx)
}

// best is the window, among the tasks fns, whose best job goes first; nil
// when none holds a job. A queue at its limit is passed over. Windows
// running low are refilled first.
func (d *dispatcher) best(fns []string) *readyWindow {
	var best *readyWindow
	consider := func(k windowKey) {
		w := d.windows[k]
		if w == nil {
			w = newReadyWindow(d.deps.WindowSize)
			d.windows[k] = w
		}
		if w.overflow && w.Len() < d.lowWater() {
			d.refill(k, w)
		}
		if w.Len() > 0 && (best == nil || w.peek().Less(best.peek())) {
			best = w
		}
	}
	for _, f := range fns {
		consider(windowKey{f, ""})
		for _, q := range d.limited {
			if d.inQueue[q] < d.limits[q] {
				consider(windowKey{f, q})
			}
		}
	}
	return best
}

// serves reports whether the node runs jobs of the queue.
func (d *dispatcher) serves(queue string) bool { return d.served == nil || d.served[queue] }

// windowOf is the key of a ready job's window.
func (d *dispatcher) windowOf(j persistence.ReadyJob) windowKey {
	if d.limits[j.Queue] > 0 {
		return windowKey{j.Function, j.Queue}
	}
	return windowKey{j.Function, ""}
}

func (d *dispatcher) lowWater() int { return max(1, d.deps.WindowSize/2) }

// runs reports whether some slot can run the task.
func (d *dispatcher) runs(function string) bool {
	return d.localSet[function] || d.remoteFns[function] > 0
}

// push adds a ready job to its task's window; a job no slot can run is left
// in the database (a refill reads it when a slot that can comes).
func (d *dispatcher) push(j persistence.ReadyJob) {
	if _, ok := d.claiming[j.ID]; ok {
		return
	}
	if !d.runs(j.Function) {
		if !d.warnedFunc[j.Function] {
			d.warnedFunc[j.Function] = true
			d.log.Warn().Str("task", j.Function).Strs("known", d.known()).
				Msg("handler is not registered on this node or on a worker node joined to it; its jobs stay pending")
		}
		return
	}
	if !d.serves(j.Queue) {
		return // another node's queue
	}
	k := d.windowOf(j)
	w := d.windows[k]
	if w == nil {
		w = newReadyWindow(d.deps.WindowSize)
		d.windows[k] = w
	}
	w.push(j)
}

// known lists the tasks some slot runs, sorted.
func (d *dispatcher) known() []string {
	out := slices.Clone(d.local)
	for f := range d.remoteFns {
		if !d.localSet[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// readyInWindows reports whether a window of a task some slot runs holds a
// job, or may have more in the database.
func (d *dispatcher) readyInWindows() bool {
	for k, w := range d.windows {
		if d.runs(k.fn) && (w.Len() > 0 || w.overflow) {
			return true
		}
	}
	return false
}

// refill reads the best ready jobs of a window (a task, and the queues
// the window holds) from the ready index.
func (d *dispatcher) refill(k windowKey, w *readyWindow) {
	limit := d.deps.WindowSize + len(d.claiming)
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := persistence.QueueFilter{Only: d.onlyQ, Not: d.limited}
	if k.queue != "" {
		q = persistence.QueueFilter{Only: []string{k.queue}}
	}
	jobs, err := d.deps.Reader.ReadyJobsIn(c, limit, []string{k.fn}, q)
	if err != nil {
		// Keep overflow set: the next dispatch tries again.
		d.deps.unlessDamaged(d.log.Error(), err).Err(err).Str("task", k.fn).Str("queue", k.queue).Msg("refill ready window")
		return
	}
	w.overflow = len(jobs) >= limit
	for _, j := range jobs {
		if _, ok := d.claiming[j.ID]; !ok {
			w.push(j)
		}
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
	if d.claimed >= d.deps.MaxJobs || !d.readyInWindows() {
		d.doneSent = true
		ctx.Request(d.deps.store, &messages.Sync{})
	}
}
