package actors

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// remoteNode is the primary's side of one admitted worker node: its
// session. It writes the node's row (through the store actor), spawns one
// remoteSlot per job the node runs at once (the dispatcher sees those as
// workers), carries RunJob to the node and routes its Reports back.
//
// It takes the node for lost when protoactor reports the node's agent
// terminated (the connection dropped) or when no heartbeat came for the
// timeout (a silent partition): the slots leave the dispatcher's pool and
// the store fails the node's running attempts with "node <id> lost" (they
// are retried while attempts remain). A Leave takes the slots out the same
// way, waits for the running attempts to report, then deletes the row.
//
// Every message from the node must carry the session token of this
// remoteNode; anything else is dropped. Reports are fenced by execution id
// in the store, so a late report about a reclaimed attempt changes nothing.
//
// State: the join, the session, the slots, the attempts sent and not yet
// reported (by execution id), the last heartbeat.
type remoteNode struct {
	deps  *Deps
	log   zerolog.Logger
	join  *messages.Join
	agent *actor.PID // the worker node's agent
	info  persistence.Node

	session   string
	welcomed  bool
	slotInfo  *messages.Slot
	slots     []*actor.PID
	running   map[persistence.ExecutionID]*actor.PID // attempt -> its slot
	adopted   map[persistence.ExecutionID]bool       // attempts it ran before this session
	lastBeat  time.Time
	lastTouch time.Time
	tick      *time.Timer
	leaving   bool
	leaveAsk  *actor.PID // the agent that asked to leave, answered with Left
	ended     bool
}

// sessionReplaced is sent by the gateway to a remoteNode whose worker node
// joined again: stop, without failing the node's attempts (the new
// session's JoinNode settles them).
type sessionReplaced struct{}

// releaseAttempts is sent by the gateway to every remoteNode when the
// primary shuts down past its grace: cancel the attempts running on the
// worker node, which report them released (back to pending, the attempt
// not counted).
type releaseAttempts struct {
	reason string
}

// remoteTick is the remoteNode's timer: check the heartbeat, refresh the
// node's row.
type remoteTick struct{}

// sendRun is sent by a remoteSlot to its remoteNode: send this attempt to
// the worker node.
type sendRun struct {
	job *persistence.Job
}

// slotReport is sent by a remoteNode to the slot that runs the attempt.
type slotReport struct {
	report *messages.Report
}

func newRemoteNodeProps(d *Deps, join *messages.Join) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		n := &remoteNode{deps: d, join: join, agent: pidOf(join.Agent), running: map[persistence.ExecutionID]*actor.PID{}, adopted: map[persistence.ExecutionID]bool{},
			log: d.Logger.With().Str("actor", "remote-node").Str("node", join.NodeId).Logger()}
		n.info = persistence.Node{ID: join.NodeId, Host: join.Host, PID: int(join.Pid), Handlers: join.Handlers,
			Concurrency: int(join.Concurrency), Primary: d.WorkerID, StartedAt: time.UnixMilli(join.StartedAtUnixMs)}
		n.slotInfo = &messages.Slot{Node: join.NodeId, Functions: join.Handlers}
		return n
	})
}

