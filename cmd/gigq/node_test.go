package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// notifyBuffer is a buffer a test may read while the command writes it;
// wrote signals writes.
type notifyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // capacity 1
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{wrote: make(chan struct{}, 1)} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNodeRefusesNonLoopbackWithoutToken(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:7777"} {
		r := runCLI(t, "node", "--db", newDB(t), "--http", addr)
		require.Equal(t, exitUsage, r.code, "--http %s: %s", addr, r.stderr)
		require.Contains(t, r.stderr, "refusing to serve the HTTP API on non-loopback address "+addr+" without a token")
		require.Contains(t, r.stderr, "--token")
	}
	r := runCLI(t, "node", "--db", newDB(t), "--http", "nohost")
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, `invalid --http "nohost"`)
}

func TestNodeServesAndRunsJobs(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stdout, stderr := newNotifyBuffer(), newNotifyBuffer()
	code := make(chan int, 1)
	env := func(k string) string {
		if k == envToken {
			return "tok"
		}
		return ""
	}
	go func() {
		code <- runEnv(runCtx, []string{"node", "--db", db, "--http", "127.0.0.1:0", "--log-format", "json"}, stdout, stderr, env)
	}()

	// waitLog waits until stderr matches re, and returns the match.
	waitLog := func(re *regexp.Regexp, what string) []string {
		t.Helper()
		for {
			if m := re.FindStringSubmatch(stderr.String()); m != nil {
				return m
			}
			select {
			case c := <-code:
				t.Fatalf("gigq node exited with %d: %s", c, stderr.String())
			case <-ctx.Done():
				t.Fatalf("%s: %s", what, stderr.String())
			case <-stderr.wrote:
			}
		}
	}
	// The node logs the address it bound.
	base := waitLog(regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), "gigq node did not listen")[1]

	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer tok") // GIGQ_TOKEN
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, raw
	}
	st, body := call(http.MethodGet, "/healthz", "")
	require.Equal(t, http.StatusOK, st, "%s", body)

	st, body = call(http.MethodPost, "/api/jobs", `{"function":"echo","params":{"n":7}}`)
	require.Equal(t, http.StatusCreated, st, "%s", body)
	var sub struct {
		ID gigq.JobID `json:"id"`
	}
	require.NoError(t, json.Unmarshal(body, &sub))

	// The node's own event log says when the job completed.
	waitLog(regexp.MustCompile(`"message":"job completed"`), "the job did not complete")
	st, body = call(http.MethodGet, "/api/jobs/"+string(sub.ID), "")
	require.Equal(t, http.StatusOK, st, "%s", body)
	var j gigq.Job
	require.NoError(t, json.Unmarshal(body, &j))
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.JSONEq(t, `{"n":7}`, string(j.Result))

	st, _ = call(http.MethodGet, "/metrics", "")
	require.Equal(t, http.StatusOK, st)

	stop()
	select {
	case c := <-code:
		require.Equal(t, exitOK, c, stderr.String())
	case <-ctx.Done():
		t.Fatalf("gigq node did not stop: %s", stderr.String())
	}
	require.Empty(t, stdout.String())
	require.Equal(t, gigq.StatusCompleted, status(t, db, sub.ID).Status)
}
