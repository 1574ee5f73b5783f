package actors

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// Deps is what a node's actors are built from. Fields are read-only once
// Start is called.
type Deps struct {
	Store  WriteStore // used only by the store actor
	Reader ReadStore  // used by the dispatcher and the scheduler

	// Handlers by task name. Workers run only these; jobs of other tasks
	// stay pending for a node that has them.
	Handlers map[string]Handler
	// Workers is the number of worker actors; 0 starts a client-only node
	// (the store actor alone: submit and change, no dispatch).
	Workers int
	// WorkerID is written to jobs and executions as worker_id; it is also
	// the id of this node's row in nodes.
	WorkerID string
	// Host and PID describe this process in its nodes row.
	Host string
	PID  int
	// HeartbeatInterval is how often a working node refreshes its row and
	// looks for lost nodes; <= 0 disables both (and the row).
	HeartbeatInterval time.Duration
	// Lease is how old a node's last heartbeat may be before the node is
	// taken for lost and its running jobs are reclaimed.
	Lease time.Duration
	// ProcessAlive tells whether a process of this host still runs; a node
	// row of this host whose process is gone is lost at once. Default: a
	// signal-0 probe.
	ProcessAlive func(pid int) bool
	// Queues, when not nil, are the named queues whose jobs this node
	// runs (nil: every queue). QueueLimits caps how many jobs of a queue
	// the node (its workers and its worker nodes' slots together) runs at
	// once.
	Queues      []string
	QueueLimits map[string]int
	// WindowSize bounds the dispatcher's window of ready jobs.
	WindowSize int
	// WatchInterval is how often the store checks PRAGMA data_version for
	// other processes' writes; <= 0 disables the watch.
	WatchInterval time.Duration
	// MaxJobs stops claiming after that many claims; 0 means no limit.
	// OnDone is called once when a MaxJobs run has nothing left to do.
	MaxJobs int
	OnDone  func()
	// Publish receives the job events of each committed batch, on the
	// store actor's goroutine; it must not block.
	Publish func([]*messages.JobEvent)
	// Observer hears what the actors did, for metrics. Default: none (a
	// no-op).
	Observer Observer
	// Remote, when set, makes the node a primary that worker nodes on
	// other machines join (gateway.go). It runs a dispatcher even with no
	// Workers of its own.
	Remote *RemoteConfig
	// BaseContext is the parent of every handler's context; cancelling it
	// asks running handlers to stop.
	BaseContext context.Context
	// OnDamage is called once, on the goroutine of the actor that met
	// it, with the first error that says the database file is damaged
	// (persistence.ErrCorrupt); the node has then stopped writing and
	// claiming (see damage.go). It must not block. Path names the file
	// in the log line that reports the damage.
	OnDamage func(error)
	Path     string
	Logger   zerolog.Logger
	Now      func() time.Time
	// Clock is the time of cron schedules (the cron actor's timers, and
	// the store's schedule commands). Default: the real clock.
	Clock Clock

	startedAt time.Time

	// dmg records that the database file is damaged; root sends from
	// outside the actors (both set by Start).
	dmg  *damage
	root *actor.RootContext

	// cron is the cron actor (on a node that dispatches); schedSeen is
	// the last schedules_seq the store actor saw (it outlives a restart
	// of the store actor).
	cron      *actor.PID
	schedSeen *atomic.Int64

	// PIDs, fixed by Start before any actor runs.
	supervisor, store, scheduler, dispatcher, gateway *actor.PID
	workers                                           []*actor.PID

	// wfSeq numbers the store's WorkflowChanged messages (it outlives a
	// restart of the store actor).
	wfSeq *atomic.Int64
}

// System is a running actor tree. Its methods are safe for concurrent use
// by multiple goroutines.
type System struct {
	deps       *Deps
	sys        *actor.ActorSystem
	supervisor *actor.PID
	transport  *transport // with Deps.Remote
}

