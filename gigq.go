package gigq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/actors"
	"github.com/gigq-go/gigq/internal/taskrun"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// Node is an open gigq database with its actors: the store (the single
// writer), and unless ClientOnly, the dispatcher, the scheduler and the
// workers that run the registered tasks. A Node is safe for concurrent use
// by multiple goroutines.
//
// Its methods that write (Submit, Cancel, Requeue, AddSchedule, ...) hand
// the change to the store actor and return after its COMMIT, waiting for
// at most ctx's deadline (30s without one). When ctx ends first they
// return its error, and the change may still be committed. Reads stop
// when ctx ends, with its error. After Close, every method that uses the
// database returns ErrClosed.
type Node struct {
	cfg        Config
	log        zerolog.Logger
	store      *persistence.Store
	sys        *actors.System
	hub        *hub
	baseCancel context.CancelFunc
	done       chan struct{}
	doneOnce   sync.Once
	closed     atomic.Bool
	closeOnce  sync.Once
	closeErr   error
	closeDone  atomic.Bool // Close has returned: nothing runs any more
	metrics    *metrics    // nil without Config.Metrics
}

// Open opens (creating if needed) the database in cfg.Path, applies the
// migrations and starts the node's actors. Unless cfg.ClientOnly, the node
// starts running the registered tasks' jobs at once. Close it when done.
//
// Open writes only to a file that is gigq's own: new or empty, with gigq's
// ApplicationID, or a database of an earlier gigq (adopted: given the id).
// Any other file (another program's SQLite database, a GigQ (Python) one,
// one that is not SQLite, a damaged one) gives an error matching
// ErrNotGigq that says what the file looks like, and is left byte for byte
// as it was. A file or folder this process may not write gives an error
// matching fs.ErrPermission that names it, before anything starts: use
// Config.ReadOnly to read such a file.
//
// An invalid cfg gives an error that names the field, and a ctx already
// ended its error; then nothing was opened. ctx is not kept: the node
// runs until Close.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log := zerolog.Nop()
	if cfg.Logger != nil {
		log = *cfg.Logger
	}
	workers := cfg.Workers
	if cfg.ClientOnly || cfg.ReadOnly || workers == NoWorkers {
		workers = 0
	}
	var remote *actors.RemoteConfig
	if cfg.Remote != nil {
		var err error
		if remote, err = cfg.Remote.actorsConfig(); err != nil {
			return nil, err
		}
	}
	// Metrics are registered first, so that a registry that is already
	// taken fails Open before it opens anything.
	var m *metrics
	var observer actors.Observer
	if cfg.Metrics != nil {
		m = newMetrics(workers)
		if err := m.register(cfg.Metrics); err != nil {
			return nil, err
		}
		observer = m
	}
	store, err := persistence.Open(cfg.Path, persistence.Options{Sync: persistence.Sync(cfg.Sync), BusyTimeout: cfg.BusyTimeout, ReadOnly: cfg.ReadOnly})
	if err != nil {
		unregisterMetrics(cfg.Metrics, m)
		return nil, fmt.Errorf("gigq: %w", err)
	}
	base, cancel := context.WithCancel(context.Background())
	n := &Node{cfg: cfg, log: log, store: store, hub: newHub(), baseCancel: cancel, done: make(chan struct{}), metrics: m}
	if cfg.Events != nil {
		n.hub.attach(cfg.Events)
	}
	if cfg.ReadOnly {
		return n.startReadOnly(), nil
	}
	n.sys, err = actors.Start(actors.Deps{
		Store:             store,
		Reader:            store,
		Handlers:          cfg.Registry.handlers(),
		Workers:           workers,
		WorkerID:          cfg.WorkerID,
		Host:              hostname(),
		PID:               os.Getpid(),
		HeartbeatInterval: cfg.HeartbeatInterval,
		Lease:             cfg.Lease,
		WindowSize:        cfg.WindowSize,
		Queues:            cfg.Queues,
		QueueLimits:       cfg.QueueLimits,
		WatchInterval:     max(cfg.WatchInterval, 0),
		MaxJobs:           cfg.MaxJobs,
		OnDone:            func() { n.doneOnce.Do(func() { close(n.done) }) },
		Publish:           n.hub.publish,
		Observer:          observer,
		Remote:            remote,
		BaseContext:       base,
		OnDamage:          func(error) { cancel() }, // stop the handlers: nothing they do can be written
		Path:              cfg.Path,
		Logger:            log,
		Clock:             cfg.clock,
	})
	if err != nil {
		cancel()
		_ = store.Close()
		unregisterMetrics(cfg.Metrics, m)
		return nil, fmt.Errorf("gigq: %w", err)
	}
	store.OnCorrupt(func(err error) { n.sys.ReportDamage(err) }) // the checkpointer's
	if m != nil {
		m.node.Store(n)
	}
	ev := log.Info().Str("db", cfg.Path).Int("workers", workers).Strs("tasks", cfg.Registry.Names()).Str("worker_id", cfg.WorkerID)
	if addr := n.sys.RemoteAddress(); addr != "" {
		ev = ev.Str("remote", addr).Bool("tls", cfg.Remote.TLS != nil)
	}
	ev.Msg("node started")
	return n, nil
}

