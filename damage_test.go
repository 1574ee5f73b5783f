package gigq_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/persistence/persistencetest"
	"github.com/gigq-go/gigq/web"
)

// TestDamagedFileStopsNode: a page of the jobs table is zeroed under a
// working node (two jobs running, one waiting). The next write finds it:
//   - the write fails with an error that matches gigq.ErrCorrupt and says
//     what SQLite reported;
//   - the node stops: Failed is closed, Err names the file and gigq check,
//     /healthz answers 503 with the reason, writes are refused;
//   - it claims nothing more (the waiting job never starts), and the
//     running handlers' contexts are cancelled;
//   - the log says it once, at error level, however many calls meet it.
func TestDamagedFileStopsNode(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	g := newGate()
	defer g.open()
	path := dbPath(t)
	n, err := gigq.Open(context.Background(), gigq.Config{Path: path, Logger: &log, Workers: 2,
		Registry: gigq.NewRegistry().MustAdd(g.ctxTask("gated")).MustAdd(noop), WatchInterval: -1})
	require.NoError(t, err)
	defer func() { _ = n.Close(context.Background()) }()
	ctx := testCtx(t)
	srv := httptest.NewServer(web.New(n, web.Options{}))
	defer srv.Close()
	health := func() (int, map[string]string) {
		resp, err := http.Get(srv.URL + "/healthz")
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		var body map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	for range 3 {
		_, err := n.Submit(ctx, "gated", nil, nil)
		require.NoError(t, err)
	}
	g.waitStarted(t)
	g.waitStarted(t)
	code, _ := health()
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, n.Err())

	require.NoError(t, persistencetest.DamageTable(path, "jobs"))
	_, err = n.Submit(ctx, "noop", nil, nil)
	require.ErrorIs(t, err, gigq.ErrCorrupt)
	require.Contains(t, err.Error(), "malformed")

	select {
	case <-n.Failed():
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	require.ErrorIs(t, n.Err(), gigq.ErrCorrupt)
	require.Contains(t, n.Err().Error(), path)
	require.Contains(t, n.Err().Error(), "gigq check")

	code, body := health()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "failed", body["status"])
	require.Contains(t, body["error"], "database file is damaged")
	require.Contains(t, body["error"], "malformed")

	// Every write is refused now, and the API's reads that meet the
	// damage say so; none of them logs it again.
	for range 20 {
		_, err = n.Submit(ctx, "noop", nil, nil)
		require.ErrorIs(t, err, gigq.ErrCorrupt)
		require.Contains(t, err.Error(), "the node stopped writing")
		require.Contains(t, err.Error(), "malformed")
		_, err = n.List(ctx, nil)
		require.ErrorIs(t, err, gigq.ErrCorrupt)
	}

	// Close waits for the running handlers: their contexts were cancelled
	// (the gate stays shut). It writes nothing and says why.
	require.ErrorIs(t, n.Close(context.Background()), gigq.ErrCorrupt)
	select {
	case id := <-g.started:
		t.Fatalf("job %s was claimed after the damage", id)
	default:
	}
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "malformed"), out)
	require.Equal(t, 1, strings.Count(out, `"level":"error"`), out)
	require.Contains(t, out, "run gigq check")
}
