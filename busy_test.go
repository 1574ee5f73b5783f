package gigq_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq"
)

// lockedBuffer is a bytes.Buffer safe for the logger and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestBusyDatabase: while another process holds the write lock past the
// busy timeout, a submit waits (the node logs a warning and retries with
// backoff) and succeeds once the lock is released.
func TestBusyDatabase(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	var logs lockedBuffer
	log := zerolog.New(&logs)
	n := openNode(t, gigq.Config{Path: path, ClientOnly: true, BusyTimeout: 20 * time.Millisecond, Logger: &log})

	other, err := sqlite.OpenConn(path, sqlite.OpenReadWrite)
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, sqlitex.ExecuteTransient(other, "BEGIN IMMEDIATE", nil))

	type result struct {
		id  gigq.JobID
		err error
	}
	done := make(chan result, 1)
	go func() {
		id, err := n.Submit(context.Background(), "noop", nil, nil)
		done <- result{id, err}
	}()
	eventually(t, "the node to report the busy database", func() bool {
		return strings.Contains(logs.String(), "database busy")
	})
	select {
	case r := <-done:
		t.Fatalf("submit returned while another process held the lock: %v", r.err)
	default:
	}
	require.NoError(t, sqlitex.ExecuteTransient(other, "ROLLBACK", nil))

	select {
	case r := <-done:
		require.NoError(t, r.err)
		j, err := n.Status(context.Background(), r.id)
		require.NoError(t, err)
		require.Equal(t, gigq.StatusPending, j.Status)
	case <-time.After(waitTimeout):
		t.Fatal("submit did not finish after the lock was released")
	}
	require.Contains(t, logs.String(), `"level":"warn"`)
}
