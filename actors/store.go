package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// store is the only actor that writes to SQLite. Commands that are waiting
// in its mailbox are applied in one transaction (group commit): the first
// command of a batch sends a flushBatch to self, so every command queued
// before that marker joins the same transaction. Each caller is answered
// only after COMMIT; then the dispatcher, the scheduler and the node's
// subscribers hear what changed.
//
// It also watches for other processes' writes: on a timer it reads PRAGMA
// data_version and, when it moved, the jobs that became pending meanwhile.
//
// State: the open batch and its counters. A restart drops the batch it was
// building (those callers time out; nothing of it was committed, so nothing
// acknowledged is lost) and rolls back an open transaction.
//
// A full disk (or a database at its size limit: persistence.ErrFull) is
// usually temporary, so the store outlives it without a restart:
//   - a submit (or another caller's change) fails fast: its caller gets
//     the error, and nothing of it was written (a multi-job submit is one
//     savepoint, all or nothing);
//   - an attempt's report (FinishAttempt) is kept in memory and applied
//     again after a backoff, until it commits: the work was done, and
//     losing the report would leave the job RUNNING on a live node, which
//     no lease reclaims. If the node stops while reports are still kept,
//     they are lost, but the job is then reclaimed like a crashed node's
//     (its node row is removed, or it is reclaimed at the next start);
//   - a claim fails: the worker goes back to idle, and the job, still
//     pending, is announced to the dispatcher again after the backoff, so
//     it runs once space returns;
//   - heartbeats that fail are tried again at the next tick.
//
// SQLite rolls the whole transaction back when it cannot grow the file
// (persistence.ErrRolledBack). The command that needed the space then
// fails as above, and the rest of the batch is applied again without it
// (up to maxSplits times per batch; past that the whole batch fails as
// above), so a report or a claim that fits is not held back by a submit
// that does not.
//
// Reads go through the read-only pool and are not affected.
type store struct {
	deps        *Deps
	log         zerolog.Logger
	batch       []pendingCmd
	flushQueued bool
	safe        bool  // apply each command in its own savepoint
	hardErr     bool  // a command failed for a reason other than a refusal
	busyRetries int   // BEGIN found the write lock taken this many times in a row
	aborted     error // SQLite rolled the whole transaction back (safe mode)
	abortedAt   int   // at this command of the batch

	// The full-disk state (see above). Per applied batch: fullHit (a
	// command failed with ErrFull), fullKeep (reports to keep), fullClaims
	// (jobs to announce again), wrote (a job change succeeded).
	held        []pendingCmd        // reports waiting for space
	reclaim     []persistence.JobID // jobs whose claim failed for want of space
	fullRetries int                 // backoffs since the last write that needed space
	fullTimer   *time.Timer         // the pending retryFull
	fullHit     bool                // per batch
	wrote       bool                // per batch
	fullKeep    []pendingCmd        // per batch
	fullClaims  []persistence.JobID // per batch
	stats       messages.BatchStats
	// released: attempts whose jobs releaseNode put back to pending;
	// their late reports are dropped. Not nil once the node released its
	// jobs: it beats no more (its row is gone).
	released map[persistence.ExecutionID]bool
	watch    *time.Timer
	beat     *time.Timer
}

// pendingCmd is a command waiting for the next commit, with who asked.
type pendingCmd struct {
	msg    any
	sender *actor.PID
}

// flushBatch is sent by the store actor to itself to commit its batch.
type flushBatch struct{}

// checkExternal is sent by the store's watch timer to the store actor.
type checkExternal struct{}

// registerNode and heartbeat are commands the store actor gives itself:
// write this node's row and reclaim the jobs of lost nodes, in the batch.
type (
	registerNode struct{}
	heartbeat    struct{}
)

// heartbeatTick is sent by the heartbeat timer to the store actor.
type heartbeatTick struct{}

// beginBusyError is returned by applyBatch when BEGIN IMMEDIATE timed out
// waiting for another process's write lock.
type beginBusyError struct{ err error }

