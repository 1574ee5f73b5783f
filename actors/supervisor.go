package actors

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// supervisor is the root of a node's actor tree. It spawns the store, the
// scheduler, the dispatcher and the workers under fixed names, so every
// actor's PID is known before it starts, and applies the restart policy.
//
// State: none beyond its children; it is never restarted itself.
type supervisor struct {
	deps *Deps
	log  zerolog.Logger

	// The workflow actors, one per unfinished workflow (see
	// supervisor_workflows.go).
	workflows    map[persistence.WorkflowID]*actor.PID
	workflowPIDs map[string]persistence.WorkflowID // by PID id
	spawned      int                               // names workflow actors uniquely
}

// Child names under the supervisor.
const (
	supervisorName = "gigq"
	storeName      = "store"
	schedulerName  = "scheduler"
	dispatcherName = "dispatcher"
	workerPrefix   = "worker-"
	workflowPrefix = "workflow-"
	cronName       = "cron"
)

func newSupervisorProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{deps: d, log: d.Logger.With().Str("actor", "supervisor").Logger()}
	}, actor.WithSupervisor(newRestartPolicy(d.Logger)))
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		s.spawn(ctx, storeName, newStoreProps(s.deps))
		if s.deps.working() {
			s.spawn(ctx, schedulerName, newSchedulerProps(s.deps))
			s.spawn(ctx, dispatcherName, newDispatcherProps(s.deps))
			s.spawn(ctx, cronName, newCronProps(s.deps))
			for i := range s.deps.Workers {
				s.spawn(ctx, fmt.Sprintf("%s%d", workerPrefix, i), newWorkerProps(s.deps, i))
			}
		}
		if s.deps.Remote != nil {
			// Last: worker nodes may join from now on.
			s.spawn(ctx, gatewayName, newGatewayProps(s.deps))
		}
		// Every child exists now; only from here may they message each
		// other. (Workers are spawned last and only message the
		// dispatcher, which exists before them.)
		for _, pid := range []*actor.PID{s.deps.store, s.deps.scheduler, s.deps.dispatcher, s.deps.cron} {
			if pid != nil {
				ctx.Send(pid, &messages.NodeStarted{})
			}
		}
		if s.deps.working() {
			ctx.Send(ctx.Self(), &startWorkflows{})
		}
	case *startWorkflows:
		s.startWorkflows(ctx)
	case *messages.WorkflowChanged:
		s.routeWorkflow(ctx, msg)
	case *workflowEnded:
		s.endWorkflow(ctx, msg)
	case *countWorkflows:
		ctx.Respond(&workflowCount{n: len(s.workflows)})
	case *readyProbe:
		ctx.Respond(msg) // Started ran first: the children exist
	case *actor.Terminated:
		s.forgetWorkflow(msg.Who)
		s.log.Debug().Str("child", msg.Who.Id).Msg("child stopped")
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		s.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (s *supervisor) spawn(ctx actor.Context, name string, props *actor.Props) {
	if _, err := ctx.SpawnNamed(props, name); err != nil {
		// Names are fixed and unique under a fresh supervisor.
		s.log.Error().Err(err).Str("child", name).Msg("spawn child")
	}
}

// readyProbe is sent by Start to the supervisor; the reply means its
// children are spawned and can take messages.
type readyProbe struct{}

// restartPolicy decides what happens to a child that panicked. A worker
// that asks for a restart (its handler panicked or was abandoned at its
// deadline) is always restarted: the cause is user code, not the worker,
// and a limit would let a stream of bad jobs stop the node's workers. Any
// other failure is a bug in gigq: the child is restarted (it rebuilds its
// state from the database), at most 10 times in 10 s, then stopped.
type restartPolicy struct {
	log   zerolog.Logger
	other actor.SupervisorStrategy
}

func newRestartPolicy(log zerolog.Logger) *restartPolicy {
	return &restartPolicy{
		log: log.With().Str("actor", "supervisor").Logger(),
		other: actor.NewOneForOneStrategy(10, 10*time.Second, func(any) actor.Directive {
			return actor.RestartDirective
		}),
	}
}

func (p *restartPolicy) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	rs *actor.RestartStatistics, reason any, message any) {
	if _, ok := reason.(*restartWorker); ok {
		sup.RestartChildren(child)
		return
	}
	p.log.Error().Str("child", child.Id).Str("err", fmt.Sprint(reason)).Msg("actor failed; restarting")
	p.other.HandleFailure(sys, sup, child, rs, reason, message)
	// The new incarnation gets Started first (a system message), then this:
	// its siblings exist, so it may rebuild its state and talk to them.
	if !strings.HasPrefix(child.Id, supervisorName+"/"+workerPrefix) {
		sys.Root.Send(child, &messages.NodeStarted{})
	}
}