// Close stops the node: it stops claiming, lets running attempts finish
// for up to Config.ShutdownTimeout (or until ctx ends), then cancels their
// contexts (on worker nodes too: a primary's worker nodes cancel the
// attempts it gave them, which go back to pending without using an
// attempt), commits the last reports, stops the actors and closes the
// database. It is idempotent; later calls return the first call's result.
//
// On a node whose database file is damaged (Err), Close writes nothing:
// it stops the actors, closes the file and returns the damage error.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		n.closed.Store(true)
		n.closeErr = n.shutdown(ctx)
		n.closeDone.Store(true)
	})
	return n.closeErr
}

func (n *Node) shutdown(ctx context.Context) error {
	if n.sys == nil {
		return n.closeReadOnly()
	}
	var errs []error
	grace, cancel := context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
	err := n.sys.Drain(grace)
	cancel()
	if err != nil {
		// Ask running handlers to stop, and give them a moment to report.
		n.log.Warn().Err(err).Msg("running jobs did not finish in time; cancelling them")
		n.baseCancel()
		n.sys.ReleaseRemote()
		last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := n.sys.Drain(last); err != nil {
			n.log.Warn().Err(err).Msg("handlers ignored cancellation; their jobs stay running until reclaimed")
		}
		cancel()
	}
	n.baseCancel()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	stopErr := n.sys.Stop(stopCtx)
	if stopErr != nil {
		errs = append(errs, stopErr)
	}
	n.hub.close()
	unregisterMetrics(n.cfg.Metrics, n.metrics)
	if errors.Is(stopErr, actors.ErrStillRunning) {
		// The store actor may still use the write connection: leave the
		// database open rather than close it under a transaction. (The
		// process is usually exiting; a new Open works all the same.)
		n.log.Error().Err(stopErr).Msg("actors did not stop in time; the database is left open")
	} else if err := n.store.Close(); err != nil {
		errs = append(errs, err)
	}
	n.log.Info().Msg("node stopped")
	if len(errs) > 0 {
		return fmt.Errorf("gigq: close: %w", errors.Join(errs...))
	}
	return nil
}

// Done is closed when a node opened with MaxJobs has nothing left to do:
// it ran MaxJobs jobs, or found none ready. Without MaxJobs it is never
// closed.
func (n *Node) Done() <-chan struct{} { return n.done }

// Path is the database file.
func (n *Node) Path() string { return n.cfg.Path }

// WorkerID is the id this node writes as worker_id.
func (n *Node) WorkerID() string { return n.cfg.WorkerID }

// Subscribe returns a channel of job events committed by this node (of the
// given kinds; none means all) and a function that ends the subscription.
// Sends never block: a subscriber that falls 4096 events behind misses
// events. Changes made by other processes are not delivered. The channel
// is closed by the cancel function or by Close.
func (n *Node) Subscribe(kinds ...EventKind) (<-chan *Event, func()) {
	return n.hub.subscribe(kinds)
}

