package actors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// agent is a worker node's side of the link to its primary, on a machine
// without the database. It joins the primary's gateway (Hello, Challenge,
// Join, Welcome), beats, runs the attempts the primary sends (RunJob), each
// on its own goroutine with the job's timeout as a local worker does, and
// reports how each ended (Report), keeping a report until the primary
// acknowledges it.
//
// When it loses the primary (the connection closed, or no answer for the
// timeout) it keeps its attempts running and joins again with backoff,
// naming the attempts it still has (running or unreported) so the primary
// keeps exactly those; after the grace period without a primary it cancels
// the attempts it can no longer report and forgets their reports (the
// primary, or any node on its file, will have reclaimed them).
//
// State: the join (phase, attempt, session, the primary's PIDs), the
// attempts it runs, the reports not yet acknowledged.
type agent struct {
	cfg *AgentConfig
	log zerolog.Logger

	phase    agentPhase
	attempt  uint64 // the join attempt replies must match
	gateway  *actor.PID
	node     *actor.PID // the primary's remoteNode for this worker node
	session  string
	primary  string
	beat     time.Duration
	timeout  time.Duration
	lastAck  time.Time
	lostAt   time.Time // when it lost (or never had) the primary
	backoff  time.Duration
	refusal  error
	leaving  bool
	left     bool // the primary answered Leave
	drainers []*actor.PID

	running  map[persistence.ExecutionID]*attempt
	released map[persistence.ExecutionID]string // attempts the primary cancelled to release them, with why
	unacked  map[persistence.ExecutionID]*messages.Report
	tick     *time.Timer
	joinWait *time.Timer
}

type agentPhase int

const (
	phaseJoining agentPhase = iota
	phaseJoined
	phaseRefused
)

// Messages the agent sends itself or gets from its owner.
type (
	agentTick   struct{}
	joinTimeout struct{ attempt uint64 }
	joinNow     struct{ attempt uint64 }
	// agentDrain (a request) stops taking jobs and asks the primary to
	// stop sending them; the reply, *messages.Drained, comes once no
	// attempt runs and every report was acknowledged (or cannot be).
	agentDrain struct{}
	// agentStatusRequest (a request) is answered with AgentStatus.
	agentStatusRequest struct{}
)

// AgentStatus describes a worker node's link to its primary.
type AgentStatus struct {
	Joined  bool
	Primary string // the primary's node id, once joined
	Running int    // attempts running now
	Refused error  // set when the primary refused it for good
}

// Join timing: a join attempt waits joinReplyTimeout for an answer, and
// failed attempts back off from minJoinBackoff to maxJoinBackoff.
const (
	joinReplyTimeout = 3 * time.Second
	minJoinBackoff   = 200 * time.Millisecond
	maxJoinBackoff   = 5 * time.Second
)

func newAgentProps(cfg *AgentConfig) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &agent{cfg: cfg, log: cfg.Logger.With().Str("actor", "agent").Logger(),
			running: map[persistence.ExecutionID]*attempt{}, unacked: map[persistence.ExecutionID]*messages.Report{},
			released: map[persistence.ExecutionID]string{}}
	})
}

