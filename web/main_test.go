package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// event stream must end with its request, and every node must close.
//
// One protoactor goroutine is allowed: the dead-letter log throttle ends
// by itself after 1s.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// testToken is the node's token in the tests that use one: 32 bytes, as
// openssl rand -hex 16 makes (gigq node refuses tokens under 16 bytes).
const testToken = "3f9a1c7e5b2d8f4a6c0e1b3d5f7a9c2e"

// testTimeout bounds every wait of a test.
const testTimeout = 20 * time.Second

// echo returns its params.
func echo(_ context.Context, params json.RawMessage) (json.RawMessage, error) { return params, nil }

// openNode opens a node on a fresh database: with workers running echo
// when work is true, else client-only (its jobs stay pending).
func openNode(t *testing.T, work bool) *gigq.Node {
	t.Helper()
	cfg := gigq.Config{Path: filepath.Join(t.TempDir(), "gigq.db"), ClientOnly: !work, WatchInterval: -1}
	if work {
		cfg.Registry = gigq.NewRegistry().MustAdd(gigq.NewTask("echo", echo))
		cfg.Workers = 2
	}
	n, err := gigq.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close(context.Background())) })
	return n
}

// testServer serves node with opts on an httptest server.
type testServer struct {
	*httptest.Server
	node  *gigq.Node
	token string
}

func newServer(t *testing.T, work bool, opts web.Options) *testServer {
	t.Helper()
	n := openNode(t, work)
	ts := httptest.NewServer(web.New(n, opts))
	t.Cleanup(ts.Close) // before the node closes (cleanups run last first)
	return &testServer{Server: ts, node: n, token: opts.Token}
}

// response is one answer of the server.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request (with the server's token, if any) and reads the
// answer. body is encoded as JSON unless it is a string or nil.
func (s *testServer) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	return s.doType(t, method, path, "application/json", body)
}

func (s *testServer) doType(t *testing.T, method, path, contentType string, body any) response {
	t.Helper()
	return s.doWith(t, method, path, contentType, body, nil)
}

// doWith is doType with edit applied to the request before it is sent
// (to set headers, the Host, cookies).
func (s *testServer) doWith(t *testing.T, method, path, contentType string, body any, edit func(*http.Request)) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	require.NoError(t, err)
	if rd != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// decode decodes the answer's JSON body into v, requiring status.
func (r response) decode(t *testing.T, status int, v any) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// requireError requires an error answer with status whose message
// contains each of parts, and returns it.
func (r response) requireError(t *testing.T, status int, parts ...string) map[string]string {
	t.Helper()
	var body map[string]string
	r.decode(t, status, &body)
	require.NotEmpty(t, body["error"])
	for _, p := range parts {
		require.Contains(t, body["error"], p)
	}
	return body
}

// submit submits an echo job through the API and returns its id.
func (s *testServer) submit(t *testing.T, req map[string]any) gigq.JobID {
	t.Helper()
	var out struct {
		ID gigq.JobID `json:"id"`
	}
	s.do(t, http.MethodPost, "/api/jobs", req).decode(t, http.StatusCreated, &out)
	require.NotEmpty(t, out.ID)
	return out.ID
}

// waitDone waits (on the node's events) until the job has ended, and
// returns it as the API shows it.
func (s *testServer) waitDone(t *testing.T, id gigq.JobID) *gigq.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := s.node.Wait(ctx, id)
	require.NoError(t, err)
	var j gigq.Job
	s.do(t, http.MethodGet, "/api/jobs/"+string(id), nil).decode(t, http.StatusOK, &j)
	return &j
}
