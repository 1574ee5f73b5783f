package gigq

import (
	"sync"

	"github.com/gigq-go/gigq/messages"
)

// Event is one committed change of a job (or, for EventWorkflow, of a
// workflow's status), published after COMMIT.
type Event = messages.JobEvent

// EventKind names a change in a job's life.
type EventKind = messages.EventKind

// The kinds of events Subscribe delivers.
const (
	EventSubmitted = messages.EventSubmitted
	EventStarted   = messages.EventStarted
	EventCompleted = messages.EventCompleted
	EventRetrying  = messages.EventRetrying
	EventFailed    = messages.EventFailed
	EventTimeout   = messages.EventTimeout
	EventCancelled = messages.EventCancelled
	EventRequeued  = messages.EventRequeued
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
	for _, e := range events {
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
