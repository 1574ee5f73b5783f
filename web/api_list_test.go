package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

// TestListMemoryBounded lists 1,000 completed jobs whose params are 1 MB
// each, one in ten with a result of 1 MB too (1.1 GB in the file): the
// process allocates under 50 MB for Node.List of the page, and for the
// whole GET /api/jobs?limit=1000 (server and client), because the values
// are cut in SQL and the answer is written job by job. Before, the same
// request allocated over 1 GB. (A 1 MB result on every job would double
// the test's time, spent by SQLite reading the file; the cut of a result
// is the same as that of params.)
func TestListMemoryBounded(t *testing.T) {
	const jobs, size, bound = 1000, 1 << 20, 50 << 20
	path := filepath.Join(t.TempDir(), "gigq.db")
	n, err := gigq.Open(context.Background(), gigq.Config{Path: path, ClientOnly: true, WatchInterval: -1})
	require.NoError(t, err)
	require.NoError(t, n.Close(context.Background())) // the file now has gigq's tables
	start := time.Now()
	insertBigJobs(t, path, jobs, size)
	t.Logf("%d jobs of %d bytes written in %v", jobs, size, time.Since(start))
	n, err = gigq.Open(context.Background(), gigq.Config{Path: path, ClientOnly: true, WatchInterval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close(context.Background())) })
	s := &testServer{Server: httptest.NewServer(web.New(n, web.Options{})), node: n}
	t.Cleanup(s.Close)

	t.Run("Node.List", func(t *testing.T) {
		var list []*gigq.Job
		alloc := allocatedBy(t, func() {
			var err error
			list, err = s.node.List(context.Background(), &gigq.ListParams{Limit: jobs})
			require.NoError(t, err)
		})
		require.Len(t, list, jobs)
		for i, j := range list {
			require.True(t, j.ParamsTruncated, "job %s", j.ID)
			require.Equal(t, i%10 == 0, j.ResultTruncated, "job %s", j.ID)
			require.LessOrEqual(t, len(j.Params), gigq.DefaultListValueLimit)
			require.LessOrEqual(t, len(j.Result), gigq.DefaultListValueLimit)
		}
		require.Less(t, alloc, uint64(bound), "Node.List of %d jobs of %d bytes allocated %d bytes", jobs, size, alloc)
		t.Logf("Node.List allocated %.1f MB", float64(alloc)/1e6)
	})

	t.Run("GET /api/jobs", func(t *testing.T) {
		body := bytes.NewBuffer(make([]byte, 0, 16<<20)) // allocated before the measure
		var status int
		var header http.Header
		alloc := allocatedBy(t, func() {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/jobs?limit=1000", nil)
			require.NoError(t, err)
			resp, err := s.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			status, header = resp.StatusCode, resp.Header
			_, err = body.ReadFrom(resp.Body)
			require.NoError(t, err)
		})
		r := response{status: status, header: header, body: body.Bytes()}
		var page struct {
			Jobs []struct {
				ID              gigq.JobID `json:"id"`
				Params          string     `json:"params"`
				ParamsTruncated bool       `json:"params_truncated"`
				Result          any        `json:"result"`
				ResultTruncated bool       `json:"result_truncated"`
			} `json:"jobs"`
			NextCursor *gigq.JobID `json:"next_cursor"`
		}
		r.decode(t, http.StatusOK, &page)
		require.Len(t, page.Jobs, jobs)
		for i, j := range page.Jobs {
			require.True(t, j.ParamsTruncated, "job %s", j.ID)
			require.Equal(t, i%10 == 0, j.ResultTruncated, "job %s", j.ID)
			require.True(t, strings.HasPrefix(j.Params, `{"data":"xxxx`), "params %.40q", j.Params)
			require.LessOrEqual(t, len(j.Params), gigq.DefaultListValueLimit)
		}
		require.Less(t, alloc, uint64(bound), "GET /api/jobs?limit=1000 of jobs of %d bytes allocated %d bytes (answer: %d bytes)",
			size, alloc, body.Len())
		t.Logf("GET /api/jobs?limit=1000 allocated %.1f MB for an answer of %.1f MB", float64(alloc)/1e6, float64(body.Len())/1e6)
	})
}

