package actors

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// scheduler owns the timers of jobs that wait for a time: retries whose
// retry_delay has not passed, and delayed jobs (run_at). It keeps the
// soonest of them in a min-heap by due time with one timer armed for the
// earliest, and hands due jobs to the dispatcher. Nothing polls.
//
// Memory is bounded: the heap holds at most maxHeld jobs. When more wait,
// it keeps the soonest, notes up to when it holds every waiting job
// (horizon), and reads the next ones from the jobs_retry index when the
// heap runs low or the horizon comes (a timer, like any due time).
//
// State: the heap, its horizon, and the armed timer. On NodeStarted (at
// start and after a restart) it reloads the waiting jobs from the
// database, so a restart loses nothing.
type scheduler struct {
	deps     *Deps
	log      zerolog.Logger
	due      dueHeap
	held     int       // the most jobs the heap holds (maxHeld)
	complete bool      // the heap holds every waiting job the database had
	horizon  time.Time // when not complete: every waiting job due by then is in the heap
	timer    *time.Timer
	armed    time.Time // when the timer fires; zero when not armed
}

// schedulerTick is sent by the scheduler's timer to the scheduler.
type schedulerTick struct{}

func newSchedulerProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &scheduler{deps: d, held: maxHeld, log: d.Logger.With().Str("actor", "scheduler").Logger()}
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
			s.add(j)
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
	s.load(time.Time{})
	s.fire(ctx)
}

// maxHeld bounds the waiting jobs the heap holds.
const maxHeld = 10_000

// load replaces the heap with the soonest waiting jobs due after after (the
// ones due by then were handed to the dispatcher already, or are found by
// its refill from the ready index).
func (s *scheduler) load(after time.Time) {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	jobs, err := s.deps.Reader.DelayedJobsAfter(c, after, s.held)
	if err != nil {
		// Nothing is lost: the jobs stay pending in the database; the
		// heap keeps what it had, and the next load tries again.
		s.deps.unlessDamaged(s.log.Error(), err).Err(err).Msg("load delayed jobs")
		if s.horizon.IsZero() || s.complete {
			s.complete, s.horizon = false, s.deps.Now().Add(time.Second)
		}
		return
	}
	s.due = append(s.due[:0], jobs...)
	heap.Init(&s.due)
	s.complete = len(jobs) < s.held
	s.horizon = time.Time{}
	if !s.complete {
		s.horizon = jobs[len(jobs)-1].RetryAfter
	}
}

// add takes a job that now waits, unless the heap is full and the job is
// due after everything it holds (a later load reads it).
func (s *scheduler) add(j persistence.ReadyJob) {
	if !s.complete && j.RetryAfter.After(s.horizon) {
		return
	}
	if s.due.Len() < s.held {
		heap.Push(&s.due, j)
		return
	}
	// Full: keep the soonest s.held, and lower the horizon below the one
	// left out.
	last := 0
	for i := range s.due {
		if s.due[i].RetryAfter.After(s.due[last].RetryAfter) {
			last = i
		}
	}
	out := j
	if j.RetryAfter.Before(s.due[last].RetryAfter) {
		out = s.due[last]
		s.due[last] = j
		heap.Fix(&s.due, last)
	}
	horizon := out.RetryAfter.Add(-time.Nanosecond)
	if s.complete || horizon.Before(s.horizon) {
		s.complete, s.horizon = false, horizon
	}
}

// fire hands every due job to the dispatcher, reads more waiting jobs when
// the heap ran low and some were left in the database, and arms the timer
// for the next due time (or the horizon).
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
	if !s.complete && (s.due.Len() < s.held/2 || !s.horizon.After(now)) {
		s.load(now)
	}
	var next time.Time
	if s.due.Len() > 0 {
		next = s.due[0].RetryAfter
	}
	if !s.complete && (next.IsZero() || s.horizon.Before(next)) {
		next = s.horizon
	}
	if next.IsZero() {
		return
	}
	if !s.armed.IsZero() && !s.armed.After(next) {
		return // already armed early enough
	}
	s.disarm()
	self, root := ctx.Self(), ctx.ActorSystem().Root
	s.armed = next
	s.timer = time.AfterFunc(max(next.Sub(now), 0), func() { root.Send(self, &schedulerTick{}) })
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
