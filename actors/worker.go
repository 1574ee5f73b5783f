package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// worker runs one attempt at a time. The handler runs on its own goroutine
// with a context that carries the job's timeout; the worker's mailbox is
// never blocked. The result, the error or a recovered panic comes back as a
// message, and the worker reports it to the store actor (FinishAttempt,
// with the execution id) and tells the dispatcher it is idle.
//
// A panic in the handler fails the attempt with the panic and its stack,
// then the worker restarts through supervision. At the deadline the worker
// reports a timeout and restarts, so a handler that ignores its context
// cannot hold the slot; whatever that handler returns later is fenced off
// by its execution id.
//
// State: the attempt it runs. A restart forgets it (the attempt was
// reported before the restart) and announces the worker idle again.
type worker struct {
	deps    *Deps
	log     zerolog.Logger
	current *attempt
}

// attempt is the job a worker is running.
type attempt struct {
	job     *persistence.Job
	cancel  context.CancelFunc
	timer   *time.Timer
	started time.Time
}

// stop cancels the attempt's context and its deadline timer.
func (a *attempt) stop() {
	if a.timer != nil {
		a.timer.Stop()
	}
	a.cancel()
}

// attemptDone is sent by a handler's goroutine to its worker.
type attemptDone struct {
	exec     persistence.ExecutionID
	result   json.RawMessage
	err      error
	timedOut bool   // the handler's context hit its deadline
	panicked string // the panic and its stack, when the handler panicked
}

// attemptDeadline is sent by a worker's timer to the worker at the job's
// timeout.
type attemptDeadline struct {
	exec persistence.ExecutionID
}

// restartWorker is the panic a worker raises to be replaced by its
// supervisor after a handler panicked or was abandoned.
type restartWorker struct {
	reason string
}

func newWorkerProps(d *Deps, index int) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &worker{deps: d, log: d.Logger.With().Str("actor", "worker").Int("worker", index).Logger()}
	})
}

func (w *worker) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{})
	case *messages.AnnounceIdle:
		if w.current == nil {
			ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{})
		}
	case *messages.RunAttempt:
		w.handleRunAttempt(ctx, msg)
	case *attemptDone:
		w.handleAttemptDone(ctx, msg)
	case *attemptDeadline:
		w.handleDeadline(ctx, msg)
	case *messages.StopAttempt:
		if a := w.current; a != nil && a.job.ExecutionID == msg.ExecutionID {
			// The store already ended the attempt (the job was
			// cancelled): cancel the handler's context and free the
			// worker; what the handler returns is ignored.
			a.stop()
			w.end()
			w.log.Info().Str("job_id", string(a.job.ID)).Str("reason", msg.Reason).Msg("attempt stopped")
			ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{ExecutionID: msg.ExecutionID})
		}
	case *actor.Stopping, *actor.Restarting:
		if w.current != nil {
			w.current.stop()
			w.end()
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		w.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (w *worker) handleRunAttempt(ctx actor.Context, msg *messages.RunAttempt) {
	job := msg.Job
	if w.current != nil {
		// The dispatcher sends work only to idle workers; this is a bug.
		w.log.Error().Str("job_id", string(job.ID)).Str("running", string(w.current.job.ID)).Msg("run request while busy")
		return
	}
	h, ok := w.deps.Handlers[job.Function]
	self, root := ctx.Self(), ctx.ActorSystem().Root
	hctx, cancel := context.WithCancel(w.deps.BaseContext)
	if job.Timeout > 0 {
		hctx, cancel = context.WithTimeout(w.deps.BaseContext, job.Timeout)
	}
	a := &attempt{job: job, cancel: cancel, started: time.Now()}
	w.current = a
	w.deps.Observer.WorkerBusy(1)
	if job.Timeout > 0 {
		a.timer = time.AfterFunc(job.Timeout, func() { root.Send(self, &attemptDeadline{exec: job.ExecutionID}) })
	}
	if !ok {
		root.Send(self, &attemptDone{exec: job.ExecutionID, err: fmt.Errorf("handler %q is not registered on worker %s", job.Function, w.deps.WorkerID)})
		return
	}
	w.log.Debug().Str("job_id", string(job.ID)).Str("task", job.Function).Int("attempt", job.Attempts).Msg("attempt started")
	store := w.deps.store
	hctx, stopProgress := withProgress(hctx, func(fraction float64, message string) {
		root.Send(store, &messages.ReportProgress{JobID: job.ID, ExecutionID: job.ExecutionID, Fraction: fraction, Message: message})
	})
	go func() {
		defer stopProgress()
		res, panicked, err := runHandler(hctx, h, job)
		root.Send(self, &attemptDone{exec: job.ExecutionID, result: res, err: err, panicked: panicked,
			timedOut: errors.Is(hctx.Err(), context.DeadlineExceeded)})
	}()
}

// runHandler calls the handler and turns a panic into a value.
func runHandler(ctx context.Context, h Handler, job *persistence.Job) (res json.RawMessage, panicked string, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprintf("panic: %v\n\n%s", r, debug.Stack())
		}
	}()
	res, err = h(ctx, job)
	return res, "", err
}