func (e *beginBusyError) Error() string { return e.err.Error() }

// The backoff between attempts to take a busy write lock.
const (
	busyBackoff    = 50 * time.Millisecond
	maxBusyBackoff = 2 * time.Second
)

// maxSplits caps how many commands one batch may set aside after SQLite
// rolled its transaction back, before the whole batch fails.
const maxSplits = 8

// maxBatch caps the commands in one transaction.
const maxBatch = 4096

// externalPage is how many changed jobs one external read returns.
const externalPage = 1000

func newStoreProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &store{deps: d, log: d.Logger.With().Str("actor", "store").Logger()}
	})
}

func (s *store) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		_ = s.deps.Store.Rollback() // a transaction a failed incarnation left open
	case *messages.NodeStarted:
		s.stopWatch()
		s.armWatch(ctx)
		if s.deps.dispatcher != nil && s.deps.HeartbeatInterval > 0 {
			s.enqueue(ctx, &registerNode{})
			s.armHeartbeat(ctx)
		}
	case *heartbeatTick:
		if s.deps.halted() != nil || s.released != nil {
			return // the file is damaged, or the node gave its jobs back: no more heartbeats
		}
		s.enqueue(ctx, &heartbeat{})
		s.armHeartbeat(ctx)
	case *actor.Stopping:
		s.stopWatch()
		s.stopFullTimer()
		s.batch = append(s.held, s.batch...) // a last try for kept reports
		s.held = nil
		s.flush(ctx)
		s.stopFullTimer()
		if len(s.held) > 0 {
			s.log.Error().Int("reports", len(s.held)).
				Msg("database full at shutdown: attempt reports not written; their jobs stay running until reclaimed")
		}
		if s.deps.halted() == nil {
			s.removeNode()
		}
	case *actor.Restarting:
		s.stopWatch()
		s.stopFullTimer()
	case *retryFull:
		s.handleRetryFull(ctx)
	case *messages.SubmitJobs, *messages.ClaimJobs, *messages.FinishAttempt, *messages.ChangeJobs, *messages.Sync,
		*messages.JoinNode, *messages.TouchNode, *messages.NodeGone, *messages.ReportProgress,
		*messages.ChangeSchedule, *messages.FireSchedules:
		s.enqueue(ctx, msg)
	case *releaseNode:
		s.handleReleaseNode(ctx, msg)
	case *messages.LoadWorkflow:
		s.handleLoadWorkflow(ctx, msg)
	case *flushBatch:
		s.flushQueued = false
		s.flush(ctx)
	case *checkExternal:
		s.handleCheckExternal(ctx)
	case *messages.GetBatchStats:
		st := s.stats
		ctx.Respond(&st)
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		s.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (s *store) enqueue(ctx actor.Context, msg any) {
	s.batch = append(s.batch, pendingCmd{msg: msg, sender: ctx.Sender()})
	if len(s.batch) >= maxBatch {
		s.flush(ctx)
		return
	}
	if !s.flushQueued {
		s.flushQueued = true
		ctx.Send(ctx.Self(), &flushBatch{})
	}
}

// effects collects what a batch changed, to announce after COMMIT.
type effects struct {
	ready   []persistence.ReadyJob
	delayed []persistence.ReadyJob
	events  []*messages.JobEvent
	// workflows: per workflow, its changed jobs, for the actor that
	// tracks it (in the order the workflows were first touched).
	workflows map[persistence.WorkflowID][]messages.JobChange
	wfOrder   []persistence.WorkflowID
	wfEvents  []*messages.JobEvent // workflows' status changes
	wfStatus  map[persistence.WorkflowID]persistence.WorkflowStatus
	told      map[workflowJob]bool // completions told to other workflows' actors
	// observed: the node has an Observer; attempts are the ends of this
	// node's attempts, for it.
	observed bool
	attempts []endedAttempt
	// stopped: attempts of running jobs that were cancelled, for the
	// dispatcher to stop.
	stopped []messages.AttemptCancelled
	// released: attempts releaseNode put back to pending (see
	// store.released), noted once the batch commits.
	released []persistence.ExecutionID
}