// Submit submits a job for the task named function, with params encoded as
// its JSON params (a struct, a map, json.RawMessage, or nil for {}; it must
// encode to a JSON object). It returns once the job is durable: committed
// to the database. With SubmitOpts.UniqueKey held by another job, it
// returns that job's id and writes nothing (SubmitJob says so). Input it
// cannot use gives an error matching ErrInvalidJob, a dependency on an
// unknown job one matching ErrUnknownDependency, and a full disk one
// matching ErrFull; then nothing was written.
func (n *Node) Submit(ctx context.Context, function string, params any, opts *SubmitOpts) (JobID, error) {
	r, err := n.SubmitJob(ctx, function, params, opts)
	return r.ID, err
}

// SubmitResult says what a submit did.
type SubmitResult struct {
	// ID is the new job, or for a duplicate, the job that holds the
	// unique key.
	ID JobID `json:"id"`
	// Duplicate: a job held SubmitOpts.UniqueKey in one of its
	// UniqueStates, so nothing was written.
	Duplicate bool `json:"duplicate,omitempty"`
	// Status is the state of the job that holds the key, for a
	// duplicate.
	Status Status `json:"status,omitempty"`
}

// SubmitJob is Submit, saying whether the submit was a duplicate of a job
// that holds its unique key.
func (n *Node) SubmitJob(ctx context.Context, function string, params any, opts *SubmitOpts) (SubmitResult, error) {
	if n.closed.Load() {
		return SubmitResult{}, ErrClosed
	}
	if err := n.writable(); err != nil {
		return SubmitResult{}, err
	}
	job, err := newJob(function, params, opts)
	if err != nil {
		return SubmitResult{}, &invalidJob{err}
	}
	if limit := n.cfg.MaxParamsBytes; limit > 0 && len(job.Params) > limit {
		return SubmitResult{}, &invalidJob{fmt.Errorf("gigq: params of %d bytes are over the limit of %d bytes (Config.MaxParamsBytes): store large data elsewhere and pass a reference",
			len(job.Params), limit)}
	}
	ins, err := n.sys.Submit(ctx, []persistence.NewJob{job})
	if err != nil {
		return SubmitResult{}, fmt.Errorf("gigq: submit %s: %w", function, err)
	}
	if len(ins) == 1 && ins[0].Existing != "" {
		return SubmitResult{ID: ins[0].Existing, Duplicate: true, Status: ins[0].ExistingStatus}, nil
	}
	return SubmitResult{ID: job.ID}, nil
}

