package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gigq-go/gigq"
)

// streamWriteTimeout bounds one write to an event stream: a client that
// stops reading altogether is disconnected after it.
const streamWriteTimeout = 30 * time.Second

// eventJSON is an event's data in the stream. Times are UTC RFC 3339;
// elapsed is in seconds.
type eventJSON struct {
	Kind           gigq.EventKind      `json:"kind"`
	JobID          gigq.JobID          `json:"job_id,omitempty"`
	Name           string              `json:"name,omitempty"`
	Function       string              `json:"function,omitempty"`
	Status         gigq.Status         `json:"status,omitempty"`
	Attempt        int                 `json:"attempt,omitempty"`
	MaxAttempts    int                 `json:"max_attempts,omitempty"`
	ExecutionID    gigq.ExecutionID    `json:"execution_id,omitempty"`
	Error          string              `json:"error,omitempty"`
	Elapsed        float64             `json:"elapsed,omitempty"`
	RetryAfter     *time.Time          `json:"retry_after,omitempty"`
	WorkflowID     gigq.WorkflowID     `json:"workflow_id,omitempty"`
	WorkflowStatus gigq.WorkflowStatus `json:"workflow_status,omitempty"`
	// Progress, for a progress event: 0 to 1, and its message.
	Progress        *float64  `json:"progress,omitempty"`
	ProgressMessage string    `json:"progress_message,omitempty"`
	At              time.Time `json:"at"`
}

func toEventJSON(e *gigq.Event) eventJSON {
	out := eventJSON{Kind: e.Kind, JobID: e.JobID, Name: e.Name, Function: e.Function, Status: e.Status,
		Attempt: e.Attempt, MaxAttempts: e.MaxAttempts, ExecutionID: e.ExecutionID, Error: e.Error,
		Elapsed: e.Elapsed.Seconds(), WorkflowID: e.WorkflowID, WorkflowStatus: e.WorkflowStatus, At: e.At.UTC()}
	if !e.RetryAfter.IsZero() {
		t := e.RetryAfter.UTC()
		out.RetryAfter = &t
	}
	if e.Kind == gigq.EventProgress {
		f := e.Progress
		out.Progress, out.ProgressMessage = &f, e.ProgressMessage
	}
	return out
}

// stream is one client's buffer between the node's subscription and the
// connection.
type stream struct {
	ch      chan *gigq.Event
	dropped atomic.Int64  // events dropped since the last report
	notify  chan struct{} // a drop happened (capacity 1)
}

// pump moves events from the subscription into the client's buffer
// without ever blocking: when the buffer is full the event is dropped and
// counted. It closes the buffer when the subscription ends.
func (st *stream) pump(src <-chan *gigq.Event) {
	defer close(st.ch)
	for e := range src {
		select {
		case st.ch <- e:
		default:
			st.dropped.Add(1)
			select {
			case st.notify <- struct{}{}:
			default:
			}
		}
	}
}

// events: GET /api/events → a text/event-stream of the node's job and
// workflow events as they commit. Each message is "event: <kind>" (the
// gigq.EventKind: submitted, started, completed, ..., workflow) with the
// event as JSON data; "event: dropped" with {"dropped": n} says n events
// were lost because the client read too slowly; a comment line comes
// every Options.Heartbeat. The stream ends when the client goes, when
// Options.Done is closed, or when the node closes.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if s.shuttingDown() {
		s.fail(w, r, errorf(http.StatusServiceUnavailable, "", "shutting down"))
		return
	}
	src, unsubscribe := s.node.Subscribe()
	st := &stream{ch: make(chan *gigq.Event, s.opts.EventBuffer), notify: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Go(func() { st.pump(src) })
	defer wg.Wait()     // second: the pump ends once the subscription is closed
	defer unsubscribe() // first

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) // not every writer supports it
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(": connected\n\n") {
		return
	}
	heartbeat := time.NewTicker(s.opts.Heartbeat)
	defer heartbeat.Stop()
	for {
		ok := true
		select {
		case <-r.Context().Done():
			return
		case <-s.opts.Done:
			return
		case <-heartbeat.C:
			ok = send(": heartbeat\n\n")
		case <-st.notify:
			ok = s.sendDropped(st, send)
		case e, open := <-st.ch:
			if !open {
				return // the node closed
			}
			ok = s.sendDropped(st, send) && sendEvent(e, send)
		}
		if !ok {
			return
		}
	}
}

// sendDropped reports the events dropped since the last report, if any.
func (s *server) sendDropped(st *stream, send func(string, ...any) bool) bool {
	n := st.dropped.Swap(0)
	if n == 0 {
		return true
	}
	s.log.Warn().Int64("dropped", n).Msg("event stream client too slow: events dropped")
	return send("event: dropped\ndata: {\"dropped\":%d}\n\n", n)
}

func sendEvent(e *gigq.Event, send func(string, ...any) bool) bool {
	data, err := json.Marshal(toEventJSON(e))
	if err != nil { // cannot happen: every field encodes
		return true
	}
	return send("event: %s\ndata: %s\n\n", e.Kind, data)
}
