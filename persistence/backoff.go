package persistence

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"zombiezen.com/go/sqlite"
)

// Backoff is an exponential retry policy with jitter, stored on the job
// (backoff_* columns, migration 0008). Retry n (n = the attempts used so
// far, 1 for the retry after the first attempt) waits
//
//	d = min(Max, Base * Factor^(n-1))
//
// less a random part of at most Jitter*d: the wait is drawn uniformly from
// [d*(1-Jitter), d], so Max stays a true bound and jobs that failed
// together spread out even at the cap. A job without a Backoff waits its
// fixed retry_delay.
type Backoff struct {
	// Base is the first retry's delay (before jitter). Required: > 0.
	Base time.Duration
	// Factor multiplies the delay at each further retry. 0 means 2; else
	// at least 1 (1 is a constant delay).
	Factor float64
	// Max caps the delay. 0: no cap.
	Max time.Duration
	// Jitter is the fraction of the delay that is random, 0 to 1: 0 is
	// exact (the default), 0.1 a delay between 90% and 100% of d, 1 "full
	// jitter" (anywhere between 0 and d).
	Jitter float64
}

// DefaultBackoffFactor is the Factor of a Backoff that sets none.
const DefaultBackoffFactor = 2

// WithDefaults returns b with its zero Factor defaulted.
func (b Backoff) WithDefaults() Backoff {
	if b.Factor == 0 {
		b.Factor = DefaultBackoffFactor
	}
	return b
}

// Validate says what is wrong with b, naming the field (nil if nothing).
// It expects WithDefaults applied (a zero Factor is refused).
func (b Backoff) Validate() error {
	switch {
	case b.Base <= 0:
		return fmt.Errorf("Backoff.Base must be positive (got %s)", b.Base)
	case math.IsNaN(b.Factor) || math.IsInf(b.Factor, 0) || b.Factor < 1:
		return fmt.Errorf("Backoff.Factor must be at least 1 (got %g)", b.Factor)
	case b.Max < 0:
		return fmt.Errorf("Backoff.Max must not be negative (got %s)", b.Max)
	case b.Max > 0 && b.Max < b.Base:
		return fmt.Errorf("Backoff.Max (%s) must not be below Backoff.Base (%s)", b.Max, b.Base)
	case math.IsNaN(b.Jitter) || b.Jitter < 0 || b.Jitter > 1:
		return fmt.Errorf("Backoff.Jitter must be between 0 and 1 (got %g)", b.Jitter)
	}
	return nil
}

// Ceiling is the delay of retry n before jitter: min(Max, Base*Factor^(n-1)).
// n below 1 counts as 1. It does not overflow: an uncapped delay stops at
// the largest time.Duration.
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.WithDefaults()
	if n < 1 {
		n = 1
	}
	d := float64(b.Base) * math.Pow(b.Factor, float64(n-1))
	if b.Max > 0 && d > float64(b.Max) {
		return b.Max
	}
	if d >= math.MaxInt64 || math.IsInf(d, 0) || math.IsNaN(d) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}

// Delay is the wait before retry n with r, a number in [0, 1), as the
// random part: Ceiling(n) * (1 - Jitter*r).
func (b Backoff) Delay(n int, r float64) time.Duration {
	d := b.Ceiling(n)
	if b.Jitter <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - b.Jitter*r))
}

// String is the policy's short form, "base=1s factor=2 max=1m0s jitter=0.1".
func (b Backoff) String() string {
	return fmt.Sprintf("base=%s factor=%g max=%s jitter=%g", b.Base, b.WithDefaults().Factor, b.Max, b.Jitter)
}

// retryDelay is the wait before the retry of a job that used attempts:
// its backoff's, if it has one, else its fixed retry_delay. (Read inside
// Finish's transaction, so the policy and the count are the row's.)
func retryDelay(fixed time.Duration, b *Backoff, attempts int) time.Duration {
	if b == nil {
		return fixed
	}
	return min(b.Delay(attempts, rand.Float64()), maxRetryDelay)
}

// maxRetryDelay bounds an uncapped backoff, so that now + delay stays a
// time SQLite can write (nanoseconds in an int64, a year before 9999).
const maxRetryDelay = 100 * 365 * 24 * time.Hour

// backoffColumns reads the policy from backoff_base, backoff_factor,
// backoff_max and backoff_jitter at column i (nil when backoff_base is
// NULL).
func backoffColumns(stmt *sqlite.Stmt, i int) *Backoff {
	if stmt.ColumnType(i) == sqlite.TypeNull {
		return nil
	}
	return &Backoff{Base: fromSeconds(stmt.ColumnFloat(i)), Factor: stmt.ColumnFloat(i + 1),
		Max: fromSeconds(stmt.ColumnFloat(i + 2)), Jitter: stmt.ColumnFloat(i + 3)}
}

// setBackoff binds $backoff_base, $backoff_factor, $backoff_max and
// $backoff_jitter (NULLs for no policy).
func setBackoff(stmt *sqlite.Stmt, b *Backoff) {
	if b == nil {
		for _, p := range []string{"$backoff_base", "$backoff_factor", "$backoff_max", "$backoff_jitter"} {
			stmt.SetNull(p)
		}
		return
	}
	d := b.WithDefaults()
	stmt.SetFloat("$backoff_base", seconds(d.Base))
	stmt.SetFloat("$backoff_factor", d.Factor)
	stmt.SetFloat("$backoff_max", seconds(d.Max))
	stmt.SetFloat("$backoff_jitter", d.Jitter)
}

// ErrSkipRetry, found in a handler's error with errors.Is, fails the job
// at once (OutcomeSkipRetry), whatever attempts remain. It lives here, the
// leaf package the workers and the public API share; package gigq exports
// it as gigq.ErrSkipRetry.
var ErrSkipRetry = errors.New("do not retry")

// SnoozeError, found in a handler's error with errors.As, puts the job
// back to pending for Delay without counting the attempt
// (OutcomeSnoozed). Package gigq makes it with gigq.Snooze.
type SnoozeError struct {
	Delay time.Duration
}

func (e *SnoozeError) Error() string { return SnoozedText(e.Delay) }

// SnoozedText is the error a snoozed attempt records: "snoozed for 30s".
func SnoozedText(d time.Duration) string { return fmt.Sprintf("snoozed for %s", d) }

// retryDelayOf reads what the retry of f's job would wait, inside Finish's
// transaction; ok is false when f's execution is not the job's running one
// (the UPDATE would change nothing either).
func (s *Store) retryDelayOf(f Finish) (time.Duration, bool, error) {
	stmt := s.conn.Prep(`SELECT attempts, retry_delay, backoff_base, backoff_factor, backoff_max, backoff_jitter
		FROM jobs WHERE id = $id AND +status = 'running' AND execution_id = $exec`)
	defer stmt.Reset()
	stmt.SetText("$id", string(f.JobID))
	stmt.SetText("$exec", string(f.ExecutionID))
	ok, err := stmt.Step()
	if err != nil {
		return 0, false, fmt.Errorf("finish job %s: read its retry policy: %w", f.JobID, interpretError(err))
	}
	if !ok {
		return 0, false, nil
	}
	return retryDelay(fromSeconds(stmt.ColumnFloat(1)), backoffColumns(stmt, 2), stmt.ColumnInt(0)), true, nil
}
