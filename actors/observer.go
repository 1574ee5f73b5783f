package actors

import (
	"time"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// Observer hears what the actors did, for metrics. The store actor calls
// Submitted, AttemptEnded, Cancelled and Batch after each COMMIT (never
// for a batch that did not commit), on its own goroutine; the workers call
// WorkerBusy from theirs, so an implementation must be safe for concurrent
// use. Every method is on a hot path: it must be cheap and must not block.
type Observer interface {
	// Submitted: a commit wrote n new jobs.
	Submitted(n int)
	// AttemptEnded: a commit wrote the end of an attempt of a job of the
	// named function, which ran for elapsed.
	AttemptEnded(function string, end AttemptEnd, elapsed time.Duration)
	// Cancelled: a commit cancelled n jobs (by a cancel, or because a job
	// they depend on failed, timed out or was cancelled).
	Cancelled(n int)
	// Batch: a group commit applied that many commands, and its
	// transactions took commit, from BEGIN to COMMIT.
	Batch(commands int, commit time.Duration)
	// WorkerBusy: a worker started (+1) or ended (-1) an attempt.
	WorkerBusy(delta int)
}

// AttemptEnd is how a committed attempt ended.
type AttemptEnd int

// The ends of an attempt.
const (
	AttemptCompleted AttemptEnd = iota // the job completed
	AttemptFailed                      // the job failed for good
	AttemptTimeout                     // the job timed out for good
	AttemptRetry                       // failed or timed out; the job is pending again
	AttemptReleased                    // stopped by the node's shutdown; not counted
	NumAttemptEnds                     // the number of AttemptEnd values
)

var attemptEndNames = [NumAttemptEnds]string{"completed", "failed", "timeout", "retry", "released"}

// String is the end's name: completed, failed, timeout, retry or released.
func (e AttemptEnd) String() string {
	if e < 0 || e >= NumAttemptEnds {
		return "unknown"
	}
	return attemptEndNames[e]
}

// attemptEnd classifies a committed report by its outcome and the job's
// new state.
func attemptEnd(o persistence.Outcome, s persistence.Status) AttemptEnd {
	switch {
	case o == persistence.OutcomeReleased:
		return AttemptReleased
	case s == persistence.StatusCompleted:
		return AttemptCompleted
	case s == persistence.StatusFailed:
		return AttemptFailed
	case s == persistence.StatusTimeout:
		return AttemptTimeout
	}
	return AttemptRetry
}

// endedAttempt is the end of one of this node's attempts that a batch
// wrote, for the Observer after COMMIT. (Attempts reclaimed from lost
// nodes are not told: they have no duration.)
type endedAttempt struct {
	function string
	end      AttemptEnd
	elapsed  time.Duration
}

// observed reports whether o is a real Observer, not the default no-op.
func observed(o Observer) bool {
	_, nop := o.(nopObserver)
	return o != nil && !nop
}

// nopObserver is the Observer of a node without metrics.
type nopObserver struct{}

func (nopObserver) Submitted(int)                                  {}
func (nopObserver) AttemptEnded(string, AttemptEnd, time.Duration) {}
func (nopObserver) Cancelled(int)                                  {}
func (nopObserver) Batch(int, time.Duration)                       {}
func (nopObserver) WorkerBusy(int)                                 {}

// observe tells the Observer what a committed batch of that many commands
// did, its transactions having taken commit.
func (s *store) observe(commands int, commit time.Duration, fx *effects) {
	if !fx.observed {
		return
	}
	o := s.deps.Observer
	o.Batch(commands, commit)
	submitted, cancelled := 0, 0
	for _, ev := range fx.events {
		switch ev.Kind {
		case messages.EventSubmitted:
			submitted++
		case messages.EventCancelled:
			cancelled++
		}
	}
	if submitted > 0 {
		o.Submitted(submitted)
	}
	if cancelled > 0 {
		o.Cancelled(cancelled)
	}
	for _, a := range fx.attempts {
		o.AttemptEnded(a.function, a.end, a.elapsed)
	}
}
