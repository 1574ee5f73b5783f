package mcpserver_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/mcpserver"
)

// helperDB names the database of the Serve helper process.
const helperDB = "GIGQ_MCPSERVER_HELPER_DB"

// TestServeStdio runs Serve in a child process (this test binary, as
// TestServeHelper) the way `gigq mcp` does, and talks to it over its stdin
// and stdout. Closing the session closes the child's stdin: Serve must
// then return nil and the child exit cleanly.
func TestServeStdio(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "x.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelper$")
	cmd.Env = append(os.Environ(), helperDB+"="+db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "test"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	require.Equal(t, "gigq", cs.InitializeResult().ServerInfo.Name)
	require.Equal(t, "v9.9.9", cs.InitializeResult().ServerInfo.Version)
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	require.Len(t, tools.Tools, 8)

	b := &testBundle{cs: cs}
	b.submit(t, map[string]any{"function": "echo"})
	var st gigq.Stats
	b.call(t, "gigq_queue_stats", nil, &st)
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st, "a client-only node runs nothing")
	require.NoError(t, cs.Close(), "the helper failed: %s", &stderr)
}

// TestServeHelper is the child process of TestServeStdio.
func TestServeHelper(t *testing.T) {
	db := os.Getenv(helperDB)
	if db == "" {
		t.Skip("run by TestServeStdio")
	}
	ctx := context.Background()
	node, err := gigq.Open(ctx, gigq.Config{Path: db, ClientOnly: true})
	require.NoError(t, err)
	serveErr := mcpserver.Serve(ctx, node, mcpserver.Options{Version: "v9.9.9"})
	require.NoError(t, node.Close(ctx))
	require.NoError(t, serveErr)
}
