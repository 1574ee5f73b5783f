package gigq

import (
	"errors"
	"fmt"
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// Backoff is an exponential retry policy with jitter, the alternative to
// a fixed SubmitOpts.RetryDelay. Retry n (n = the attempts used so far, 1
// for the retry after the first attempt) waits
//
//	d = min(Max, Base*Factor^(n-1))
//
// less a random part of at most Jitter*d: the wait is drawn uniformly from
// [d*(1-Jitter), d], so Max stays a true bound and jobs that failed
// together spread out even at the cap.
//
// Set it per job (SubmitOpts.Backoff) or per task (Task.WithBackoff). The
// policy is stored on the job when it is submitted, and the store computes
// each retry's delay from it when an attempt fails or times out. A policy
// that Validate refuses is refused at submit (an error matching
// ErrInvalidJob, or ErrInvalidWorkflow for a step), and makes WithBackoff
// panic.
type Backoff struct {
	// Base is the first retry's delay (before jitter). Required: > 0.
	Base time.Duration
	// Factor multiplies the delay at each further retry. 0 means
	// DefaultBackoffFactor (2); else at least 1 (1 is a constant delay).
	Factor float64
	// Max caps the delay. 0: no cap; else at least Base.
	Max time.Duration
	// Jitter is the fraction of the delay that is random, 0 to 1: 0 is
	// exact (the default), 0.1 a delay between 90% and 100% of d, 1 "full
	// jitter" (anywhere between 0 and d).
	Jitter float64
}

// Validate says what is wrong with b, naming the field, e.g.
// "Backoff.Base must be positive (got 0s)"; nil if nothing. A zero Factor
// counts as DefaultBackoffFactor.
func (b Backoff) Validate() error { return b.stored().Validate() }

// stored is b as the store keeps it: persistence's policy (the same
// fields), its zero Factor defaulted.
func (b Backoff) stored() persistence.Backoff { return persistence.Backoff(b).WithDefaults() }

// backoffOf is the public form of a stored policy (nil: none).
func backoffOf(p *persistence.Backoff) *Backoff {
	if p == nil {
		return nil
	}
	b := Backoff(*p)
	return &b
}

// ErrSkipRetry, wrapped in a handler's error (SkipRetry, or
// fmt.Errorf("...: %w", gigq.ErrSkipRetry)), fails the job at once,
// whatever attempts remain. The job's error is the handler's error text.
var ErrSkipRetry = persistence.ErrSkipRetry

// SkipRetry marks err as final: returned by a handler, the attempt fails
// and the job goes to failed at once, without its remaining retries. The
// job's error is err's text; errors.Is(…, err) still holds. A nil err
// gives nil.
func SkipRetry(err error) error {
	if err == nil {
		return nil
	}
	return &skipRetryError{err: err}
}

type skipRetryError struct{ err error }

func (e *skipRetryError) Error() string   { return e.err.Error() }
func (e *skipRetryError) Unwrap() []error { return []error{e.err, ErrSkipRetry} }

// Snooze, returned by a handler, puts its job back to pending for d: no
// worker claims it before then, and the attempt does not count (the job's
// attempts are as before it; its execution ends "snoozed", with the error
// "snoozed for d"). A d of 0 or less makes it ready at once.
// Watch for handlers that snooze forever: a snooze never uses up
// MaxAttempts.
func Snooze(d time.Duration) error {
	return &SnoozeError{Delay: max(d, 0)}
}

// SnoozeError is the error Snooze returns: a handler that returns it
// (wrapped or not) puts its job back to pending for Delay, and the attempt
// does not count. A handler's test can check what it returned with
// errors.As(err, &se) and a se of type *gigq.SnoozeError.
//
// Fields:
//
//	Delay time.Duration  how long the job waits before a worker may claim it again (0: ready at once)
//
// Methods: Error returns "snoozed for <Delay>", the error the attempt's
// execution records.
type SnoozeError = persistence.SnoozeError

// WithBackoff sets the task's retry policy: jobs of the task submitted
// through it (Task.Submit, Task.Step) that set neither SubmitOpts.Backoff
// nor SubmitOpts.RetryDelay get b. It panics on an invalid policy (a
// programming error) and returns t.
//
// The policy is stored on each job at submit, so it also covers panics and
// timeouts, and the store applies it whichever node runs the job. A job
// submitted by name (Node.Submit, the CLI) does not know the task's
// options: give it SubmitOpts.Backoff.
func (t *Task[Args, Result]) WithBackoff(b Backoff) *Task[Args, Result] {
	p := b.stored()
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("gigq: task %q: %v", t.name, err))
	}
	t.backoff = backoffOf(&p)
	return t
}

// Backoff returns the task's retry policy (nil: none).
func (t *Task[Args, Result]) Backoff() *Backoff {
	if t.backoff == nil {
		return nil
	}
	b := *t.backoff
	return &b
}

// withTaskBackoff returns opts with the task's policy when opts sets no
// policy of its own (opts is not modified).
func withTaskBackoff(opts *SubmitOpts, b *Backoff) *SubmitOpts {
	if b == nil || (opts != nil && (opts.Backoff != nil || opts.RetryDelay > 0)) {
		return opts
	}
	var o SubmitOpts
	if opts != nil {
		o = *opts
	}
	c := *b
	o.Backoff = &c
	return &o
}

// checkBackoff validates a submit's policy and returns the one to store.
func checkBackoff(o *SubmitOpts) (*persistence.Backoff, error) {
	if o.Backoff == nil {
		return nil, nil
	}
	if o.RetryDelay > 0 {
		return nil, errors.New("gigq: set RetryDelay or Backoff, not both")
	}
	b := o.Backoff.stored()
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("gigq: %w", err)
	}
	return &b, nil
}

// backoffJSON is a Backoff's form in a job's JSON: seconds, as for
// retry_delay ("backoff": null for a job without one).
type backoffJSON struct {
	Base   float64 `json:"base"`
	Factor float64 `json:"factor"`
	Max    float64 `json:"max"`
	Jitter float64 `json:"jitter"`
}

func toBackoffJSON(b *Backoff) *backoffJSON {
	if b == nil {
		return nil
	}
	return &backoffJSON{Base: b.Base.Seconds(), Factor: b.Factor, Max: b.Max.Seconds(), Jitter: b.Jitter}
}

func (w *backoffJSON) backoff() *Backoff {
	if w == nil {
		return nil
	}
	return &Backoff{Base: secondsToDuration(w.Base), Factor: w.Factor, Max: secondsToDuration(w.Max), Jitter: w.Jitter}
}

// DefaultBackoffFactor is the Factor of a Backoff that sets none.
const DefaultBackoffFactor = persistence.DefaultBackoffFactor
