package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// The store actor's side of cron schedules: it adds, removes, pauses and
// resumes them (ChangeSchedule, from the node) and enqueues their due jobs
// (FireSchedules, from the cron actor), in its batch, each guarded so that
// several nodes on one file enqueue a due time once. Its watch for other
// processes' writes tells the cron actor when schedules changed.

// applySchedules runs one schedule command inside the open transaction.
func (s *store) applySchedules(msg any, fx *effects) any {
	switch m := msg.(type) {
	case *messages.ChangeSchedule:
		sc, err := s.applyChangeSchedule(m)
		return &messages.ChangeScheduleReply{Schedule: sc, Err: err}
	case *messages.FireSchedules:
		return s.applyFireSchedules(m, fx)
	}
	return nil
}

func (s *store) applyChangeSchedule(m *messages.ChangeSchedule) (*persistence.Schedule, error) {
	st := s.deps.Store
	now := s.deps.Clock.Now()
	name := m.Name
	var err error
	switch m.Op {
	case messages.OpAddSchedule:
		sc := m.Schedule
		name = sc.Name
		spec, perr := ParseCron(sc.Cron, sc.Timezone)
		if perr != nil {
			return nil, perr
		}
		sc.NextRun = time.Time{}
		if sc.Enabled {
			sc.NextRun = spec.Next(now)
		}
		err = s.doSchedule(func() error { return st.InsertSchedule(sc, now) })
	case messages.OpRemoveSchedule:
		err = s.doSchedule(func() error { return st.DeleteSchedule(name) })
		if err == nil {
			s.noteScheduleSeq()
		}
		return nil, err
	case messages.OpPauseSchedule:
		err = s.doSchedule(func() error { return st.SetScheduleEnabled(name, false, time.Time{}, now) })
	case messages.OpResumeSchedule:
		err = s.doSchedule(func() error {
			sc, err := st.LockedSchedule(name)
			if err != nil || sc.Enabled {
				return err // resuming a running schedule changes nothing
			}
			spec, err := ParseCron(sc.Cron, sc.Timezone)
			if err != nil {
				return err
			}
			return st.SetScheduleEnabled(name, true, spec.Next(now), now)
		})
	default:
		return nil, fmt.Errorf("unknown schedule change %d", m.Op)
	}
	if err != nil {
		return nil, err
	}
	s.noteScheduleSeq()
	return st.LockedSchedule(name)
}

// doSchedule runs a schedule change like do, but a refusal (the name is
// taken, or unknown) wrote nothing and does not count as a failure of the
// batch.
func (s *store) doSchedule(fn func() error) error {
	var refused error
	err := s.do(func() error {
		err := fn()
		if persistence.IsScheduleRefusal(err) {
			refused = err
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refused
}

// applyFireSchedules enqueues the due schedules that are still due: for
// the others it answers with the schedule as it is now.
func (s *store) applyFireSchedules(m *messages.FireSchedules, fx *effects) *messages.FireSchedulesReply {
	st := s.deps.Store
	now := s.deps.Clock.Now()
	r := &messages.FireSchedulesReply{Results: make([]messages.FireResult, 0, len(m.Fires))}
	for _, f := range m.Fires {
		res := messages.FireResult{Name: f.Name}
		var ins []persistence.Inserted
		res.Err = s.do(func() (err error) {
			ins, res.Fired, err = st.AdvanceSchedule(f.Name, f.Due, f.Next, f.Run, f.Job, now)
			return err
		})
		switch {
		case res.Err != nil:
			res.Fired = false
		case res.Fired:
			s.noteScheduleSeq()
			if f.Job != nil {
				s.wrote = true
				fx.submitted(&messages.SubmitJobs{Jobs: []persistence.NewJob{*f.Job}}, ins, now)
			}
		default:
			sc, err := st.LockedSchedule(f.Name)
			if err == nil {
				res.Schedule = sc
			} else if !errors.Is(err, persistence.ErrNotFound) {
				res.Err = err
			}
		}
		r.Results = append(r.Results, res)
	}
	return r
}

// noteScheduleSeq records the schedules_seq this node's own write made,
// so that the watch does not take it for another process's change.
func (s *store) noteScheduleSeq() {
	if seq, err := s.deps.Store.SchedulesSeq(); err == nil {
		s.deps.schedSeen.Store(seq)
	}
}

// failedScheduleReply is the reply to a schedule command whose batch did
// not commit.
func failedScheduleReply(msg any, err error) any {
	switch m := msg.(type) {
	case *messages.ChangeSchedule:
		return &messages.ChangeScheduleReply{Err: err}
	case *messages.FireSchedules:
		r := &messages.FireSchedulesReply{}
		for _, f := range m.Fires {
			r.Results = append(r.Results, messages.FireResult{Name: f.Name, Err: err})
		}
		return r
	}
	return nil
}

// routeExternalSchedules tells the cron actor to reload the schedules when
// another process changed them (the watch saw PRAGMA data_version move).
func (s *store) routeExternalSchedules(ctx actor.Context) {
	if s.deps.cron == nil {
		return
	}
	seq, err := s.deps.Store.SchedulesSeq()
	if err != nil {
		s.deps.unlessDamaged(s.log.Warn(), err).Err(err).Msg("read other processes' schedule changes")
		return
	}
	if s.deps.schedSeen.Swap(seq) != seq {
		ctx.Send(s.deps.cron, &messages.SchedulesChanged{})
	}
}

// ChangeSchedule adds, removes, pauses or resumes a cron schedule through
// the store actor; it returns after COMMIT with the schedule as written
// (nil after remove), and tells this node's cron actor.
func (s *System) ChangeSchedule(ctx context.Context, c *messages.ChangeSchedule) (*persistence.Schedule, error) {
	v, err := s.request(ctx, s.deps.store, c)
	if err != nil {
		return nil, err
	}
	r := v.(*messages.ChangeScheduleReply)
	if r.Err == nil && s.deps.cron != nil {
		s.sys.Root.Send(s.deps.cron, &messages.SchedulesChanged{})
	}
	return r.Schedule, r.Err
}
