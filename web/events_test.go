package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

// sseEvent is one message of the stream: its event name and data, or a
// comment.
type sseEvent struct {
	name, data, comment string
}

// openStream opens /api/events and returns a function that reads its next
// message; the stream is closed when the test ends.
func openStream(t *testing.T, s *testServer) func() sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/events", nil)
	require.NoError(t, err)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	rd := bufio.NewReader(resp.Body)
	return func() sseEvent {
		t.Helper()
		var ev sseEvent
		for {
			line, err := rd.ReadString('\n')
			require.NoError(t, err, "the stream ended")
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				return ev
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}
}

func TestEventsOfAJob(t *testing.T) {
	t.Parallel()
	s := newServer(t, true, web.Options{Token: testToken})
	next := openStream(t, s)
	require.Equal(t, "connected", next().comment, "the stream is subscribed once it says so")

	id := s.submit(t, map[string]any{"function": "echo", "params": map[string]any{"x": 1}})
	var kinds []string
	for len(kinds) == 0 || kinds[len(kinds)-1] != "completed" {
		ev := next()
		if ev.name == "" {
			continue // a heartbeat
		}
		var data struct {
			Kind     string     `json:"kind"`
			JobID    gigq.JobID `json:"job_id"`
			Function string     `json:"function"`
			Status   string     `json:"status"`
			At       time.Time  `json:"at"`
		}
		require.NoError(t, json.Unmarshal([]byte(ev.data), &data), ev.data)
		require.Equal(t, ev.name, data.Kind)
		if data.JobID != id {
			continue
		}
		require.Equal(t, "echo", data.Function)
		require.False(t, data.At.IsZero())
		kinds = append(kinds, data.Kind)
	}
	require.Equal(t, []string{"submitted", "started", "completed"}, kinds)
}

func TestEventsHeartbeat(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{Heartbeat: 10 * time.Millisecond})
	next := openStream(t, s)
	require.Equal(t, "connected", next().comment)
	require.Equal(t, "heartbeat", next().comment)
}

func TestEventsEndOnShutdown(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	s := newServer(t, false, web.Options{Done: done})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/events", nil)
	require.NoError(t, err)
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, ": connected\n", line)
	close(done)
	for err == nil {
		_, err = rd.ReadString('\n')
	}
	require.NoError(t, ctx.Err(), "the stream ended when Done was closed")
	s.do(t, http.MethodGet, "/api/events", nil).requireError(t, http.StatusServiceUnavailable, "shutting down")
	s.do(t, http.MethodGet, "/healthz", nil).requireError(t, http.StatusServiceUnavailable, "shutting down")
}

// stuckWriter is a ResponseWriter whose client stops reading after the
// stream's first flush: writes block until release is closed.
type stuckWriter struct {
	header    http.Header
	ready     chan struct{} // closed at the first flush
	readyOnce sync.Once
	release   chan struct{}
	wrote     chan struct{} // a write happened (capacity 1)
	mu        sync.Mutex
	buf       bytes.Buffer
}

func newStuckWriter() *stuckWriter {
	return &stuckWriter{header: http.Header{}, ready: make(chan struct{}), release: make(chan struct{}),
		wrote: make(chan struct{}, 1)}
}

func (w *stuckWriter) Header() http.Header { return w.header }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Flush()              { w.readyOnce.Do(func() { close(w.ready) }) }

func (w *stuckWriter) Write(p []byte) (int, error) {
	select {
	case <-w.ready:
		<-w.release
	default:
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.buf.Write(p)
}

func (w *stuckWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestSlowEventClientDoesNotBlockJobs(t *testing.T) {
	t.Parallel()
	n := openNode(t, true)
	h := web.New(n, web.Options{EventBuffer: 4})
	w := newStuckWriter()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(w.release) }) }
	t.Cleanup(release)

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	reqCtx, endRequest := context.WithCancel(ctx)
	defer endRequest()
	served := make(chan struct{})
	go func() {
		defer close(served)
		// httptest's default Host, example.com, is not one the node answers.
		h.ServeHTTP(w, httptest.NewRequestWithContext(reqCtx, http.MethodGet, "http://127.0.0.1/api/events", nil))
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		t.Fatal("the stream did not start")
	}

	// The client reads nothing; 30 jobs (90 events) still run to the end.
	ids := make([]gigq.JobID, 30)
	for i := range ids {
		var err error
		ids[i], err = n.Submit(ctx, "echo", nil, nil)
		require.NoError(t, err)
	}
	for _, id := range ids {
		j, err := n.Wait(ctx, id)
		require.NoError(t, err, "a stuck event client must not hold up jobs")
		require.Equal(t, gigq.StatusCompleted, j.Status)
	}

	// Once it reads again, the stream tells it how many events it lost.
	release()
	dropped := regexp.MustCompile(`event: dropped\ndata: \{"dropped":(\d+)\}\n\n`)
	for !dropped.MatchString(w.String()) {
		select {
		case <-w.wrote:
		case <-ctx.Done():
			t.Fatalf("no dropped report in the stream:\n%s", w.String())
		}
	}
	total := 0
	for _, m := range dropped.FindAllStringSubmatch(w.String(), -1) {
		k, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		total += k
	}
	require.Positive(t, total)
	require.LessOrEqual(t, total, 90, "30 jobs make 90 events")
	endRequest()
	select {
	case <-served:
	case <-ctx.Done():
		t.Fatal("the stream did not end with its request")
	}
}