// flush applies the batch in one transaction, commits, then answers.
//
// Commands run without savepoints: a refused change (wrong state, stale
// report, unknown job) writes nothing, so it needs none, and a savepoint
// per command costs a copy of every page it touches. If a command fails
// for another reason (a constraint, I/O), the transaction is rolled back
// and the batch is applied again with a savepoint around each command, so
// the failure stays with its own command.
func (s *store) flush(ctx actor.Context) {
	if len(s.batch) == 0 {
		return
	}
	batch := s.batch
	s.batch = nil
	if s.deps.halted() != nil {
		s.refuse(ctx, batch)
		return
	}
	began := time.Now()
	replies, fx, err := s.applyBatch(batch, false, nil)
	if s.deps.damaged(err) || s.deps.halted() != nil {
		_ = s.deps.Store.Rollback()
		s.refuse(ctx, batch)
		return
	}
	var busy *beginBusyError
	if errors.As(err, &busy) {
		// Another process holds the write lock past busy_timeout. Nothing
		// was written and nobody was answered: keep the batch (commands
		// that arrive meanwhile join it) and try again after a backoff.
		s.batch = append(batch, s.batch...)
		s.busyRetries++
		delay := min(busyBackoff<<min(s.busyRetries-1, 6), maxBusyBackoff)
		s.log.Warn().Err(busy.err).Int("batch_size", len(s.batch)).Int("retry", s.busyRetries).Dur("backoff", delay).
			Msg("database busy: another process holds the write lock; retrying")
		s.flushQueued = true
		self, root := ctx.Self(), ctx.ActorSystem().Root
		time.AfterFunc(delay, func() { root.Send(self, &flushBatch{}) })
		return
	}
	s.busyRetries = 0
	if err == nil && s.hardErr {
		_ = s.deps.Store.Rollback()
		replies, fx, err = s.applyBatch(batch, true, nil)
		if s.deps.damaged(err) || s.deps.halted() != nil {
			_ = s.deps.Store.Rollback()
			s.refuse(ctx, batch)
			return
		}
	}
	// SQLite rolled the transaction back at one command: that command
	// alone fails; the others are applied again without it.
	var skip map[int]any
	var skipKeep []pendingCmd
	var skipClaims []persistence.JobID
	skipFull := false
	for splits := 0; err != nil && s.aborted != nil && splits < maxSplits && len(skip) < len(batch)-1; splits++ {
		i := s.abortedAt
		c := batch[i]
		if skip == nil {
			skip = map[int]any{}
		}
		skip[i] = failedReply(c.msg, err)
		if errors.Is(err, persistence.ErrFull) {
			skipFull = true
			switch m := c.msg.(type) {
			case *messages.FinishAttempt:
				skipKeep = append(skipKeep, c)
			case *messages.ClaimJobs:
				for _, cl := range m.Claims {
					skipClaims = append(skipClaims, cl.JobID)
				}
			}
		}
		s.log.Warn().Err(err).Str("command", fmt.Sprintf("%T", c.msg)).Int("batch_size", len(batch)).
			Msg("transaction rolled back by the database; applying the batch again without the command that failed")
		_ = s.deps.Store.Rollback()
		replies, fx, err = s.applyBatch(batch, true, skip)
	}
	if err == nil && len(skip) > 0 {
		s.fullKeep = append(s.fullKeep, skipKeep...)
		s.fullClaims = append(s.fullClaims, skipClaims...)
		s.fullHit = s.fullHit || skipFull
	}
	if err != nil {
		s.log.Error().Err(err).Int("batch_size", len(batch)).Msg("batch not committed")
		s.fullKeep, s.fullClaims, s.wrote = nil, nil, false
		full := errors.Is(err, persistence.ErrFull)
		for i, c := range batch {
			replies[i] = failedReply(c.msg, err)
			if !full {
				continue
			}
			s.fullHit = true
			switch m := c.msg.(type) {
			case *messages.FinishAttempt:
				s.fullKeep = append(s.fullKeep, c)
			case *messages.ClaimJobs:
				for _, cl := range m.Claims {
					s.fullClaims = append(s.fullClaims, cl.JobID)
				}
			}
		}
		fx = &effects{}
	} else {
		s.stats.Commits++
		s.stats.Commands += int64(len(batch))
		s.stats.MaxBatch = max(s.stats.MaxBatch, int64(len(batch)))
		s.observe(len(batch), time.Since(began), fx)
		s.noteReleased(fx)
	}
	for i, c := range batch {
		if replies[i] != nil && c.sender != nil {
			ctx.Send(c.sender, replies[i])
		}
	}
	s.announce(ctx, fx)
	s.afterFull(ctx)
}

