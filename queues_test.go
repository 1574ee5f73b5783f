package gigq_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// concurrency tracks how many handlers of each queue run at once, and the
// most that ever did.
type concurrency struct {
	mu      sync.Mutex
	now     map[string]int
	highest map[string]int
}

func (c *concurrency) task() *gigq.Task[struct{}, string] {
	return gigq.NewTask("track", func(ctx context.Context, _ struct{}) (string, error) {
		j, _ := gigq.JobFromContext(ctx)
		c.mu.Lock()
		c.now[j.Queue]++
		c.highest[j.Queue] = max(c.highest[j.Queue], c.now[j.Queue])
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.now[j.Queue]--
			c.mu.Unlock()
		}()
		select {
		case <-time.After(40 * time.Millisecond):
			return j.Queue, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
}

func TestQueueLimitNeverExceeded(t *testing.T) {
	t.Parallel()
	c := &concurrency{now: map[string]int{}, highest: map[string]int{}}
	node := openNode(t, gigq.Config{Workers: 8, QueueLimits: map[string]int{"reports": 2},
		Registry: gigq.NewRegistry().MustAdd(c.task())})
	var ids []gigq.JobID
	for i := range 24 {
		opts := &gigq.SubmitOpts{}
		if i%2 == 0 {
			opts.Queue = "reports"
		}
		id, err := node.Submit(testCtx(t), "track", nil, opts)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for _, id := range ids {
		require.Equal(t, gigq.StatusCompleted, waitJob(t, node, id).Status)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	require.LessOrEqual(t, c.highest["reports"], 2, "the reports queue ran more than its limit at once")
	require.Positive(t, c.highest["reports"])
	require.Greater(t, c.highest[gigq.DefaultQueue], 2, "other queues are not held back by the limit")
}

func TestQueuesServed(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	c := &concurrency{now: map[string]int{}, highest: map[string]int{}}
	a := openNode(t, gigq.Config{Path: path, Queues: []string{"a"}, Registry: gigq.NewRegistry().MustAdd(c.task())})
	inB, err := a.Submit(testCtx(t), "track", nil, &gigq.SubmitOpts{Queue: "b"})
	require.NoError(t, err)
	inA, err := a.Submit(testCtx(t), "track", nil, &gigq.SubmitOpts{Queue: "a"})
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, waitJob(t, a, inA).Status)
	j := status(t, a, inB)
	require.Equal(t, gigq.StatusPending, j.Status, "a node that serves queue a leaves queue b's jobs")
	require.Equal(t, "b", j.Queue)

	// A node that serves b runs it.
	b := openNode(t, gigq.Config{Path: path, Queues: []string{"b"}, Registry: gigq.NewRegistry().MustAdd(c.task())})
	require.Equal(t, gigq.StatusCompleted, waitJob(t, b, inB).Status)
}

func TestQueueStatsAndList(t *testing.T) {
	t.Parallel()
	node := openNode(t, gigq.Config{ClientOnly: true})
	for _, q := range []string{"", "mail", "mail", "reports"} {
		_, err := node.Submit(testCtx(t), "nobody", nil, &gigq.SubmitOpts{Queue: q})
		require.NoError(t, err)
	}
	st, err := node.QueueStats(testCtx(t), "mail")
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Pending: 2, Total: 2}, st)
	all, err := node.Stats(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, 4, all.Total)
	list, err := node.List(testCtx(t), &gigq.ListParams{Queue: "reports"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "reports", list[0].Queue)
	list, err = node.List(testCtx(t), &gigq.ListParams{Queue: gigq.DefaultQueue})
	require.NoError(t, err)
	require.Len(t, list, 1)

	_, err = node.Submit(testCtx(t), "nobody", nil, &gigq.SubmitOpts{Queue: "Bad Queue"})
	require.ErrorIs(t, err, gigq.ErrInvalidJob)
	require.ErrorContains(t, err, "queue name")
	_, err = gigq.Open(testCtx(t), gigq.Config{Path: dbPath(t), QueueLimits: map[string]int{"x": 0}})
	require.ErrorContains(t, err, "at least 1")
}
