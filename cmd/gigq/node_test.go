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

// nodeTestToken is a token as openssl rand -hex 16 makes one.
const nodeTestToken = "8c1f3a5e7b9d2c4e6a8f0b1d3e5c7a9f"

// TestNodeRefusesWeakToken: a token shorter than 16 bytes, or given but
// empty or blank, stops gigq node at start with a message saying how to
// make one; GIGQ_TOKEN set to "" counts as not set. Likewise the remote
// secret of gigq node --remote-listen and gigq worker --join.
func TestNodeRefusesWeakToken(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	runWith := func(env map[string]string, args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runEnv(ctx, args, &stdout, &stderr, func(k string) string { return env[k] })
		require.Empty(t, stdout.String())
		return code, stderr.String()
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"node", "--token", "s3cret"}, "--token is 6 bytes long: use at least 16 random bytes"},
		{nil, []string{"node", "--token", "0123456789abcde"}, "--token is 15 bytes long"},
		{nil, []string{"node", "--token", ""}, "--token is empty"},
		{nil, []string{"node", "--token", "                    "}, "--token is blank"},
		{map[string]string{envToken: "tok"}, []string{"node"}, "GIGQ_TOKEN is 3 bytes long"},
		{map[string]string{envToken: "\t  \t  \t  \t  \t  "}, []string{"node"}, "GIGQ_TOKEN is blank"},
		{nil, []string{"node", "--remote-listen", "127.0.0.1:0", "--remote-secret", "s3cret"}, "--remote-secret is 6 bytes long"},
		{nil, []string{"node", "--remote-listen", "127.0.0.1:0", "--remote-secret", ""}, "--remote-secret is empty"},
		{map[string]string{envRemoteSecret: "short"}, []string{"node", "--remote-listen", "127.0.0.1:0"},
			"GIGQ_REMOTE_SECRET is 5 bytes long"},
		{nil, []string{"worker", "--join", "127.0.0.1:1", "--remote-secret", "s3cret"}, "--remote-secret is 6 bytes long"},
		{map[string]string{envRemoteSecret: "                "}, []string{"worker", "--join", "127.0.0.1:1"},
			"GIGQ_REMOTE_SECRET is blank"},
	} {
		args := append(tc.args, "--db", newDB(t))
		if tc.args[0] == "worker" {
			args = tc.args // a worker node has no database
		}
		code, stderr := runWith(tc.env, args...)
		require.Equal(t, exitUsage, code, "%v %v: %s", tc.env, tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v %v", tc.env, tc.args)
		require.Contains(t, stderr, "openssl rand -hex 32", "%v %v", tc.env, tc.args)
	}
	// GIGQ_TOKEN="" is no token: on a public address that is refused as
	// having none.
	code, stderr := runWith(map[string]string{envToken: ""}, "node", "--db", newDB(t), "--http", "0.0.0.0:0")
	require.Equal(t, exitUsage, code, stderr)
	require.Contains(t, stderr, "without a token")

	code, stderr = runWith(nil, "node", "--db", newDB(t), "--http-host", "http://gigq.example.com/")
	require.Equal(t, exitUsage, code, stderr)
	require.Contains(t, stderr, `invalid --http-host "http://gigq.example.com/"`)
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
			return nodeTestToken
		}
		return ""
	}
	go func() {
		code <- runEnv(runCtx, []string{"node", "--db", db, "--http", "127.0.0.1:0", "--http-host", "gigq.example.com",
			"--log-format", "json"}, stdout, stderr, env)
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

	call := func(method, path, body string, edit ...func(*http.Request)) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+nodeTestToken) // GIGQ_TOKEN
		for _, e := range edit {
			e(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, raw
	}
	st, body := call(http.MethodGet, "/healthz", "")
	require.Equal(t, http.StatusOK, st, "%s", body)

	// Another Host (DNS rebinding), another origin, a body without its
	// type: refused, before the job below is the first one.
	st, body = call(http.MethodGet, "/api/stats", "", func(r *http.Request) { r.Host = "evil.example" })
	require.Equal(t, http.StatusMisdirectedRequest, st, "%s", body)
	require.Contains(t, string(body), "--http-host evil.example")
	st, body = call(http.MethodGet, "/api/stats", "", func(r *http.Request) { r.Host = "gigq.example.com:443" })
	require.Equal(t, http.StatusOK, st, "--http-host: %s", body)
	st, body = call(http.MethodPost, "/api/jobs", `{"function":"echo"}`, func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") })
	require.Equal(t, http.StatusForbidden, st, "%s", body)
	require.Contains(t, string(body), "cross-origin request refused")
	st, body = call(http.MethodPost, "/api/jobs", `{"function":"echo"}`, func(r *http.Request) { r.Header.Del("Content-Type") })
	require.Equal(t, http.StatusUnsupportedMediaType, st, "%s", body)
	st, body = call(http.MethodPost, "/api/clear", "")
	require.Equal(t, http.StatusBadRequest, st, "%s", body)

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