// Start builds the actor system (protoactor's log routed into the zerolog
// logger at warn level) and spawns the supervisor with its children.
func Start(d Deps) (*System, error) {
	if d.Store == nil || d.Reader == nil {
		return nil, errors.New("start actors: no store")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.BaseContext == nil {
		d.BaseContext = context.Background()
	}
	if d.WindowSize <= 0 {
		d.WindowSize = 512
	}
	if d.ProcessAlive == nil {
		d.ProcessAlive = processAlive
	}
	if d.Observer == nil {
		d.Observer = nopObserver{}
	}
	if d.Clock == nil {
		d.Clock = realClock{}
	}
	d.schedSeen = new(atomic.Int64)
	d.startedAt = d.Now()
	sys := newActorSystem(d.Logger)
	d.dmg, d.root = newDamage(), sys.Root
	var tr *transport
	if d.Remote != nil {
		d.Remote.withDefaults()
		var err error
		if tr, err = startTransport(sys, d.Remote.Listen, d.Remote.Advertise, d.Remote.ServerTLS, d.Remote.ClientTLS, primaryAccepts); err != nil {
			return nil, fmt.Errorf("start actors: %w", err)
		}
	}
	pid := func(name string) *actor.PID { return actor.NewPID(sys.Address(), supervisorName+"/"+name) }
	d.supervisor = actor.NewPID(sys.Address(), supervisorName)
	d.store = pid(storeName)
	d.wfSeq = new(atomic.Int64)
	if d.Remote != nil {
		d.gateway = pid(gatewayName)
	}
	if d.working() {
		d.scheduler, d.dispatcher = pid(schedulerName), pid(dispatcherName)
		d.cron = pid(cronName)
		for i := range d.Workers {
			d.workers = append(d.workers, pid(fmt.Sprintf("%s%d", workerPrefix, i)))
		}
	}
	s := &System{deps: &d, sys: sys, transport: tr}
	sup, err := sys.Root.SpawnNamed(newSupervisorProps(s.deps), supervisorName)
	if err != nil {
		tr.stop()
		sys.Shutdown()
		return nil, fmt.Errorf("start actors: %w", err)
	}
	s.supervisor = sup
	// The supervisor spawns its children in Started; wait for that, so the
	// node's first request does not reach a PID that is not there yet.
	if _, err := sys.Root.RequestFuture(sup, &readyProbe{}, 30*time.Second).Result(); err != nil {
		_ = sys.Root.StopFuture(sup).Wait()
		tr.stop()
		sys.Shutdown()
		return nil, fmt.Errorf("start actors: %w", err)
	}
	return s, nil
}

// RemoteAddress is the address worker nodes reach this node at ("" without
// Deps.Remote).
func (s *System) RemoteAddress() string {
	if s.transport == nil {
		return ""
	}
	return s.transport.Address
}

// ReleaseRemote cancels the attempts running on worker nodes, which report
// them released: their jobs go back to pending without using an attempt.
// The node calls it when it shuts down and its grace is over (as it
// cancels its own handlers).
func (s *System) ReleaseRemote() {
	if s.deps.gateway != nil {
		s.sys.Root.Send(s.deps.gateway, &releaseAttempts{reason: fmt.Sprintf("primary %s shut down", s.deps.WorkerID)})
	}
}

// ErrStopped is returned by requests to a system that is shutting down.
var ErrStopped = errors.New("actor system stopped")

// request sends msg to pid and waits for the reply, for at most ctx's
// deadline (or 30 s without one), honouring ctx's cancellation.
func (s *System) request(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	return requestFrom(ctx, s.sys, pid, msg)
}

// requestFrom sends msg to pid from outside the actors and waits for the
// reply, for at most ctx's deadline (or 30 s without one), honouring ctx's
// cancellation.
func requestFrom(ctx context.Context, sys *actor.ActorSystem, pid *actor.PID, msg any) (any, error) {
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	f := sys.Root.RequestFuture(pid, msg, timeout)
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := f.Result(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		if errors.Is(r.err, actor.ErrDeadLetter) {
			return nil, ErrStopped
		}
		if errors.Is(r.err, actor.ErrTimeout) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Submit writes jobs through the store actor; it returns after COMMIT,
// with what the insert made of each job (a duplicate of a unique key
// names the job that holds it).
func (s *System) Submit(ctx context.Context, jobs []persistence.NewJob) ([]persistence.Inserted, error) {
	v, err := s.request(ctx, s.deps.store, &messages.SubmitJobs{Jobs: jobs})
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	r := v.(*messages.SubmitJobsReply)
	return r.Inserted, r.Err
}

// SubmitWorkflow writes a workflow and its jobs in one transaction; it
// returns after COMMIT.
func (s *System) SubmitWorkflow(ctx context.Context, w persistence.NewWorkflow, jobs []persistence.NewJob) error {
	v, err := s.request(ctx, s.deps.store, &messages.SubmitJobs{Jobs: jobs, Workflow: &w})
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	return v.(*messages.SubmitJobsReply).Err
}

// Change cancels, requeues or clears through the store actor; it returns
// after COMMIT with the number of jobs changed.
func (s *System) Change(ctx context.Context, c *messages.ChangeJobs) (int, error) {
	v, err := s.request(ctx, s.deps.store, c)
	if err != nil {
		return 0, err
	}
	r := v.(*messages.ChangeJobsReply)
	return r.Count, r.Err
}

// TrackedWorkflows is the number of workflow actors: the unfinished
// workflows this node tracks.
func (s *System) TrackedWorkflows(ctx context.Context) (int, error) {
	v, err := s.request(ctx, s.supervisor, &countWorkflows{})
	if err != nil {
		return 0, err
	}
	return v.(*workflowCount).n, nil
}

// BatchStats reads the store actor's group-commit counters.
func (s *System) BatchStats(ctx context.Context) (messages.BatchStats, error) {
	v, err := s.request(ctx, s.deps.store, &messages.GetBatchStats{})
	if err != nil {
		return messages.BatchStats{}, err
	}
	return *v.(*messages.BatchStats), nil
}

// Drain stops claiming and waits until no attempt runs, or until ctx ends.
func (s *System) Drain(ctx context.Context) error {
	if s.deps.dispatcher == nil {
		return nil
	}
	_, err := s.request(ctx, s.deps.dispatcher, &messages.Drain{})
	return err
}

// Stop commits what the store holds and stops every actor. Call Drain
// first (and cancel the handlers' base context if it did not finish) so
// the workers' last reports are in the store's batch.
func (s *System) Stop(ctx context.Context) error {
	var errs []error
	v, err := s.request(ctx, s.deps.store, &messages.Sync{})
	if err != nil {
		errs = append(errs, fmt.Errorf("sync store: %w", err))
	} else if r := v.(*messages.SyncReply); r.Err != nil {
		errs = append(errs, fmt.Errorf("sync store: %w", r.Err))
	}
	if err := s.sys.Root.PoisonFuture(s.supervisor).Wait(); err != nil {
		errs = append(errs, fmt.Errorf("stop actors: %w: %w", ErrStillRunning, err))
	}
	s.transport.stop()
	s.sys.Shutdown()
	return errors.Join(errs...)
}

// ErrStillRunning is returned by Stop when the actors did not stop in
// time (the store may still be inside a long transaction): the caller
// must not close the database under them.
var ErrStillRunning = errors.New("actors still running")

// Release stops claiming, then puts every job running on this node and on
// its worker nodes back to pending without counting the attempt, and
// deletes the node's row, in one write transaction; it returns how many
// jobs went back, once that transaction committed. The attempts' later
// reports are dropped. It is the first step of stopping a node at once;
// the caller then cancels the handlers' context (and calls ReleaseRemote)
// and stops the system.
func (s *System) Release(ctx context.Context, reason string) (int, error) {
	if s.deps.dispatcher != nil {
		if _, err := s.request(ctx, s.deps.dispatcher, &stopClaiming{}); err != nil {
			return 0, fmt.Errorf("stop claiming: %w", err)
		}
	}
	v, err := s.request(ctx, s.deps.store, &releaseNode{reason: reason})
	if err != nil {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			err = context.DeadlineExceeded // the reply's timer can fire just before ctx ends
		}
		return 0, fmt.Errorf("release running jobs: %w", err)
	}
	r := v.(*releaseNodeReply)
	if r.err != nil {
		return 0, fmt.Errorf("release running jobs: %w", r.err)
	}
	return r.jobs, nil
}