// applyBatch runs the batch in one transaction. Without safe, it stops at
// the first command that fails for a reason other than a refusal, leaving
// s.hardErr set and the transaction open for the caller to roll back;
// otherwise it commits. The commands in skip are not applied: they get the
// reply given. When SQLite rolls the transaction back (safe mode), it
// returns that error, with s.aborted set and s.abortedAt at the command.
func (s *store) applyBatch(batch []pendingCmd, safe bool, skip map[int]any) ([]any, *effects, error) {
	replies := make([]any, len(batch))
	fx := &effects{observed: observed(s.deps.Observer)}
	s.safe, s.hardErr, s.aborted, s.abortedAt = safe, false, nil, -1
	s.fullHit, s.wrote, s.fullKeep, s.fullClaims = false, false, nil, nil
	if err := s.deps.Store.Begin(); err != nil {
		if errors.Is(err, persistence.ErrBusy) {
			return replies, fx, &beginBusyError{err: err}
		}
		return replies, fx, err
	}
	for i, c := range batch {
		if r, ok := skip[i]; ok {
			replies[i] = r
			continue
		}
		replies[i] = s.apply(c, fx)
		if err := s.deps.halted(); err != nil {
			return replies, fx, err // the file is damaged: the caller rolls back
		}
		if s.aborted != nil {
			s.abortedAt = i
			return replies, fx, s.aborted
		}
		if s.hardErr && !safe {
			return replies, fx, nil
		}
	}
	return replies, fx, s.deps.Store.Commit()
}

// do runs one change: inside a savepoint in safe mode, else directly,
// noting an error that is not a refusal.
func (s *store) do(fn func() error) error {
	if s.safe {
		err := s.deps.Store.Do(fn)
		s.deps.damaged(err)
		if errors.Is(err, persistence.ErrRolledBack) {
			s.aborted = err
		}
		s.fullHit = s.fullHit || errors.Is(err, persistence.ErrFull)
		return err
	}
	err := fn()
	s.deps.damaged(err)
	if err != nil && !persistence.IsRefusal(err) {
		s.hardErr = true
	}
	return err
}

