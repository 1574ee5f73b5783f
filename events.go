package gigq

import (
	"sync"
	"time"

	"github.com/gigq-go/gigq/messages"
)

// Event is one committed change of a job (or, for EventWorkflow, of a
// workflow's status), published after COMMIT to the channels of Subscribe
// and Config.Events. Kind says what happened and which fields are set; the
// others are zero. Every receiver gets the same *Event: treat it as
// read-only.
type Event struct {
	// Kind is what happened: one of the Event* constants.
	Kind EventKind
	// JobID is the job that changed ("" for EventWorkflow).
	JobID JobID
	// Name is the job's name (not set for EventProgress, nor for a
	// cancel by Node.Cancel).
	Name string
	// Function is the job's task name (set with Name).
	Function string
	// Status is the job's state after the change.
	Status Status
	// Attempt is the job's attempt count: the attempt that started, for
	// EventStarted; the attempts used, at the end of an attempt
	// (EventCompleted, EventFailed, EventTimeout, EventRetrying).
	Attempt int
	// MaxAttempts is the job's limit on attempts (with Attempt, and for
	// EventSubmitted).
	MaxAttempts int
	// ExecutionID is the attempt's execution, for EventStarted,
	// EventProgress and the end of an attempt.
	ExecutionID ExecutionID
	// Error is the attempt's error (EventFailed, EventTimeout,
	// EventRetrying), or why the job was cancelled when another job
	// caused it ("upstream job <id> (<name>) <state>").
	Error string
	// Elapsed is how long the attempt ran, at the end of an attempt.
	Elapsed time.Duration
	// RetryAfter is when the job may run again, for an EventRetrying that
	// waits (a retry delay, a backoff or a snooze); zero: at once.
	RetryAfter time.Time
	// WorkflowID is the job's workflow ("" outside one), or the workflow
	// that changed, for EventWorkflow.
	WorkflowID WorkflowID
	// WorkflowStatus is the workflow's new status, for EventWorkflow.
	WorkflowStatus WorkflowStatus
	// Progress is the fraction (0 to 1) a handler reported, for
	// EventProgress.
	Progress float64
	// ProgressMessage is the message that came with Progress.
	ProgressMessage string
	// At is when the change was made (the time of its commit's batch).
	At time.Time
}

// eventOf is the public form of an engine event. The two structs have the
// same fields in the same order, so it is a pointer conversion, checked
// by the compiler, that copies and allocates nothing; if messages.JobEvent
// gains a field Event must not show, copy field by field instead.
func eventOf(e *messages.JobEvent) *Event { return (*Event)(e) }

// EventKind names the change an Event reports: a string type (an alias
// of the engine's) whose values are the Event* constants, one lowercase
// word each: EventSubmitted ("submitted"), EventStarted ("started"),
// EventCompleted ("completed"), EventRetrying ("retrying"), EventFailed
// ("failed"), EventTimeout ("timeout"), EventCancelled ("cancelled"),
// EventRequeued ("requeued"), EventProgress ("progress") and
// EventWorkflow ("workflow"). Node.Subscribe takes the kinds to deliver.
type EventKind = messages.EventKind

// The kinds of events Subscribe delivers (EventProgress is with Progress).
const (
	// EventSubmitted: a job was written, pending.
	EventSubmitted = messages.EventSubmitted
	// EventStarted: a worker claimed the job; an attempt runs.
	EventStarted = messages.EventStarted
	// EventCompleted: the job's handler returned its result.
	EventCompleted = messages.EventCompleted
	// EventRetrying: an attempt failed or timed out with attempts left,
	// was snoozed, or was stopped by a shutdown; the job is pending again
	// (Event.RetryAfter, when it waits).
	EventRetrying = messages.EventRetrying
	// EventFailed: the job failed for good.
	EventFailed = messages.EventFailed
	// EventTimeout: the job's last attempt timed out.
	EventTimeout = messages.EventTimeout
	// EventCancelled: the job was cancelled, by a cancel or because a job
	// it depends on ended badly (Event.Error then names that job).
	EventCancelled = messages.EventCancelled
	// EventRequeued: the job was requeued, or revived by the requeue of
	// the job whose end had cancelled it.
	EventRequeued = messages.EventRequeued
	// EventWorkflow: a workflow's status changed (Event.WorkflowID,
	// Event.WorkflowStatus).
	EventWorkflow = messages.EventWorkflow
)

// subscriberBuffer is each subscription's channel capacity.
const subscriberBuffer = 4096

// hub fans events out to subscribers. Sends never block: a subscriber that
// falls more than subscriberBuffer events behind misses events.
type hub struct {
	mu     sync.Mutex
	next   int
	subs   map[int]*subscription
	owned  []chan<- *Event // Config.Events: not closed by the hub
	closed bool
}

type subscription struct {
	ch    chan *Event
	kinds map[EventKind]bool // nil: every kind
}

func newHub() *hub { return &hub{subs: map[int]*subscription{}} }

// attach adds a channel owned by the caller: it receives every event with
// non-blocking sends, and the hub never closes it.
func (h *hub) attach(ch chan<- *Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.owned = append(h.owned, ch)
}

func (h *hub) subscribe(kinds []EventKind) (<-chan *Event, func()) {
	s := &subscription{ch: make(chan *Event, subscriberBuffer)}
	if len(kinds) > 0 {
		s.kinds = map[EventKind]bool{}
		for _, k := range kinds {
			s.kinds[k] = true
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	id := h.next
	h.next++
	h.subs[id] = s
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[id]; ok {
				delete(h.subs, id)
				close(s.ch)
			}
		})
	}
}

func (h *hub) publish(events []*messages.JobEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range events {
		e := eventOf(m)
		for _, ch := range h.owned {
			select {
			case ch <- e:
			default:
			}
		}
		for _, s := range h.subs {
			if s.kinds != nil && !s.kinds[e.Kind] {
				continue
			}
			select {
			case s.ch <- e:
			default:
			}
		}
	}
}

// close ends every subscription.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.owned = nil
	for id, s := range h.subs {
		close(s.ch)
		delete(h.subs, id)
	}
}