func newJob(function string, params any, opts *SubmitOpts) (persistence.NewJob, error) {
	if err := validateTaskName(function); err != nil {
		return persistence.NewJob{}, err
	}
	var o SubmitOpts
	if opts != nil {
		o = *opts
	}
	switch {
	case o.MaxAttempts < 0:
		return persistence.NewJob{}, fmt.Errorf("gigq: MaxAttempts must be at least 1 (got %d)", o.MaxAttempts)
	case o.Timeout < 0:
		return persistence.NewJob{}, fmt.Errorf("gigq: Timeout must be positive (got %s)", o.Timeout)
	case o.RetryDelay < 0:
		return persistence.NewJob{}, fmt.Errorf("gigq: RetryDelay must not be negative (got %s)", o.RetryDelay)
	case o.Delay < 0:
		return persistence.NewJob{}, fmt.Errorf("gigq: Delay must not be negative (got %s)", o.Delay)
	case o.Delay > 0 && !o.RunAt.IsZero():
		return persistence.NewJob{}, errors.New("gigq: set RunAt or Delay, not both")
	case (o.Delay > 0 || !o.RunAt.IsZero()) && len(o.DependsOn) > 0:
		return persistence.NewJob{}, errors.New("gigq: a delayed job (RunAt, Delay) cannot have DependsOn: it runs when its parents complete")
	case len(o.UniqueKey) > 256:
		return persistence.NewJob{}, fmt.Errorf("gigq: UniqueKey is %d bytes; at most 256", len(o.UniqueKey))
	case len(o.UniqueStates) > 0 && o.UniqueKey == "":
		return persistence.NewJob{}, errors.New("gigq: UniqueStates needs a UniqueKey")
	}
	if o.Queue != "" {
		if err := validateQueueName(o.Queue); err != nil {
			return persistence.NewJob{}, err
		}
	}
	for _, st := range o.UniqueStates {
		if !st.Valid() {
			names := make([]string, len(persistence.Statuses))
			for i, v := range persistence.Statuses {
				names[i] = string(v)
			}
			return persistence.NewJob{}, fmt.Errorf("gigq: UniqueStates: %q is not a job state (want %s)", st, strings.Join(names, ", "))
		}
	}
	backoff, err := checkBackoff(&o)
	if err != nil {
		return persistence.NewJob{}, err
	}
	if o.Delay > 0 {
		o.RunAt = time.Now().Add(o.Delay)
	}
	if o.Name == "" {
		o.Name = function
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	raw, err := taskrun.EncodeParams(params)
	if err != nil {
		return persistence.NewJob{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return persistence.NewJob{}, fmt.Errorf("gigq: new job id: %w", err)
	}
	return persistence.NewJob{ID: JobID(id.String()), Name: o.Name, Function: function, Params: raw,
		Priority: o.Priority, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout, RetryDelay: o.RetryDelay,
		Description: o.Description, Dependencies: slices.Clone(o.DependsOn), RunAt: o.RunAt,
		UniqueKey: o.UniqueKey, UniqueStates: slices.Clone(o.UniqueStates), Queue: o.Queue, Backoff: backoff}, nil
}

// Status returns a job with its executions, oldest first. An unknown id
// gives ErrNotFound.
func (n *Node) Status(ctx context.Context, id JobID) (*Job, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	row, err := n.store.Job(ctx, id)
	if err != nil {
		return nil, n.noteDamage(err)
	}
	execs, err := n.store.Executions(ctx, id)
	if err != nil {
		return nil, n.noteDamage(err)
	}
	j := jobFromRow(row)
	j.Executions = make([]Execution, 0, len(execs))
	for _, e := range execs {
		j.Executions = append(j.Executions, executionFromRow(e))
	}
	return j, nil
}

// Result returns the raw JSON result of a completed job. A job that ended
// otherwise gives a *JobError; one still pending or running ErrNotFinished.
func (n *Node) Result(ctx context.Context, id JobID) (json.RawMessage, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	row, err := n.store.Job(ctx, id)
	if err != nil {
		return nil, n.noteDamage(err)
	}
	switch row.Status {
	case StatusCompleted:
		return row.Result, nil
	case StatusPending, StatusRunning:
		return nil, fmt.Errorf("%w: job %s is %s", ErrNotFinished, id, row.Status)
	default:
		return nil, &JobError{JobID: id, Status: row.Status, Err: row.Error}
	}
}

// List lists jobs newest first, without their executions, with their
// params, result and error cut to ListParams.ValueLimit bytes (1 KiB by
// default; the Job's *Truncated flags tell which were cut, and Status
// gives a job whole). A nil p lists the newest 100; a ListParams.Status
// that is not a job state gives an error.
func (n *Node) List(ctx context.Context, p *ListParams) ([]*Job, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	lp := persistence.ListParams{ValueLimit: DefaultListValueLimit}
	if p != nil {
		lp = persistence.ListParams{Status: p.Status, Limit: p.Limit, Before: p.Before, Queue: p.Queue, ValueLimit: p.ValueLimit}
		switch {
		case p.ValueLimit == 0:
			lp.ValueLimit = DefaultListValueLimit
		case p.ValueLimit < 0:
			lp.ValueLimit = 0 // whole values
		}
	}
	if lp.Status != "" && !lp.Status.Valid() {
		return nil, fmt.Errorf("gigq: unknown status %q: use one of %v", lp.Status, persistence.Statuses)
	}
	rows, err := n.store.ListJobs(ctx, lp)
	if err != nil {
		return nil, n.noteDamage(err)
	}
	out := make([]*Job, len(rows))
	for i := range rows {
		out[i] = jobFromRow(&rows[i])
	}
	return out, nil
}

// Stats counts the jobs of every queue in each state.
func (n *Node) Stats(ctx context.Context) (Stats, error) {
	return n.QueueStats(ctx, "")
}

// QueueStats counts the jobs of one named queue by state ("": every
// queue, as Stats).
func (n *Node) QueueStats(ctx context.Context, queue string) (Stats, error) {
	if n.closed.Load() {
		return Stats{}, ErrClosed
	}
	st, err := n.store.QueueStats(ctx, queue)
	return statsOf(st), n.noteDamage(err)
}

// Cancel cancels a pending or running job, and with it every job that
// depends on it. A running job ends CANCELLED at once (its attempt's
// execution "cancelled"), and its handler's context is cancelled, on this
// node, another process on the file, or a worker node; a handler that
// ignores its context is abandoned, as at a timeout, and what it returns
// is ignored. A job in a final state gives an error that matches
// ErrInvalidTransition (a *TransitionError); an unknown one ErrNotFound.
func (n *Node) Cancel(ctx context.Context, id JobID) error {
	_, err := n.change(ctx, &messages.ChangeJobs{Op: messages.OpCancel, JobID: id})
	return err
}

// Requeue moves a failed, timed-out or cancelled job back to pending with
// its attempts reset and its error cleared. A job in another state gives
// an error that matches ErrInvalidTransition; an unknown one ErrNotFound.
func (n *Node) Requeue(ctx context.Context, id JobID) error {
	_, err := n.change(ctx, &messages.ChangeJobs{Op: messages.OpRequeue, JobID: id})
	return err
}

// ClearCompleted deletes completed and cancelled jobs, with their
// executions, that finished before the given time (the zero time: all of
// them), and returns how many it deleted.
func (n *Node) ClearCompleted(ctx context.Context, before time.Time) (int, error) {
	return n.change(ctx, &messages.ChangeJobs{Op: messages.OpClearCompleted, Before: before})
}

func (n *Node) change(ctx context.Context, c *messages.ChangeJobs) (int, error) {
	if n.closed.Load() {
		return 0, ErrClosed
	}
	if err := n.writable(); err != nil {
		return 0, err
	}
	return n.sys.Change(ctx, c)
}

// Wait blocks until the job has ended (completed, failed, timeout or
// cancelled) or ctx ends, and returns it with its executions. It wakes on
// this node's events, and checks the database every 200ms for changes made
// by other processes. It returns ctx's error when ctx ends first,
// ErrNotFound for an unknown id, and ErrClosed when the node closes.
func (n *Node) Wait(ctx context.Context, id JobID) (*Job, error) {
	var j *Job
	err := n.waitFor(ctx, func(e *Event) bool { return e.JobID == id }, func() (done bool, err error) {
		if j, err = n.Status(ctx, id); err != nil {
			return false, err
		}
		return j.Status.Final(), nil
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// waitFor calls check until it reports done (or fails), or ctx ends. It
// checks again on each of this node's events that wake matches, and every
// 200ms for changes made by other processes.
func (n *Node) waitFor(ctx context.Context, wake func(*Event) bool, check func() (bool, error)) error {
	events, cancel := n.Subscribe()
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if done, err := check(); err != nil || done {
			return err
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
				break wait
			case e, ok := <-events:
				if !ok {
					return ErrClosed
				}
				if wake(e) {
					break wait
				}
			}
		}
	}
}

// BatchStats counts the group commits of a node's store actor (the single
// writer) since Open, as Node.BatchStats reports them.
type BatchStats struct {
	// Commits is the number of write transactions committed.
	Commits int64
	// Commands is the number of commands (submits, claims, reports,
	// changes) those transactions applied.
	Commands int64
	// MaxBatch is the most commands one transaction applied.
	MaxBatch int64
}

// batchStatsOf is the public form of the store actor's counts (the same
// fields).
func batchStatsOf(b messages.BatchStats) BatchStats { return BatchStats(b) }

// BatchStats reports how many commands the store actor applied in how many
// transactions since Open: under concurrent load, far fewer transactions
// than commands.
func (n *Node) BatchStats(ctx context.Context) (BatchStats, error) {
	if n.closed.Load() {
		return BatchStats{}, ErrClosed
	}
	if n.sys == nil {
		return BatchStats{}, nil // a read-only node applies no commands
	}
	b, err := n.sys.BatchStats(ctx)
	return batchStatsOf(b), err
}