// allocatedBy returns the bytes the process allocated while f ran.
func allocatedBy(t *testing.T, f func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// insertBigJobs writes count completed jobs whose params are a JSON
// object of size bytes, as is the result of every tenth (the newest of
// each ten), in one statement, while no node has the file open
// (submitting and running them through a node would take minutes). The
// rows go straight to the file, without a journal: through the WAL they
// would be written twice.
func insertBigJobs(t *testing.T, path string, count, size int) {
	t.Helper()
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	defer func() { require.NoError(t, conn.Close()) }()
	for _, p := range []string{"PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF"} {
		require.NoError(t, sqlitex.ExecuteTransient(conn, p, nil))
	}
	defer func() { require.NoError(t, sqlitex.ExecuteTransient(conn, "PRAGMA journal_mode=WAL", nil)) }()
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")
	value := `{"data":"` + strings.Repeat("x", size-11) + `"}`
	require.NoError(t, sqlitex.Execute(conn, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $n)
		INSERT INTO jobs (id, name, function, params, status, attempts, result, created_at, updated_at, started_at, completed_at)
		SELECT printf('01900000-0000-7000-8000-%012d', i), 'big', 'echo', $v, 'completed', 1, CASE WHEN i % 10 = 0 THEN $v ELSE '{}' END, $now, $now, $now, $now FROM c`,
		&sqlitex.ExecOptions{Named: map[string]any{"$n": count, "$v": value, "$now": now}}))
}

// TestListCutsLargeValues: GET /api/jobs gives a large params and result
// cut to their first bytes, as a JSON string, and flagged; a small job
// whole and not flagged; GET /api/jobs/{id} gives the whole job.
func TestListCutsLargeValues(t *testing.T) {
	t.Parallel()
	s := newServer(t, true, web.Options{})
	text := strings.Repeat("x", 3*gigq.DefaultListValueLimit)
	large := s.submit(t, map[string]any{"function": "echo", "params": map[string]any{"text": text}})
	s.waitDone(t, large)
	small := s.submit(t, map[string]any{"function": "echo", "params": map[string]any{"n": 1}})
	s.waitDone(t, small)

	var page struct {
		Jobs []map[string]json.RawMessage `json:"jobs"`
	}
	s.do(t, http.MethodGet, "/api/jobs", nil).decode(t, http.StatusOK, &page)
	require.Len(t, page.Jobs, 2)
	sm, l := page.Jobs[0], page.Jobs[1] // newest first
	require.Equal(t, `"`+string(small)+`"`, string(sm["id"]))
	require.JSONEq(t, `{"n":1}`, string(sm["params"]))
	require.JSONEq(t, `{"n":1}`, string(sm["result"]))
	require.NotContains(t, sm, "params_truncated")
	require.NotContains(t, sm, "result_truncated")

	require.Equal(t, "true", string(l["params_truncated"]))
	require.Equal(t, "true", string(l["result_truncated"]))
	for _, v := range []json.RawMessage{l["params"], l["result"]} {
		var prefix string
		require.NoError(t, json.Unmarshal(v, &prefix), "a cut value is a string: %.60s", v)
		require.Len(t, prefix, gigq.DefaultListValueLimit)
		require.True(t, strings.HasPrefix(`{"text":"`+text, prefix))
	}

	j := s.waitDone(t, large) // GET /api/jobs/{id}
	require.JSONEq(t, `{"text":"`+text+`"}`, string(j.Params))
	require.JSONEq(t, `{"text":"`+text+`"}`, string(j.Result))
	require.False(t, j.ParamsTruncated || j.ResultTruncated)
}
