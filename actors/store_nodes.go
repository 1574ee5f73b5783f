package actors

// The store actor's part in node liveness: its own row in nodes, the
// heartbeat, and reclaiming the jobs of lost nodes.

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gigq-go/gigq/persistence"
)

// applyNode registers this node's row (at start) or refreshes it (each
// heartbeat), then reclaims the jobs of lost nodes. Failures are logged:
// the next heartbeat tries again.
func (s *store) applyNode(fx *effects, now time.Time, register bool) {
	st := s.deps.Store
	self := persistence.Node{ID: s.deps.WorkerID, Host: s.deps.Host, PID: s.deps.PID, StartedAt: s.deps.startedAt,
		LastSeen: now, Handlers: s.deps.handlerNames()}
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
		s.log.Warn().Err(err).Msg("node heartbeat")
		return
	}
	var lost []string
	if err := s.do(func() (err error) {
		lost, err = st.LostNodes(self.ID, self.Host, now.Add(-s.deps.Lease), s.deps.ProcessAlive)
		return err
	}); err != nil {
		s.log.Warn().Err(err).Msg("look for lost nodes")
		return
	}
	for _, id := range lost {
		var jobs []persistence.Reclaimed
		var settled []workflowStatus
		if err := s.do(func() (err error) {
			if jobs, err = st.ReclaimNode(id); err != nil {
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
			s.log.Error().Err(err).Str("node", id).Msg("reclaim jobs of lost node")
			continue
		}
		s.log.Warn().Str("node", id).Int("jobs", len(jobs)).Msg("node lost; its running jobs reclaimed")
		for _, r := range jobs {
			fx.ended(r.Finish, r.Finished, 0, now)
		}
		fx.statuses(settled, now)
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
	if err != nil {
		s.log.Warn().Err(err).Msg("remove node row")
	}
}