func (w *worker) handleAttemptDone(ctx actor.Context, msg *attemptDone) {
	a := w.current
	if a == nil || a.job.ExecutionID != msg.exec {
		w.log.Warn().Str("execution_id", string(msg.exec)).Err(msg.err).Msg("late report of an abandoned attempt ignored")
		return
	}
	a.stop()
	w.end()
	f := finishAttempt(a.job, msg, w.deps.BaseContext.Err() != nil, w.deps.WorkerID)
	f.Claimed = a.job
	ctx.Send(w.deps.store, &messages.FinishAttempt{Finish: f, Function: a.job.Function, Elapsed: time.Since(a.started)})
	if msg.panicked != "" {
		ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{ExecutionID: f.ExecutionID})
		w.log.Warn().Str("job_id", string(a.job.ID)).Str("task", a.job.Function).Str("err", msg.panicked).Msg("handler panicked; restarting worker")
		panic(&restartWorker{reason: "handler panicked"})
	}
	ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{ExecutionID: f.ExecutionID})
}

func (w *worker) handleDeadline(ctx actor.Context, msg *attemptDeadline) {
	a := w.current
	if a == nil || a.job.ExecutionID != msg.exec {
		return // the attempt ended before its deadline
	}
	a.cancel()
	w.end()
	ctx.Send(w.deps.store, &messages.FinishAttempt{
		Finish:   persistence.Finish{JobID: a.job.ID, ExecutionID: a.job.ExecutionID, Outcome: persistence.OutcomeTimeout, Error: timeoutText(a.job.Timeout)},
		Function: a.job.Function, Elapsed: time.Since(a.started),
	})
	ctx.Request(w.deps.dispatcher, &messages.WorkerIdle{ExecutionID: a.job.ExecutionID})
	w.log.Warn().Str("job_id", string(a.job.ID)).Str("task", a.job.Function).Dur("elapsed", time.Since(a.started)).
		Msg("attempt timed out; abandoning its handler and restarting worker")
	panic(&restartWorker{reason: "attempt timed out"})
}

// finishAttempt is how an attempt of job ended, from what its handler's
// goroutine said. shuttingDown: the node cancelled the handler as it shut
// down (the job then goes back to pending without using an attempt).
func finishAttempt(job *persistence.Job, msg *attemptDone, shuttingDown bool, node string) persistence.Finish {
	f := persistence.Finish{JobID: job.ID, ExecutionID: job.ExecutionID}
	var snooze *persistence.SnoozeError
	switch {
	case msg.panicked != "":
		f.Outcome, f.Error = persistence.OutcomeFailed, msg.panicked
	// The handler's own verdicts (gigq.Snooze, gigq.SkipRetry) win over
	// a shutdown or a deadline it saw: it chose how its job goes on.
	case errors.As(msg.err, &snooze):
		f.Outcome, f.Snooze, f.Error = persistence.OutcomeSnoozed, snooze.Delay, persistence.SnoozedText(snooze.Delay)
	case errors.Is(msg.err, persistence.ErrSkipRetry):
		f.Outcome, f.Error = persistence.OutcomeSkipRetry, msg.err.Error()
	case msg.err != nil && shuttingDown:
		f.Outcome = persistence.OutcomeReleased
		f.Error = fmt.Sprintf("interrupted: node %s shut down (attempt not counted): %v", node, msg.err)
	case msg.err != nil && msg.timedOut:
		f.Outcome, f.Error = persistence.OutcomeTimeout, timeoutText(job.Timeout)
	case msg.err != nil:
		f.Outcome, f.Error = persistence.OutcomeFailed, msg.err.Error()
	default:
		f.Outcome, f.Result = persistence.OutcomeCompleted, msg.result
	}
	return f
}

// end forgets the current attempt: the worker is no longer busy.
func (w *worker) end() {
	w.current = nil
	w.deps.Observer.WorkerBusy(-1)
}

func timeoutText(d time.Duration) string {
	return fmt.Sprintf("job timed out after %s", d)
}
