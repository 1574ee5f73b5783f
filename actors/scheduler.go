package actors

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// scheduler owns the timers of jobs that wait: retries whose retry_delay has
// not passed. It keeps them in a min-heap by due time with one timer armed
// for the earliest, and hands due jobs to the dispatcher. Nothing polls.
//
// State: the heap and the armed timer. On NodeStarted (at start and after a
// restart) it reloads the waiting retries from the database, so a restart
// loses nothing.
type scheduler struct {
	deps  *Deps
	log   zerolog.Logger
	due   dueHeap
	timer *time.Timer
	armed time.Time // when the timer fires; zero when not armed
}

// schedulerTick is sent by the scheduler's timer to the scheduler.
type schedulerTick struct{}

func newSchedulerProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &scheduler{deps: d, log: d.Logger.With().Str("actor", "scheduler").Logger()}
	})
}

func (s *scheduler) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NodeStarted:
		s.handleNodeStarted(ctx)
	case *actor.Stopping, *actor.Restarting:
		s.disarm()
	case *messages.RetriesScheduled:
		for _, j := range msg.Jobs {
			heap.Push(&s.due, j)
		}
		s.fire(ctx)
	case *schedulerTick:
		s.armed = time.Time{}
		s.fire(ctx)
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		s.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (s *scheduler) handleNodeStarted(ctx actor.Context) {
	s.disarm()
	s.due = s.due[:0]
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := s.deps.Reader.DelayedJobs(c, maxDelayedLoad)
	if err != nil {
		// Nothing is lost: the jobs stay pending in the database and the
		// next restart or refill finds them.
		s.log.Error().Err(err).Msg("load delayed jobs")
		return
	}
	for _, j := range jobs {
		heap.Push(&s.due, j)
	}
	s.fire(ctx)
}

// maxDelayedLoad bounds how many waiting retries are loaded at start.
const maxDelayedLoad = 100_000

// fire hands every due job to the dispatcher and arms the timer for the
// next one.
func (s *scheduler) fire(ctx actor.Context) {
	now := s.deps.Now()
	var ready []persistence.ReadyJob
	for s.due.Len() > 0 && !s.due[0].RetryAfter.After(now) {
		j := heap.Pop(&s.due).(persistence.ReadyJob)
		j.RetryAfter = time.Time{}
		ready = append(ready, j)
	}
	if len(ready) > 0 {
		ctx.Send(s.deps.dispatcher, &messages.JobsReady{Jobs: ready})
	}
	if s.due.Len() == 0 {
		return
	}
	next := s.due[0].RetryAfter
	if !s.armed.IsZero() && !s.armed.After(next) {
		return // already armed early enough
	}
	s.disarm()
	self, root := ctx.Self(), ctx.ActorSystem().Root
	s.armed = next
	s.timer = time.AfterFunc(next.Sub(now), func() { root.Send(self, &schedulerTick{}) })
}

func (s *scheduler) disarm() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.armed = time.Time{}
}

// dueHeap orders waiting jobs by RetryAfter.
type dueHeap []persistence.ReadyJob

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].RetryAfter.Before(h[j].RetryAfter) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(persistence.ReadyJob)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
