package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestRunnersNote(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a := gigq.NodeInfo{ID: "a", LastSeen: now, Handlers: []string{"echo", "http"}}
	b := gigq.NodeInfo{ID: "b", LastSeen: now, Handlers: []string{"echo", "exec"}}
	gone := gigq.NodeInfo{ID: "gone", LastSeen: now.Add(-time.Minute), Handlers: []string{"exec"}}

	require.Equal(t, "Runnable by: b", runnersNote("exec", []gigq.NodeInfo{a, b, gone}, now))
	require.Equal(t, "Runnable by: a, b", runnersNote("echo", []gigq.NodeInfo{a, b}, now))
	require.Equal(t, `Waiting: no running worker or node has handler "exec"; exec runs only on a worker or node started `+
		`with --allow-exec. Running: a (echo, http)`, runnersNote("exec", []gigq.NodeInfo{a, gone}, now),
		"a node whose heartbeat is older than the lease does not count")
	require.Equal(t, `Waiting: no running worker or node has handler "resize". Running: a (echo, http)`,
		runnersNote("resize", []gigq.NodeInfo{a}, now))
	require.Equal(t, `Waiting: no worker or node is running on this database; start one with handler "echo" (gigq worker)`,
		runnersNote("echo", nil, now))
	primary := gigq.NodeInfo{ID: "p", LastSeen: now, Handlers: []string{}}
	require.Equal(t, `Waiting: no running worker or node has handler "echo". Running: p (runs no jobs itself)`,
		runnersNote("echo", []gigq.NodeInfo{primary}, now), "a primary without workers of its own")
}
