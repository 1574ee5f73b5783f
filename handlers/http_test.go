package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
)

// loopback opens the loopback addresses, where test servers listen, which
// the http task refuses by default.
var loopback = []string{"127.0.0.1/32", "::1"}

// newServer starts a test server with h, closed when the test ends, and
// options for the http task that may reach it.
func newServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, handlers.HTTPOptions) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, handlers.HTTPOptions{Allow: loopback}
}

// reply answers with status and body.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestHTTPGetWithHeaders(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		_, _ = io.WriteString(w, "token="+r.Header.Get("Authorization")+" path="+r.URL.Path)
	})
	res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{
		URL:     srv.URL + "/hook",
		Headers: map[string]string{"authorization": "Bearer t0k"},
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, "token=Bearer t0k path=/hook", res.Body)
	require.False(t, res.BodyTruncated)
	require.Equal(t, "GET", res.Headers["X-Method"])
	require.Equal(t, "a, b", res.Headers["X-Multi"])
}

func TestHTTPPostBody(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
	})
	res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{
		Method: "POST", URL: srv.URL,
		Headers: map[string]string{"Content-Type": "application/json"},
		Body:    `{"n":1}`,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.Status)
	require.Equal(t, `POST application/json {"n":1}`, res.Body)
}

func TestHTTPExpectStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		expect []int
		ok     bool
	}{
		{"2xx by default", http.StatusNoContent, nil, true},
		{"500 fails by default", http.StatusInternalServerError, nil, false},
		{"418 fails by default", http.StatusTeapot, nil, false},
		{"404 expected", http.StatusNotFound, []int{404}, true},
		{"200 not in the list", http.StatusOK, []int{404, 410}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, opts := newServer(t, reply(tc.status, "server says: out of cheese"))
			res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: srv.URL, ExpectStatus: tc.expect})
			require.Equal(t, tc.status, res.Status)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var se *handlers.StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tc.status, se.Status)
			require.Contains(t, err.Error(), fmt.Sprintf("status %d %s", tc.status, http.StatusText(tc.status)))
			require.Contains(t, err.Error(), "out of cheese")
		})
	}
}

func TestHTTPStatusErrorText(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, reply(http.StatusInternalServerError, strings.Repeat("x", 2000)+"END"))
	_, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: srv.URL, ExpectStatus: []int{200, 204}})
	require.ErrorContains(t, err, "status 500 Internal Server Error, expected 200 204")
	require.NotContains(t, err.Error(), "END", "the error carries the start of the body only")
	require.Less(t, len(err.Error()), 1000)
}

func TestHTTPBodyTruncation(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Query().Get("body"))
	})
	opts := handlers.HTTPOptions{Allow: loopback, MaxBodyBytes: 5}
	res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: srv.URL + "?body=hello+world"})
	require.NoError(t, err)
	require.Equal(t, "hello", res.Body)
	require.True(t, res.BodyTruncated)

	res, err = handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: srv.URL + "?body=hello"})
	require.NoError(t, err)
	require.Equal(t, "hello", res.Body)
	require.False(t, res.BodyTruncated)
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	})
	ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
	defer cancel()
	var err error
	done := async(func() { _, err = handlers.RunHTTP(ctx, opts, handlers.HTTPArgs{URL: srv.URL}) })
	within(t, 5*time.Second, "the timed-out request", done)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHTTPBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args handlers.HTTPArgs
		want string
	}{
		{"no url", handlers.HTTPArgs{}, `param "url" is required`},
		{"not a url", handlers.HTTPArgs{URL: "::nope"}, `param "url" is not a valid URL`},
		{"relative", handlers.HTTPArgs{URL: "/hook"}, `param "url" must be an absolute http or https URL`},
		{"other scheme", handlers.HTTPArgs{URL: "ftp://example.com/x"}, `param "url" must be an absolute http or https URL`},
		{"no host", handlers.HTTPArgs{URL: "http://"}, `param "url" must be an absolute http or https URL`},
		{"bad method", handlers.HTTPArgs{URL: "http://example.com", Method: "GET ME"}, `param "method"`},
		{"bad status", handlers.HTTPArgs{URL: "http://example.com", ExpectStatus: []int{42}}, `param "expect_status" has 42`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := handlers.RunHTTP(testCtx(t), handlers.HTTPOptions{}, tc.args)
			require.ErrorContains(t, err, tc.want)
			require.ErrorIs(t, err, gigq.ErrSkipRetry, "bad args fail the job for good")
		})
	}
}

func TestHTTPThroughNode(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "got "+string(b))
	})
	task := handlers.HTTPTask(t, opts)
	require.Equal(t, "http", task.Name())
	n := openNode(t, task)
	ctx := testCtx(t)

	id, err := task.Submit(ctx, n, handlers.HTTPArgs{Method: "PUT", URL: srv.URL, Body: "it"}, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status)
	res, err := task.Result(ctx, n, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, "got it", res.Body)

	id, err = task.Submit(ctx, n, handlers.HTTPArgs{URL: srv.URL + "/missing"}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j := waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, "status 404 Not Found, expected 2xx")

	// expect_status given as a single number, as a hand-written file might.
	id, err = n.Submit(ctx, "http", map[string]any{"url": srv.URL, "expect_status": 404}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j = waitJob(t, n, id)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Contains(t, j.Error, `param "expect_status" must be a list of status codes`)
}
