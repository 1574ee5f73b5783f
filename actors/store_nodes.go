package actors

// The store actor's part in node liveness: its own row in nodes, the
// heartbeat, and reclaiming the jobs of lost nodes.

import (
	"errors"
	"fmt"
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// applyNode registers this node's row (at start) or refreshes it (each
// heartbeat), then reclaims the jobs of lost nodes. Failures are logged:
// the next heartbeat tries again.
func (s *store) applyNode(fx *effects, now time.Time, register bool) {
	st := s.deps.Store
	self := persistence.Node{ID: s.deps.WorkerID, Host: s.deps.Host, PID: s.deps.PID, StartedAt: s.deps.startedAt,
		LastSeen: now, Handlers: []string{}, Concurrency: s.deps.Workers}
	if s.deps.Workers > 0 {
		self.Handlers = s.deps.handlerNames()
	}
	err := s.do(func() error {
		if register {
			return st.RegisterNode(self)
		}
		err := st.TouchNode(self.ID, now)
		if errors.Is(err, persistence.ErrNotFound) {
			// Another node took us for lost (we missed heartbeats) and
			// reclaimed our jobs; our late reports will be fenced off.
			s.log.Warn().Str("node", self.ID).Msg("node row was gone (taken for lost); registering again")
			return st.RegisterNode(self)
		}
		return err
	})
	if err != nil {
		if !s.deps.damaged(err) {
			s.log.Warn().Err(err).Msg("node heartbeat")
		}
		return
	}
	var lost []string
	if err := s.do(func() (err error) {
		lost, err = st.LostNodes(self.ID, self.Host, now.Add(-s.deps.Lease), s.deps.ProcessAlive)
		return err
	}); err != nil {
		if !s.deps.damaged(err) {
			s.log.Warn().Err(err).Msg("look for lost nodes")
		}
		return
	}
	for _, id := range lost {
		n := s.reclaimAttempts(fx, now, id, func() ([]persistence.Reclaimed, error) { return st.ReclaimNode(id) })
		if n >= 0 {
			s.log.Warn().Str("node", id).Int("jobs", n).Msg("node lost; its running jobs reclaimed")
		}
	}
}

// reclaimAttempts runs take (which ends running attempts of node id as failed) in
// the batch, settles the workflows of the jobs that reached a final state,
// and notes the effects. It returns how many attempts were ended, or -1
// when the change failed (logged; nothing of it is written).
func (s *store) reclaimAttempts(fx *effects, now time.Time, id string, take func() ([]persistence.Reclaimed, error)) int {
	var jobs []persistence.Reclaimed
	var settled []workflowStatus
	if err := s.do(func() (err error) {
		if jobs, err = take(); err != nil {
			return err
		}
		for _, r := range jobs {
			more, err := s.settleEnded(r.Finished)
			if err != nil {
				return err
			}
			settled = append(settled, more...)
		}
		return nil
	}); err != nil {
		if !s.deps.damaged(err) {
			s.log.Error().Err(err).Str("node", id).Msg("reclaim jobs of node")
		}
		return -1
	}
	for _, r := range jobs {
		fx.ended(r.Finish, r.Finished, 0, now)
	}
	fx.statuses(settled, now)
	return len(jobs)
}

// applyJoinNode writes a remote worker node's row, and fails the attempts
// the database has running on it that it no longer has (it lost them with
// the primary, or restarted).
func (s *store) applyJoinNode(m *messages.JoinNode, fx *effects, now time.Time) any {
	st := s.deps.Store
	if err := s.do(func() error { return st.RegisterRemoteNode(m.Node) }); err != nil {
		return &messages.JoinNodeReply{Err: err}
	}
	reason := fmt.Sprintf("node %s lost the attempt (it joined again without it)", m.Node.ID)
	n := s.reclaimAttempts(fx, now, m.Node.ID, func() ([]persistence.Reclaimed, error) { return st.ReclaimAttempts(m.Node.ID, m.Keep, reason) })
	if n < 0 {
		return &messages.JoinNodeReply{Err: fmt.Errorf("settle the attempts of node %s", m.Node.ID)}
	}
	return &messages.JoinNodeReply{Failed: n}
}

// applyTouchNode refreshes a remote worker node's row, writing it again if
// another process took the node for lost.
func (s *store) applyTouchNode(m *messages.TouchNode) {
	st := s.deps.Store
	err := s.do(func() error {
		err := st.TouchNode(m.Node.ID, m.Node.LastSeen)
		if errors.Is(err, persistence.ErrNotFound) {
			return st.RegisterRemoteNode(m.Node)
		}
		return err
	})
	if err != nil && !s.deps.damaged(err) {
		s.log.Warn().Err(err).Str("node", m.Node.ID).Msg("refresh worker node row")
	}
}

// applyNodeGone fails the running attempts of a remote worker node that
// was lost or left, and deletes its row.
func (s *store) applyNodeGone(m *messages.NodeGone, fx *effects, now time.Time) {
	st := s.deps.Store
	n := s.reclaimAttempts(fx, now, m.ID, func() ([]persistence.Reclaimed, error) {
		out, err := st.ReclaimAttempts(m.ID, nil, m.Reason)
		if err != nil {
			return nil, err
		}
		return out, st.RemoveNode(m.ID)
	})
	if n > 0 {
		s.log.Warn().Str("node", m.ID).Int("jobs", n).Str("reason", m.Reason).Msg("running jobs of worker node reclaimed")
	}
}

func (s *store) armHeartbeat(ctx actor.Context) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	s.beat = time.AfterFunc(s.deps.HeartbeatInterval, func() { root.Send(self, &heartbeatTick{}) })
}

// removeNode deletes this node's row as it stops. Jobs it could not finish
// (handlers that ignored cancellation) are then reclaimed at once by any
// live node, since their worker id has no row.
func (s *store) removeNode() {
	if s.deps.dispatcher == nil || s.deps.HeartbeatInterval <= 0 {
		return
	}
	st := s.deps.Store
	err := st.Begin()
	if err == nil {
		if err = st.RemoveNode(s.deps.WorkerID); err == nil {
			err = st.Commit()
		} else {
			_ = st.Rollback()
		}
	}
	if err != nil && !s.deps.damaged(err) {
		s.log.Warn().Err(err).Msg("remove node row")
	}
}
