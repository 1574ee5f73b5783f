package gigq_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestNodes: a node that runs jobs is listed with its handlers and a
// recent heartbeat; a client-only node is not; a closed node is gone.
func TestNodes(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	client := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	ctx := testCtx(t)
	none, err := client.Nodes(ctx)
	require.NoError(t, err)
	require.Empty(t, none, "a client-only node runs nothing and is not listed")

	before := time.Now().Add(-time.Second)
	w := openNode(t, gigq.Config{Path: path, WorkerID: "w1", Registry: noopRegistry()})
	var list []gigq.NodeInfo
	eventually(t, "the node registers", func() bool { // its first write, right after Open
		var err error
		list, err = client.Nodes(ctx)
		require.NoError(t, err)
		return len(list) > 0
	})
	require.Len(t, list, 1)
	require.Equal(t, "w1", list[0].ID)
	require.True(t, list[0].Has("noop"), "%+v", list[0])
	require.False(t, list[0].Has("exec"))
	require.True(t, list[0].LastSeen.After(before), "%v", list[0].LastSeen)

	closeNode(t, w)
	list, err = client.Nodes(ctx)
	require.NoError(t, err)
	require.Empty(t, list, "a node that stopped cleanly removes its row")
	closeNode(t, client)
	_, err = client.Nodes(ctx)
	require.ErrorIs(t, err, gigq.ErrClosed)
}