func (a *agent) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.gateway = actor.NewPID(a.cfg.Join, supervisorName+"/"+gatewayName)
		a.lostAt = a.cfg.Now()
		a.beat = a.cfg.Heartbeat
		a.hello(ctx)
		a.arm(ctx)
	case *joinNow:
		if a.phase == phaseJoining && msg.attempt == a.attempt {
			a.hello(ctx)
		}
	case *joinTimeout:
		if a.phase == phaseJoining && msg.attempt == a.attempt {
			a.log.Debug().Str("primary", a.cfg.Join).Msg("no answer to join; trying again")
			a.retryJoin(ctx)
		}
	case *messages.Challenge:
		a.handleChallenge(ctx, msg)
	case *messages.Welcome:
		a.handleWelcome(ctx, msg)
	case *messages.Refused:
		a.handleRefused(ctx, msg)
	case *messages.RunJob:
		a.handleRunJob(ctx, msg)
	case *messages.CancelAttempt:
		if a.phase == phaseJoined && msg.Session == a.session {
			if at := a.running[persistence.ExecutionID(msg.ExecutionId)]; at != nil {
				if msg.Release {
					// The attempt reports itself released once its
					// handler returns.
					a.released[at.job.ExecutionID] = msg.Reason
					at.cancel()
					break
				}
				// The primary already ended it (the job was cancelled):
				// stop the handler and free the slot; what it returns is
				// ignored.
				at.stop()
				delete(a.running, at.job.ExecutionID)
				a.log.Info().Str("job_id", string(at.job.ID)).Str("reason", msg.Reason).Msg("attempt stopped")
				a.checkDrained(ctx)
			}
		}
	case *attemptDone:
		a.handleDone(ctx, msg)
	case *messages.Progress:
		// From a handler of this worker node (local): pass it on while
		// joined; progress is not kept across a lost primary.
		if a.phase == phaseJoined && a.running[persistence.ExecutionID(msg.ExecutionId)] != nil {
			msg.Session = a.session
			ctx.Send(a.node, msg)
		}
	case *attemptDeadline:
		a.handleDeadline(ctx, msg)
	case *messages.ReportAck:
		delete(a.unacked, persistence.ExecutionID(msg.ExecutionId))
		a.checkDrained(ctx)
	case *messages.HeartbeatAck:
		a.lastAck = a.cfg.Now()
	case *agentTick:
		a.handleTick(ctx)
		a.arm(ctx)
	case *actor.Terminated:
		if a.node != nil && msg.Who.Equal(a.node) && !a.left {
			a.lose(ctx, "connection to the primary closed")
		}
	case *actor.DeadLetterResponse:
		// A heartbeat or a report reached no actor: the primary no longer
		// knows this session (it took the node for lost, or restarted).
		if a.node != nil && msg.Target.Equal(a.node) && !a.left {
			a.lose(ctx, "the primary ended this worker node's session")
		}
	case *agentDrain:
		a.leaving = true
		a.drainers = append(a.drainers, ctx.Sender())
		if a.phase == phaseJoined {
			ctx.Request(a.node, &messages.Leave{Session: a.session, Reason: "worker node shutting down"})
		}
		a.checkDrained(ctx)
	case *messages.Left:
		a.left = true
		a.checkDrained(ctx)
	case *agentStatusRequest:
		ctx.Respond(&AgentStatus{Joined: a.phase == phaseJoined, Primary: a.primary, Running: len(a.running), Refused: a.refusal})
	case *actor.Stopping:
		for _, at := range a.running {
			at.stop()
		}
		for _, t := range []*time.Timer{a.tick, a.joinWait} {
			if t != nil {
				t.Stop()
			}
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		a.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

// hello starts a join attempt.
func (a *agent) hello(ctx actor.Context) {
	a.attempt++
	protocol := a.cfg.Protocol
	if protocol == 0 {
		protocol = messages.RemoteProtocol
	}
	ctx.Request(a.gateway, &messages.Hello{Protocol: protocol, NodeId: a.cfg.NodeID, Attempt: a.attempt, Version: a.cfg.Version})
	a.after(ctx, &a.joinWait, joinReplyTimeout, &joinTimeout{attempt: a.attempt})
}

// retryJoin schedules the next join attempt after a growing, jittered
// backoff.
func (a *agent) retryJoin(ctx actor.Context) {
	a.backoff = min(max(a.backoff*2, minJoinBackoff), maxJoinBackoff)
	delay := a.backoff/2 + rand.N(a.backoff/2+1)
	a.after(ctx, &a.joinWait, delay, &joinNow{attempt: a.attempt})
}

func (a *agent) after(ctx actor.Context, t **time.Timer, d time.Duration, msg any) {
	if *t != nil {
		(*t).Stop()
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	*t = time.AfterFunc(d, func() { root.Send(self, msg) })
}

func (a *agent) handleChallenge(ctx actor.Context, msg *messages.Challenge) {
	if a.phase != phaseJoining || msg.Attempt != a.attempt {
		return
	}
	j := &messages.Join{Attempt: a.attempt, NodeId: a.cfg.NodeID, Nonce: msg.Nonce, Host: a.cfg.Host, Pid: int32(a.cfg.PID),
		Concurrency: int32(a.cfg.Concurrency), Handlers: a.cfg.handlerNames(), Agent: ref(ctx.Self()),
		StartedAtUnixMs: a.cfg.startedAt.UnixMilli()}
	if len(a.cfg.Secret) > 0 {
		j.Proof = JoinProof(a.cfg.Secret, a.cfg.NodeID, msg.Nonce)
	}
	for exec := range a.running {
		j.InFlight = append(j.InFlight, string(exec))
	}
	for exec := range a.unacked {
		j.InFlight = append(j.InFlight, string(exec))
	}
	ctx.Request(a.gateway, j)
	a.after(ctx, &a.joinWait, joinReplyTimeout, &joinTimeout{attempt: a.attempt})
}

func (a *agent) handleWelcome(ctx actor.Context, msg *messages.Welcome) {
	node := pidOf(msg.Node)
	if a.phase != phaseJoining || msg.Attempt != a.attempt || node == nil {
		return
	}
	if a.joinWait != nil {
		a.joinWait.Stop()
	}
	a.phase, a.session, a.node, a.primary = phaseJoined, msg.Session, node, msg.PrimaryId
	a.beat = max(time.Duration(msg.HeartbeatMs)*time.Millisecond, 10*time.Millisecond)
	a.timeout = max(time.Duration(msg.TimeoutMs)*time.Millisecond, 2*a.beat)
	a.lastAck, a.backoff = a.cfg.Now(), 0
	ctx.Watch(a.node)
	a.log.Info().Str("primary", a.primary).Str("address", a.cfg.Join).Int("in_flight", len(a.running)+len(a.unacked)).Msg("joined primary")
	for _, r := range a.unacked {
		r.Session = a.session
		ctx.Request(a.node, r)
	}
	if a.leaving {
		ctx.Request(a.node, &messages.Leave{Session: a.session, Reason: "worker node shutting down"})
	}
	a.arm(ctx)
	if a.cfg.OnJoined != nil {
		a.cfg.OnJoined(a.primary)
	}
}

func (a *agent) handleRefused(ctx actor.Context, msg *messages.Refused) {
	if a.phase != phaseJoining || msg.Attempt != a.attempt {
		return
	}
	if msg.Retry {
		a.log.Warn().Str("reason", msg.Reason).Msg("primary refused the join for now; trying again")
		a.retryJoin(ctx)
		return
	}
	if a.joinWait != nil {
		a.joinWait.Stop()
	}
	a.phase = phaseRefused
	a.refusal = fmt.Errorf("%w: %s", ErrJoinRefused, msg.Reason)
	a.log.Error().Str("reason", msg.Reason).Msg("primary refused this worker node")
	a.checkDrained(ctx)
	if a.cfg.OnRefused != nil {
		a.cfg.OnRefused(a.refusal)
	}
}

// ErrJoinRefused is the error of a worker node its primary refused for good
// (a wrong secret, another protocol).
var ErrJoinRefused = errors.New("primary refused the worker node")

func (a *agent) handleRunJob(ctx actor.Context, msg *messages.RunJob) {
	if a.phase != phaseJoined || msg.Session != a.session || msg.Job == nil {
		a.log.Warn().Msg("job from an unknown session dropped")
		return
	}
	job := msg.Job.Job()
	if _, dup := a.running[job.ExecutionID]; dup {
		return
	}
	release := func(why string) {
		a.report(ctx, &messages.Report{ExecutionId: string(job.ExecutionID), JobId: string(job.ID), Outcome: messages.Outcome_OUTCOME_RELEASED, Error: why})
	}
	if a.leaving {
		release(fmt.Sprintf("worker node %s is shutting down (attempt not counted)", a.cfg.NodeID))
		return
	}
	if len(a.running) >= a.cfg.Concurrency {
		release(fmt.Sprintf("worker node %s has no free slot (attempt not counted)", a.cfg.NodeID))
		return
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	hctx, cancel := context.WithCancel(a.cfg.BaseContext)
	if job.Timeout > 0 {
		hctx, cancel = context.WithTimeout(a.cfg.BaseContext, job.Timeout)
	}
	at := &attempt{job: job, cancel: cancel, started: time.Now()}
	a.running[job.ExecutionID] = at
	if job.Timeout > 0 {
		at.timer = time.AfterFunc(job.Timeout, func() { root.Send(self, &attemptDeadline{exec: job.ExecutionID}) })
	}
	h, ok := a.cfg.Handlers[job.Function]
	if !ok {
		root.Send(self, &attemptDone{exec: job.ExecutionID, err: fmt.Errorf("handler %q is not registered on worker node %s", job.Function, a.cfg.NodeID)})
		return
	}
	hctx, stopProgress := withProgress(hctx, func(fraction float64, message string) {
		root.Send(self, &messages.Progress{ExecutionId: string(job.ExecutionID), JobId: string(job.ID), Fraction: fraction, Message: message})
	})
	go func() {
		defer stopProgress()
		res, panicked, err := runHandler(hctx, h, job)
		root.Send(self, &attemptDone{exec: job.ExecutionID, result: res, err: err, panicked: panicked,
			timedOut: errors.Is(hctx.Err(), context.DeadlineExceeded)})
	}()
}

func (a *agent) handleDone(ctx actor.Context, msg *attemptDone) {
	at := a.running[msg.exec]
	if at == nil {
		return // abandoned at its deadline, or cancelled after the grace period
	}
	at.stop()
	delete(a.running, msg.exec)
	if msg.panicked != "" {
		a.log.Warn().Str("job_id", string(at.job.ID)).Str("err", msg.panicked).Msg("handler panicked")
	}
	f := finishAttempt(at.job, msg, a.cfg.BaseContext.Err() != nil, a.cfg.NodeID)
	if why, ok := a.released[msg.exec]; ok {
		delete(a.released, msg.exec)
		if msg.err != nil && msg.panicked == "" {
			f.Outcome, f.Error = persistence.OutcomeReleased, fmt.Sprintf("interrupted: %s (attempt not counted): %v", why, msg.err)
		}
	}
	a.report(ctx, &messages.Report{ExecutionId: string(f.ExecutionID), JobId: string(f.JobID), Outcome: messages.ToOutcome(f.Outcome),
		Result: f.Result, Error: f.Error, ElapsedUs: time.Since(at.started).Microseconds(), SnoozeUs: f.Snooze.Microseconds()})
}

func (a *agent) handleDeadline(ctx actor.Context, msg *attemptDeadline) {
	at := a.running[msg.exec]
	if at == nil {
		return
	}
	at.cancel()
	delete(a.running, msg.exec)
	delete(a.released, msg.exec)
	a.log.Warn().Str("job_id", string(at.job.ID)).Str("task", at.job.Function).Msg("attempt timed out; abandoning its handler")
	a.report(ctx, &messages.Report{ExecutionId: string(at.job.ExecutionID), JobId: string(at.job.ID), Outcome: messages.Outcome_OUTCOME_TIMEOUT,
		Error: timeoutText(at.job.Timeout), ElapsedUs: time.Since(at.started).Microseconds()})
}

// report sends an attempt's end to the primary, and keeps it until the
// primary acknowledges it.
func (a *agent) report(ctx actor.Context, r *messages.Report) {
	a.unacked[persistence.ExecutionID(r.ExecutionId)] = r
	if a.phase == phaseJoined {
		r.Session = a.session
		ctx.Request(a.node, r)
	}
	a.checkDrained(ctx)
}

func (a *agent) arm(ctx actor.Context) {
	a.after(ctx, &a.tick, a.beat, &agentTick{})
}

func (a *agent) handleTick(ctx actor.Context) {
	now := a.cfg.Now()
	switch a.phase {
	case phaseJoined:
		if silent := now.Sub(a.lastAck); silent > a.timeout {
			a.lose(ctx, fmt.Sprintf("no answer from the primary for %s", silent.Round(time.Millisecond)))
			return
		}
		ctx.Request(a.node, &messages.Heartbeat{Session: a.session})
	case phaseJoining:
		if a.cfg.Grace > 0 && now.Sub(a.lostAt) > a.cfg.Grace && (len(a.running) > 0 || len(a.unacked) > 0) {
			a.log.Warn().Int("running", len(a.running)).Int("unreported", len(a.unacked)).Dur("grace", a.cfg.Grace).
				Msg("primary gone past the grace period; cancelling the attempts it can no longer hear about")
			for exec, at := range a.running {
				at.stop()
				delete(a.running, exec)
			}
			clear(a.unacked)
			clear(a.released)
			a.checkDrained(ctx)
		}
	}
}

// lose drops the link to the primary and starts joining again.
func (a *agent) lose(ctx actor.Context, reason string) {
	if a.phase != phaseJoined {
		return
	}
	a.log.Warn().Str("reason", reason).Int("running", len(a.running)).Msg("lost the primary; joining again")
	ctx.Unwatch(a.node)
	a.phase, a.node, a.session = phaseJoining, nil, ""
	a.lostAt = a.cfg.Now()
	a.retryJoin(ctx)
	a.checkDrained(ctx)
}

func (a *agent) checkDrained(ctx actor.Context) {
	// Joined, it waits for the primary to let it go (every report is in);
	// without a primary, for its attempts to end.
	if !a.leaving || len(a.running) > 0 || (a.phase == phaseJoined && (len(a.unacked) > 0 || !a.left)) {
		return
	}
	for _, d := range a.drainers {
		if d != nil {
			ctx.Send(d, &messages.Drained{})
		}
	}
	a.drainers = nil
}
