package actors

// The store actor's part in stopping a node at once (System.Release): the
// running jobs go back to pending in one transaction.

import (
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/persistence"
)

// releaseNode asks the store actor to put every job running on this node
// and on its worker nodes back to pending, without counting the attempt,
// and to delete the node's row, in one transaction, now.
type releaseNode struct{ reason string }

// releaseNodeReply says how many jobs went back to pending, or why none
// did.
type releaseNodeReply struct {
	jobs int
	err  error
}

// stopClaiming asks the dispatcher to claim no more jobs (as Drain does,
// without waiting for the running ones); it answers stopClaimingReply.
type (
	stopClaiming      struct{}
	stopClaimingReply struct{}
)

// handleReleaseNode applies the release with the commands already waiting
// (one transaction), at once rather than at the next flush.
func (s *store) handleReleaseNode(ctx actor.Context, msg *releaseNode) {
	s.enqueue(ctx, msg)
	s.flush(ctx)
}

// applyRelease releases the node's running jobs inside the batch. Their
// attempts' later reports (the handlers see their context cancelled) are
// dropped: the jobs are pending already.
func (s *store) applyRelease(m *releaseNode, fx *effects, now time.Time) any {
	st := s.deps.Store
	var jobs []persistence.Reclaimed
	err := s.do(func() (err error) {
		jobs, err = st.ReleaseNode(s.deps.WorkerID, m.reason)
		return err
	})
	if err != nil {
		return &releaseNodeReply{err: err}
	}
	fx.released = make([]persistence.ExecutionID, 0, len(jobs)) // not nil: the release happened
	for _, r := range jobs {
		fx.released = append(fx.released, r.Finish.ExecutionID)
		fx.ended(r.Finish, r.Finished, 0, now)
	}
	return &releaseNodeReply{jobs: len(jobs)}
}

// noteReleased remembers, once their batch committed, the attempts a
// release put back to pending: their reports are dropped from now on.
func (s *store) noteReleased(fx *effects) {
	if fx.released == nil {
		return
	}
	if s.released == nil {
		s.released = map[persistence.ExecutionID]bool{}
	}
	for _, e := range fx.released {
		s.released[e] = true
	}
}