// apply runs one command inside the open transaction and returns its reply
// (nil when the command has none).
func (s *store) apply(c pendingCmd, fx *effects) any {
	st := s.deps.Store
	now := s.deps.Now()
	switch m := c.msg.(type) {
	case *messages.SubmitJobs:
		var ins []persistence.Inserted
		err := s.changeAndSettle(fx, now, func() (c persistence.Cascade, err error) {
			if m.Workflow == nil {
				ins, err = st.InsertJobs(m.Jobs, now)
				return c, err
			}
			// Writes that must go together: a refused job (an unknown
			// dependency) must not leave the workflow row. (Settling ends
			// a workflow whose jobs were all cancelled at once: their
			// parents had failed.)
			return persistence.Cascade{WorkflowID: m.Workflow.ID}, st.Do(func() (err error) {
				if err := st.InsertWorkflow(*m.Workflow, now); err != nil {
					return err
				}
				ins, err = st.InsertJobs(m.Jobs, now)
				return err
			})
		})
		if err == nil {
			s.wrote = true
			fx.submitted(m, ins, now)
			return &messages.SubmitJobsReply{Inserted: ins}
		}
		return &messages.SubmitJobsReply{Err: err}
	case *messages.ClaimJobs:
		r := &messages.ClaimJobsReply{}
		for _, c := range m.Claims {
			var job *persistence.Job
			err := s.do(func() (err error) { job, err = st.Claim(c); return err })
			if err != nil {
				if errors.Is(err, persistence.ErrFull) {
					s.fullClaims = append(s.fullClaims, c.JobID)
				}
				r.Refused = append(r.Refused, messages.ClaimRefused{Claim: c, Err: err})
				continue
			}
			s.wrote = true
			r.Claimed = append(r.Claimed, job)
			fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventStarted, JobID: job.ID, Name: job.Name,
				Function: job.Function, Status: persistence.StatusRunning, Attempt: job.Attempts, MaxAttempts: job.MaxAttempts,
				ExecutionID: job.ExecutionID, At: now})
		}
		return r
	case *messages.FinishAttempt:
		if s.released[m.Finish.ExecutionID] {
			return nil // released at once already: the job is pending
		}
		var out persistence.Finished
		err := s.changeAndSettle(fx, now, func() (c persistence.Cascade, err error) {
			if out, err = st.Finish(m.Finish); err != nil || !out.Status.Final() {
				return c, err // a retry leaves every workflow as it was
			}
			return out.Cascade, nil
		})
		if err != nil {
			var stale *persistence.StaleExecutionError
			if s.deps.damaged(err) {
				// Reported once by damaged; the batch is refused.
			} else if errors.As(err, &stale) {
				s.log.Warn().Err(err).Str("job_id", string(m.Finish.JobID)).Msg("stale attempt report ignored")
			} else if errors.Is(err, persistence.ErrFull) {
				s.fullKeep = append(s.fullKeep, c)
				s.log.Warn().Err(err).Str("job_id", string(m.Finish.JobID)).Msg("attempt report kept: database full; retrying")
			} else {
				s.log.Error().Err(err).Str("job_id", string(m.Finish.JobID)).Msg("attempt report not applied")
			}
			return nil
		}
		s.wrote = true
		fx.ended(m.Finish, out, m.Elapsed, now)
		if fx.observed {
			fx.attempts = append(fx.attempts, endedAttempt{m.Function, attemptEnd(m.Finish.Outcome, out.Status), m.Elapsed})
		}
		return nil
	case *registerNode:
		s.applyNode(fx, now, true)
		return nil
	case *heartbeat:
		s.applyNode(fx, now, false)
		return nil
	case *messages.ReportProgress:
		s.applyProgress(m, fx, now)
		return nil
	case *messages.JoinNode:
		return s.applyJoinNode(m, fx, now)
	case *messages.TouchNode:
		s.applyTouchNode(m)
		return nil
	case *messages.NodeGone:
		s.applyNodeGone(m, fx, now)
		return nil
	case *messages.ChangeJobs:
		return s.applyChange(m, fx, now)
	case *messages.Sync:
		return &messages.SyncReply{}
	case *releaseNode:
		return s.applyRelease(m, fx, now)
	case *messages.ChangeSchedule, *messages.FireSchedules:
		return s.applySchedules(m, fx)
	}
	return nil
}

