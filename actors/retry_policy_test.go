package actors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// TestFinishAttemptRetryPolicy: a handler's SkipRetry and Snooze errors
// become their outcomes, also wrapped and during a shutdown; a panic
// stays a failure; and both cross to the primary intact.
func TestFinishAttemptRetryPolicy(t *testing.T) {
	t.Parallel()
	job := &persistence.Job{ID: "j", ExecutionID: "e", Timeout: time.Minute}
	snooze := &persistence.SnoozeError{Delay: 30 * time.Second}
	skip := fmt.Errorf("no such account: %w", persistence.ErrSkipRetry)
	for _, tc := range []struct {
		name     string
		msg      attemptDone
		shutdown bool
		want     persistence.Finish
	}{
		{"Snooze", attemptDone{err: snooze}, false,
			persistence.Finish{Outcome: persistence.OutcomeSnoozed, Snooze: 30 * time.Second, Error: "snoozed for 30s"}},
		{"WrappedSnoozeWhileShuttingDown", attemptDone{err: fmt.Errorf("later: %w", snooze)}, true,
			persistence.Finish{Outcome: persistence.OutcomeSnoozed, Snooze: 30 * time.Second, Error: "snoozed for 30s"}},
		{"SkipRetry", attemptDone{err: skip}, false,
			persistence.Finish{Outcome: persistence.OutcomeSkipRetry, Error: "no such account: do not retry"}},
		{"SkipRetryPastItsDeadline", attemptDone{err: skip, timedOut: true}, false,
			persistence.Finish{Outcome: persistence.OutcomeSkipRetry, Error: "no such account: do not retry"}},
		{"Panic", attemptDone{err: skip, panicked: "panic: boom"}, false,
			persistence.Finish{Outcome: persistence.OutcomeFailed, Error: "panic: boom"}},
		{"PlainError", attemptDone{err: errors.New("boom")}, false,
			persistence.Finish{Outcome: persistence.OutcomeFailed, Error: "boom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.want.JobID, tc.want.ExecutionID = job.ID, job.ExecutionID
			f := finishAttempt(job, &tc.msg, tc.shutdown, "node-1")
			require.Equal(t, tc.want, f)

			// The worker node's report, as the primary reads it.
			r := &messages.Report{ExecutionId: string(f.ExecutionID), JobId: string(f.JobID), Outcome: messages.ToOutcome(f.Outcome),
				Error: f.Error, SnoozeUs: f.Snooze.Microseconds()}
			back, ok := finishOf(r)
			require.True(t, ok)
			require.Equal(t, tc.want, back)
		})
	}
}