func (n *remoteNode) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		tok := make([]byte, 16)
		_, _ = rand.Read(tok)
		n.session = hex.EncodeToString(tok)
		n.lastBeat = n.deps.Now()
		ctx.Watch(n.agent)
		keep := make([]persistence.ExecutionID, 0, len(n.join.InFlight))
		for _, e := range n.join.InFlight {
			keep = append(keep, persistence.ExecutionID(e))
		}
		n.info.LastSeen = n.deps.Now()
		ctx.Request(n.deps.store, &messages.JoinNode{Node: n.info, Keep: keep})
		n.arm(ctx)
	case *messages.JoinNodeReply:
		n.handleJoined(ctx, msg)
	case *messages.Heartbeat:
		if n.authentic(msg.Session) {
			n.lastBeat = n.deps.Now()
			ctx.Respond(&messages.HeartbeatAck{})
		}
	case *messages.Report:
		if n.authentic(msg.Session) {
			n.handleReport(ctx, msg)
		}
	case *messages.Progress:
		if n.authentic(msg.Session) {
			ctx.Send(n.deps.store, &messages.ReportProgress{JobID: persistence.JobID(msg.JobId),
				ExecutionID: persistence.ExecutionID(msg.ExecutionId), Fraction: msg.Fraction, Message: msg.Message})
		}
	case *messages.Leave:
		if n.authentic(msg.Session) {
			n.log.Info().Str("reason", msg.Reason).Msg("worker node leaving")
			n.leaving = true
			n.leaveAsk = ctx.Sender()
			n.dropSlots(ctx)
			n.maybeLeft(ctx)
		}
	case *sendRun:
		n.handleSendRun(ctx, msg)
	case *attemptAbandoned:
		delete(n.running, msg.exec)
	case *stopRemote:
		delete(n.running, msg.exec)
		if n.welcomed && !n.ended {
			ctx.Send(n.agent, &messages.CancelAttempt{Session: n.session, ExecutionId: string(msg.exec), Reason: msg.reason})
		}
	case *remoteTick:
		n.handleTick(ctx)
	case *messages.AnnounceIdle:
		for _, s := range n.slots {
			ctx.Send(s, msg)
		}
	case *releaseAttempts:
		if n.welcomed && !n.ended {
			for exec := range n.running {
				ctx.Send(n.agent, &messages.CancelAttempt{Session: n.session, ExecutionId: string(exec), Reason: msg.reason, Release: true})
			}
			for exec := range n.adopted {
				ctx.Send(n.agent, &messages.CancelAttempt{Session: n.session, ExecutionId: string(exec), Reason: msg.reason, Release: true})
			}
		}
	case *sessionReplaced:
		n.ended = true // the new session settles the attempts
		n.dropSlots(ctx)
		ctx.Stop(ctx.Self())
	case *actor.Terminated:
		if msg.Who.Equal(n.agent) {
			n.lost(ctx, fmt.Sprintf("node %s lost (connection closed)", n.join.NodeId))
		}
	case *actor.Stopping:
		if n.tick != nil {
			n.tick.Stop()
		}
		n.dropSlots(ctx)
		if !n.ended {
			// The primary is shutting down: the node's attempts stay
			// running in the database. The worker node rejoins when the
			// primary is back, and reports them then.
			n.ended = true
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		n.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

// authentic reports whether a message from the worker node carries this
// session's token.
func (n *remoteNode) authentic(session string) bool {
	if n.welcomed && subtle.ConstantTimeCompare([]byte(session), []byte(n.session)) == 1 {
		return true
	}
	n.log.Warn().Msg("message with a wrong session token dropped")
	return false
}

func (n *remoteNode) handleJoined(ctx actor.Context, msg *messages.JoinNodeReply) {
	if msg.Err != nil {
		n.log.Error().Err(msg.Err).Msg("record worker node")
		refused := &messages.Refused{Attempt: n.join.Attempt, Protocol: messages.RemoteProtocol, Retry: true,
			Reason: fmt.Sprintf("the primary could not record the worker node: %v", msg.Err)}
		if errors.Is(msg.Err, persistence.ErrNodeIDTaken) {
			refused.Retry = false
			refused.Reason = fmt.Sprintf("worker node id %q is the id of a node that runs on the primary's database: give this worker node another id", n.join.NodeId)
		}
		ctx.Send(n.agent, refused)
		n.ended = true
		ctx.Stop(ctx.Self())
		return
	}
	if msg.Failed > 0 {
		n.log.Warn().Int("attempts", msg.Failed).Msg("attempts the worker node no longer has were failed")
	}
	n.welcomed = true
	n.lastBeat, n.lastTouch = n.deps.Now(), n.deps.Now()
	r := n.deps.Remote
	ctx.Send(n.agent, &messages.Welcome{Attempt: n.join.Attempt, Session: n.session, Node: ref(ctx.Self()),
		HeartbeatMs: r.Heartbeat.Milliseconds(), TimeoutMs: r.Timeout.Milliseconds(), PrimaryId: n.deps.WorkerID})
	for _, e := range n.join.InFlight {
		n.adopted[persistence.ExecutionID(e)] = true
	}
	free := int(n.join.Concurrency) - len(n.adopted)
	for range max(free, 0) {
		n.addSlot(ctx)
	}
}

func (n *remoteNode) addSlot(ctx actor.Context) {
	pid := ctx.Spawn(newRemoteSlotProps(n.deps, n.slotInfo, n.join.NodeId))
	n.slots = append(n.slots, pid)
}

func (n *remoteNode) handleSendRun(ctx actor.Context, msg *sendRun) {
	job := msg.job
	if n.leaving || n.ended {
		// The dispatcher sent it before the slot left the pool.
		n.deliver(ctx, &messages.Report{ExecutionId: string(job.ExecutionID), JobId: string(job.ID),
			Outcome: messages.Outcome_OUTCOME_RELEASED, Error: fmt.Sprintf("worker node %s left before the job was sent to it", n.join.NodeId)}, ctx.Sender())
		return
	}
	n.running[job.ExecutionID] = ctx.Sender()
	ctx.Send(n.agent, &messages.RunJob{Session: n.session, Job: messages.ToRemoteJob(job)})
}

func (n *remoteNode) handleReport(ctx actor.Context, msg *messages.Report) {
	exec := persistence.ExecutionID(msg.ExecutionId)
	slot := n.running[exec]
	delete(n.running, exec)
	n.deliver(ctx, msg, slot)
	ctx.Respond(&messages.ReportAck{ExecutionId: msg.ExecutionId})
	if n.adopted[exec] {
		delete(n.adopted, exec)
		if !n.leaving && !n.ended {
			n.addSlot(ctx) // the slot that attempt held is free now
		}
	}
	n.maybeLeft(ctx)
}

// deliver passes a report to the slot that sent the attempt, or, when no
// slot waits for it (an attempt from before this session, or the slots are
// gone), straight to the store, which fences it by execution id.
func (n *remoteNode) deliver(ctx actor.Context, r *messages.Report, slot *actor.PID) {
	if slot != nil && !n.leaving && !n.ended {
		ctx.Send(slot, &slotReport{report: r})
		return
	}
	f, ok := finishOf(r)
	if !ok {
		n.log.Warn().Str("execution_id", r.ExecutionId).Int32("outcome", int32(r.Outcome)).Msg("report with an unknown outcome dropped")
		return
	}
	ctx.Send(n.deps.store, &messages.FinishAttempt{Finish: f, Elapsed: time.Duration(r.ElapsedUs) * time.Microsecond})
}

// finishOf is the store's form of a worker node's report.
func finishOf(r *messages.Report) (persistence.Finish, bool) {
	o, ok := r.Outcome.Persistence()
	if !ok {
		return persistence.Finish{}, false
	}
	f := persistence.Finish{JobID: persistence.JobID(r.JobId), ExecutionID: persistence.ExecutionID(r.ExecutionId), Outcome: o, Error: r.Error}
	switch o {
	case persistence.OutcomeCompleted:
		f.Result = r.Result
	case persistence.OutcomeSnoozed:
		f.Snooze = time.Duration(r.SnoozeUs) * time.Microsecond
	}
	return f, true
}

func (n *remoteNode) arm(ctx actor.Context) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	n.tick = time.AfterFunc(n.deps.Remote.Heartbeat, func() { root.Send(self, &remoteTick{}) })
}