func (s *store) applyChange(m *messages.ChangeJobs, fx *effects, now time.Time) any {
	st := s.deps.Store
	switch m.Op {
	case messages.OpCancel:
		var c persistence.Cascade
		var run persistence.CancelledRun
		err := s.changeAndSettle(fx, now, func() (_ persistence.Cascade, err error) {
			c, err = st.Cancel(m.JobID)
			var te *persistence.TransitionError
			if errors.As(err, &te) && te.From == persistence.StatusRunning {
				// A running job: its attempt ends cancelled, and its
				// worker is told to stop it after COMMIT.
				run, err = st.CancelRunning(m.JobID, "cancelled while running")
				c = run.Cascade
			}
			return c, err
		})
		if err != nil {
			return &messages.ChangeJobsReply{Err: err}
		}
		if run.ExecutionID != "" {
			fx.stopped = append(fx.stopped, messages.AttemptCancelled{JobID: m.JobID, ExecutionID: run.ExecutionID})
		}
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventCancelled, JobID: m.JobID,
			Status: persistence.StatusCancelled, WorkflowID: c.WorkflowID, At: now})
		if c.WorkflowID != "" {
			fx.change(c.WorkflowID, messages.JobChange{JobID: m.JobID, Status: persistence.StatusCancelled})
		}
		fx.cascade(m.JobID, c, now)
		return &messages.ChangeJobsReply{Count: 1 + len(c.Cancelled)}
	case messages.OpRequeue:
		var d persistence.Dependent
		var c persistence.Cascade
		err := s.changeAndSettle(fx, now, func() (_ persistence.Cascade, err error) {
			d, c, err = st.Requeue(m.JobID)
			return c, err
		})
		if err != nil {
			return &messages.ChangeJobsReply{Err: err}
		}
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventRequeued, JobID: m.JobID, Name: d.Name,
			Function: d.Job.Function, Status: persistence.StatusPending, WorkflowID: d.WorkflowID, At: now})
		fx.pending(d)
		fx.cascade(m.JobID, c, now)
		return &messages.ChangeJobsReply{Count: 1 + len(c.Revived)}
	case messages.OpCancelWorkflow:
		var cancelled []persistence.Dependent
		err := s.changeAndSettle(fx, now, func() (_ persistence.Cascade, err error) {
			cancelled, err = st.CancelWorkflow(m.WorkflowID)
			return persistence.Cascade{WorkflowID: m.WorkflowID, Cancelled: cancelled}, err
		})
		if err != nil {
			return &messages.ChangeJobsReply{Err: err}
		}
		fx.cascade("", persistence.Cascade{Cancelled: cancelled}, now)
		return &messages.ChangeJobsReply{Count: len(cancelled)}
	case messages.OpClearCompleted:
		var n int
		err := s.do(func() (err error) { n, err = st.ClearCompleted(m.Before); return err })
		return &messages.ChangeJobsReply{Count: n, Err: err}
	}
	return &messages.ChangeJobsReply{Err: fmt.Errorf("unknown change %d", m.Op)}
}

// finished records what the end of an attempt did: an event, and the job
// for the dispatcher or the scheduler when it is pending again.
func (fx *effects) finished(f persistence.Finish, out persistence.Finished, elapsed time.Duration, now time.Time) {
	ev := &messages.JobEvent{JobID: f.JobID, Name: out.Name, Function: out.Job.Function, Status: out.Status,
		Attempt: out.Attempts, MaxAttempts: out.MaxAttempts, ExecutionID: f.ExecutionID, Error: f.Error,
		Elapsed: elapsed, WorkflowID: out.Cascade.WorkflowID, At: now}
	switch out.Status {
	case persistence.StatusCompleted:
		ev.Kind = messages.EventCompleted
	case persistence.StatusFailed:
		ev.Kind = messages.EventFailed
	case persistence.StatusTimeout:
		ev.Kind = messages.EventTimeout
	case persistence.StatusPending:
		ev.Kind, ev.RetryAfter = messages.EventRetrying, out.Job.RetryAfter
		if out.Job.RetryAfter.IsZero() {
			fx.ready = append(fx.ready, out.Job)
		} else {
			fx.delayed = append(fx.delayed, out.Job)
		}
	}
	fx.events = append(fx.events, ev)
}

// failedReply is the reply to a command whose batch did not commit.
func failedReply(msg any, err error) any {
	switch m := msg.(type) {
	case *messages.SubmitJobs:
		return &messages.SubmitJobsReply{Err: err}
	case *messages.ClaimJobs:
		r := &messages.ClaimJobsReply{}
		for _, c := range m.Claims {
			r.Refused = append(r.Refused, messages.ClaimRefused{Claim: c, Err: err})
		}
		return r
	case *messages.ChangeJobs:
		return &messages.ChangeJobsReply{Err: err}
	case *messages.Sync:
		return &messages.SyncReply{Err: err}
	case *messages.JoinNode:
		return &messages.JoinNodeReply{Err: err}
	case *releaseNode:
		return &releaseNodeReply{err: err}
	case *messages.ChangeSchedule, *messages.FireSchedules:
		return failedScheduleReply(m, err)
	}
	return nil
}

