package actors

// A handler's progress: the reporter a handler's context carries, and the
// store's part.

import (
	"context"
	"sync"
	"time"

	"github.com/gigq-go/gigq/internal/taskrun"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// EventProgress is the kind of the events of progress reports.
const EventProgress = messages.EventProgress

// ProgressInterval is the least time between two progress reports of one
// attempt that reach the store: a handler may report as often as it likes;
// the last report of each interval is kept.
const ProgressInterval = 250 * time.Millisecond

// progressReporter throttles one attempt's progress reports to one per
// ProgressInterval, sending the latest with send.
type progressReporter struct {
	send func(fraction float64, message string)

	mu      sync.Mutex
	last    time.Time
	pending *messages.ReportProgress // the latest report not sent yet
	timer   *time.Timer
	stopped bool
}

// withProgress returns ctx carrying a reporter that sends with send, and
// the function that stops it when the attempt ends (a pending report is
// dropped: the attempt's outcome supersedes it).
func withProgress(ctx context.Context, send func(float64, string)) (context.Context, func()) {
	r := &progressReporter{send: send}
	return taskrun.WithProgress(ctx, r.report), r.stop
}

func (r *progressReporter) report(fraction float64, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	now := time.Now()
	if wait := ProgressInterval - now.Sub(r.last); wait > 0 {
		r.pending = &messages.ReportProgress{Fraction: fraction, Message: message}
		if r.timer == nil {
			r.timer = time.AfterFunc(wait, r.flush)
		}
		return
	}
	r.last = now
	r.send(fraction, message)
}

func (r *progressReporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	if r.stopped || r.pending == nil {
		return
	}
	p := r.pending
	r.pending, r.last = nil, time.Now()
	r.send(p.Fraction, p.Message)
}

func (r *progressReporter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// applyProgress writes a running attempt's progress and publishes it.
func (s *store) applyProgress(m *messages.ReportProgress, fx *effects, now time.Time) {
	var changed bool
	err := s.do(func() (err error) {
		changed, err = s.deps.Store.SetProgress(m.JobID, m.ExecutionID, m.Fraction, m.Message, now)
		return err
	})
	if err != nil {
		s.deps.unlessDamaged(s.log.Warn(), err).Err(err).Str("job_id", string(m.JobID)).Msg("progress not written")
		return
	}
	if changed {
		fx.events = append(fx.events, &messages.JobEvent{Kind: messages.EventProgress, JobID: m.JobID,
			Status: persistence.StatusRunning, ExecutionID: m.ExecutionID, Progress: m.Fraction, ProgressMessage: m.Message, At: now})
	}
}
