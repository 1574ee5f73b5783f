//go:build unix

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// loopbackServer starts a test server on loopback that answers "inside"
// and counts its requests.
func loopbackServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "inside")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// requireHTTPResult requires that the http job completed with status 200
// and body.
func requireHTTPResult(t *testing.T, j *gigq.Job, body string) {
	t.Helper()
	require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
	var res struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	require.NoError(t, json.Unmarshal(j.Result, &res))
	require.Equal(t, http.StatusOK, res.Status)
	require.Equal(t, body, res.Body)
}

// TestHTTPAllowFlag: through the binary, an http job to loopback fails at
// once, naming --http-allow; a worker started with --http-allow
// 127.0.0.1/32 runs it.
func TestHTTPAllowFlag(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	srv, hits := loopbackServer(t)

	refused := binSubmit(t, bin, db, "http", "-p", "url="+srv.URL+"/api/clear", "-p", "method=POST", "--max-attempts", "3")
	binOutput(t, bin, "worker", "--once", "--db", db)
	j := binStatus(t, bin, db, refused)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, 1, j.Attempts, "a refused address fails the job on its first attempt")
	require.Contains(t, j.Error, "http: refusing to connect to "+srv.Listener.Addr().String()+
		" (loopback address); to allow it, start the node with --http-allow 127.0.0.1/32")
	require.Zero(t, hits.Load(), "the server got no request")

	allowed := binSubmit(t, bin, db, "http", "-p", "url="+srv.URL)
	binOutput(t, bin, "worker", "--once", "--db", db, "--http-allow", "127.0.0.1/32", "--http-allow", "::1")
	requireHTTPResult(t, binStatus(t, bin, db, allowed), "inside")
	require.EqualValues(t, 1, hits.Load())

	// Bad params fail on the first attempt too.
	bad := binSubmit(t, bin, db, "http", "-p", "uri=http://example.com", "--max-attempts", "3")
	binOutput(t, bin, "worker", "--once", "--db", db)
	j = binStatus(t, bin, db, bad)
	require.Equal(t, gigq.StatusFailed, j.Status)
	require.Equal(t, 1, j.Attempts)
	require.Contains(t, j.Error, `http: unknown param "uri": the params are method, url, headers, body, expect_status`)
}

// TestHTTPAllowFlagOnWorkerNode: a worker node that joins a primary runs
// http jobs with its own --http-allow.
func TestHTTPAllowFlagOnWorkerNode(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	srv, _ := loopbackServer(t)
	_, join := startPrimary(t, bin, db, "127.0.0.1:0", "--concurrency", "0")
	wn := startWorkerNode(t, bin, join, "wn-allow", "--http-allow", "127.0.0.1")
	waitJoined(t, wn, 1)

	id := binSubmit(t, bin, db, "http", "-p", "url="+srv.URL)
	waitStats(t, bin, db, testTimeout, "the http job", func(st gigq.Stats) bool { return st.Completed == 1 })
	j := binStatus(t, bin, db, id)
	requireHTTPResult(t, j, "inside")
	require.Equal(t, "wn-allow", j.WorkerID)
	stopProc(t, wn)
}

// TestHTTPAllowFlagUsage: worker, worker --join and node refuse a bad
// --http-allow at start, saying what it must be.
func TestHTTPAllowFlagUsage(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, args := range [][]string{
		{"worker", "--db", db, "--http-allow", "http://api.internal"},
		{"worker", "--db", db, "--once", "--http-allow", "10.0.0.0/8", "--http-allow", "10.0.0.0/40"},
		{"worker", "--join", "127.0.0.1:1", "--http-allow", "api.internal:8080"},
		{"node", "--db", db, "--http", "127.0.0.1:0", "--http-allow", "*.internal"},
	} {
		r := runCLI(t, args...)
		require.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "gigq: invalid --http-allow: ", args)
		require.Contains(t, r.stderr, "is not a CIDR (e.g. 10.0.0.0/8), an IP address (e.g. 10.1.2.3) or a host name", args)
	}
	require.Equal(t, 0, stats(t, db).Total)
}
