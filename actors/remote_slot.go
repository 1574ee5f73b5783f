package actors

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// remoteSlot stands for one job a remote worker node runs at once: to the
// dispatcher it is a worker like the node's own (WorkerIdle, RunAttempt),
// announced with the tasks its worker node has. It passes each attempt to
// its remoteNode, which sends it across, and reports the outcome to the
// store and itself idle to the dispatcher, as a worker does.
//
// The worker node enforces the job's timeout and reports it. As a backstop
// for a report that never comes from a node that still beats, the slot
// times the attempt out itself after the job's timeout plus the heartbeat
// timeout.
//
// State: the attempt it runs.
type remoteSlot struct {
	deps    *Deps
	log     zerolog.Logger
	info    *messages.Slot
	current *persistence.Job
	started time.Time
	timer   *time.Timer
}

// slotDeadline is a remoteSlot's backstop timer.
type slotDeadline struct {
	exec persistence.ExecutionID
}

// stopRemote is sent by a remoteSlot to its remoteNode: have the worker
// node stop the attempt (its job was cancelled).
type stopRemote struct {
	exec   persistence.ExecutionID
	reason string
}

// attemptAbandoned is sent by a remoteSlot to its remoteNode when it gave
// up waiting for an attempt's report.
type attemptAbandoned struct {
	exec persistence.ExecutionID
}

func newRemoteSlotProps(d *Deps, info *messages.Slot, node string) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &remoteSlot{deps: d, info: info, log: d.Logger.With().Str("actor", "remote-slot").Str("node", node).Logger()}
	})
}

func (s *remoteSlot) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(s.deps.dispatcher, &messages.WorkerIdle{Slot: s.info})
	case *messages.AnnounceIdle:
		if s.current == nil {
			ctx.Request(s.deps.dispatcher, &messages.WorkerIdle{Slot: s.info})
		}
	case *messages.RunAttempt:
		if s.current != nil {
			s.log.Error().Str("job_id", string(msg.Job.ID)).Str("running", string(s.current.ID)).Msg("run request while busy")
			return
		}
		s.current, s.started = msg.Job, time.Now()
		if t := msg.Job.Timeout; t > 0 {
			self, root, exec := ctx.Self(), ctx.ActorSystem().Root, msg.Job.ExecutionID
			s.timer = time.AfterFunc(t+s.deps.Remote.Timeout, func() { root.Send(self, &slotDeadline{exec: exec}) })
		}
		ctx.Request(ctx.Parent(), &sendRun{job: msg.Job})
	case *slotReport:
		s.handleReport(ctx, msg.report)
	case *messages.StopAttempt:
		if s.current != nil && s.current.ExecutionID == msg.ExecutionID {
			s.end()
			ctx.Send(ctx.Parent(), &stopRemote{exec: msg.ExecutionID, reason: msg.Reason})
			ctx.Request(s.deps.dispatcher, &messages.WorkerIdle{ExecutionID: msg.ExecutionID, Slot: s.info})
		}
	case *slotDeadline:
		if s.current == nil || s.current.ExecutionID != msg.exec {
			return
		}
		job := s.current
		s.end()
		ctx.Send(ctx.Parent(), &attemptAbandoned{exec: job.ExecutionID})
		s.log.Warn().Str("job_id", string(job.ID)).Msg("worker node did not report the attempt by its deadline; timing it out")
		s.finish(ctx, persistence.Finish{JobID: job.ID, ExecutionID: job.ExecutionID, Outcome: persistence.OutcomeTimeout,
			Error: fmt.Sprintf("%s (worker node %s did not report)", timeoutText(job.Timeout), s.info.Node)}, job)
	case *actor.Stopping:
		if s.timer != nil {
			s.timer.Stop()
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		s.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (s *remoteSlot) handleReport(ctx actor.Context, r *messages.Report) {
	job := s.current
	if job == nil || string(job.ExecutionID) != r.ExecutionId {
		// The slot timed the attempt out already; the store fences this.
		if f, ok := finishOf(r); ok {
			ctx.Send(s.deps.store, &messages.FinishAttempt{Finish: f})
		}
		return
	}
	s.end()
	f, ok := finishOf(r)
	if !ok {
		f = persistence.Finish{JobID: job.ID, ExecutionID: job.ExecutionID, Outcome: persistence.OutcomeFailed,
			Error: fmt.Sprintf("worker node %s reported an outcome this primary does not know (%d)", s.info.Node, r.Outcome)}
	}
	s.finish(ctx, f, job)
}

// finish reports the attempt's end to the store and the slot idle to the
// dispatcher.
func (s *remoteSlot) finish(ctx actor.Context, f persistence.Finish, job *persistence.Job) {
	if f.Outcome == persistence.OutcomeCompleted {
		f.Claimed = job
	}
	ctx.Send(s.deps.store, &messages.FinishAttempt{Finish: f, Function: job.Function, Elapsed: time.Since(s.started)})
	ctx.Request(s.deps.dispatcher, &messages.WorkerIdle{ExecutionID: f.ExecutionID, Slot: s.info})
}

func (s *remoteSlot) end() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.current = nil
}