func (n *remoteNode) handleTick(ctx actor.Context) {
	if n.ended {
		return
	}
	now := n.deps.Now()
	if silent := now.Sub(n.lastBeat); silent > n.deps.Remote.Timeout {
		n.lost(ctx, fmt.Sprintf("node %s lost (no heartbeat for %s)", n.join.NodeId, silent.Round(time.Millisecond)))
		return
	}
	if n.welcomed && n.deps.HeartbeatInterval > 0 && now.Sub(n.lastTouch) >= n.deps.HeartbeatInterval {
		n.lastTouch = now
		info := n.info
		info.LastSeen = now
		ctx.Send(n.deps.store, &messages.TouchNode{Node: info})
	}
	n.arm(ctx)
}

// lost takes the worker node out: its slots leave the pool, and the store
// fails its running attempts with reason.
func (n *remoteNode) lost(ctx actor.Context, reason string) {
	if n.ended {
		return
	}
	n.log.Warn().Str("reason", reason).Int("running", len(n.running)+len(n.adopted)).Msg("worker node lost; requeueing its jobs")
	n.dropSlots(ctx)
	n.ended = true
	ctx.Send(n.deps.store, &messages.NodeGone{ID: n.join.NodeId, Reason: reason})
	ctx.Stop(ctx.Self())
}

// maybeLeft ends a leaving node's session once its attempts reported.
func (n *remoteNode) maybeLeft(ctx actor.Context) {
	if !n.leaving || n.ended || len(n.running) > 0 || len(n.adopted) > 0 {
		return
	}
	n.ended = true
	ctx.Send(n.deps.store, &messages.NodeGone{ID: n.join.NodeId, Reason: fmt.Sprintf("node %s left", n.join.NodeId)})
	if n.leaveAsk != nil {
		ctx.Send(n.leaveAsk, &messages.Left{})
	}
	n.log.Info().Msg("worker node left")
	ctx.Stop(ctx.Self())
}

// dropSlots takes the node's slots out of the dispatcher's pool and stops
// them. Attempts they ran report through this actor straight to the store.
func (n *remoteNode) dropSlots(ctx actor.Context) {
	if len(n.slots) == 0 {
		return
	}
	if n.deps.dispatcher != nil {
		gone := make([]string, len(n.slots))
		for i, s := range n.slots {
			gone[i] = s.Id
		}
		ctx.Send(n.deps.dispatcher, &messages.WorkersGone{Slots: gone})
	}
	for _, s := range n.slots {
		ctx.Stop(s)
	}
	n.slots = nil
	for exec := range n.running {
		n.running[exec] = nil
	}
}