// refuse answers every command of the batch with the error that the
// database file is damaged, writing nothing, and drops what the store kept
// to try again: nothing more is written to a damaged file (damage.go).
func (s *store) refuse(ctx actor.Context, batch []pendingCmd) {
	err := s.deps.halted()
	for _, c := range batch {
		if r := failedReply(c.msg, err); r != nil && c.sender != nil {
			ctx.Send(c.sender, r)
		}
	}
	s.held, s.reclaim = nil, nil
	s.fullKeep, s.fullClaims, s.fullHit, s.wrote = nil, nil, false, false
	s.stopFullTimer()
	s.stopWatch()
}

// announce tells the dispatcher, the scheduler and the subscribers what a
// committed batch changed.
func (s *store) announce(ctx actor.Context, fx *effects) {
	if len(fx.ready) > 0 && s.deps.dispatcher != nil {
		ctx.Send(s.deps.dispatcher, &messages.JobsReady{Jobs: fx.ready})
	}
	if len(fx.stopped) > 0 && s.deps.dispatcher != nil {
		ctx.Send(s.deps.dispatcher, &messages.StopAttempts{Attempts: fx.stopped})
	}
	if len(fx.delayed) > 0 && s.deps.scheduler != nil {
		ctx.Send(s.deps.scheduler, &messages.RetriesScheduled{Jobs: fx.delayed})
	}
	if events := append(fx.events, fx.wfEvents...); len(events) > 0 && s.deps.Publish != nil {
		s.deps.Publish(events)
	}
	s.announceWorkflows(ctx, fx)
}

// handleCheckExternal looks for other processes' writes and re-arms the
// watch timer.
func (s *store) handleCheckExternal(ctx actor.Context) {
	if s.deps.halted() != nil {
		return // the file is damaged: the watch stops
	}
	defer s.armWatch(ctx)
	changed, jobs, more, err := s.deps.Store.ExternalChanges(externalPage)
	for err == nil && changed {
		s.routeExternal(ctx, jobs)
		if !more {
			break
		}
		jobs, more, err = s.deps.Store.MoreExternalChanges(externalPage)
	}
	if err == nil && changed {
		s.routeExternalWorkflows(ctx)
		s.routeExternalSchedules(ctx)
		if s.deps.dispatcher != nil {
			ctx.Send(s.deps.dispatcher, &messages.OtherWrites{})
		}
	}
	if err != nil && !s.deps.damaged(err) {
		s.log.Warn().Err(err).Msg("read other processes' changes")
	}
}

func (s *store) routeExternal(ctx actor.Context, jobs []persistence.ReadyJob) {
	now := s.deps.Now()
	var fx effects
	for _, j := range jobs {
		if j.RetryAfter.After(now) {
			fx.delayed = append(fx.delayed, j)
		} else {
			j.RetryAfter = time.Time{}
			fx.ready = append(fx.ready, j)
		}
	}
	if len(jobs) > 0 {
		s.log.Debug().Int("jobs", len(jobs)).Msg("jobs written by another process")
	}
	s.announce(ctx, &fx)
}

func (s *store) armWatch(ctx actor.Context) {
	if s.deps.WatchInterval <= 0 || s.deps.dispatcher == nil {
		return // client-only: nobody to tell
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	s.watch = time.AfterFunc(s.deps.WatchInterval, func() { root.Send(self, &checkExternal{}) })
}

func (s *store) stopWatch() {
	if s.watch != nil {
		s.watch.Stop()
		s.watch = nil
	}
	if s.beat != nil {
		s.beat.Stop()
		s.beat = nil
	}
}
