package actors

// The store actor's handling of a full disk (see the store type's comment).

import (
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/persistence"
)

// pendingReader reads which jobs are still pending, on the write
// connection. *persistence.Store implements it.
type pendingReader interface {
	PendingJobs(ids []persistence.JobID) ([]persistence.ReadyJob, error)
}

// retryFull is sent by the full-disk backoff timer to the store actor: apply
// the kept reports again, and announce the jobs whose claim failed.
type retryFull struct{}

// afterFull keeps what a batch could not write for want of space, and arms
// the backoff that tries it again.
func (s *store) afterFull(ctx actor.Context) {
	s.held = append(s.held, s.fullKeep...)
	s.reclaim = append(s.reclaim, s.fullClaims...)
	if s.fullHit {
		s.log.Warn().Int("reports_kept", len(s.held)).Int("claims_failed", len(s.reclaim)).
			Msg("database or disk full: submits fail until space returns; attempt reports are kept and retried")
	}
	if !s.fullHit && s.wrote && len(s.held) == 0 && len(s.reclaim) == 0 {
		s.fullRetries = 0
	}
	s.fullKeep, s.fullClaims, s.fullHit, s.wrote = nil, nil, false, false
	if (len(s.held) == 0 && len(s.reclaim) == 0) || s.fullTimer != nil {
		return
	}
	delay := min(busyBackoff<<min(s.fullRetries, 6), maxBusyBackoff)
	s.fullRetries++
	self, root := ctx.Self(), ctx.ActorSystem().Root
	s.fullTimer = time.AfterFunc(delay, func() { root.Send(self, &retryFull{}) })
}

// handleRetryFull announces again the jobs whose claim failed for want of
// space (those still pending), and applies the kept reports again.
func (s *store) handleRetryFull(ctx actor.Context) {
	s.fullTimer = nil
	if len(s.reclaim) > 0 {
		ids := s.reclaim
		s.reclaim = nil
		if r, ok := s.deps.Store.(pendingReader); ok && s.deps.dispatcher != nil {
			jobs, err := r.PendingJobs(ids)
			if err != nil {
				s.deps.unlessDamaged(s.log.Warn(), err).Err(err).Msg("read jobs whose claim failed")
				s.reclaim = ids
			} else {
				s.routeExternal(ctx, jobs)
			}
		}
	}
	s.batch = append(s.held, s.batch...)
	s.held = nil
	s.flush(ctx) // arms the next try when something is still kept
	if s.fullTimer == nil && len(s.reclaim) > 0 {
		s.afterFull(ctx)
	}
}

func (s *store) stopFullTimer() {
	if s.fullTimer != nil {
		s.fullTimer.Stop()
		s.fullTimer = nil
	}
}
