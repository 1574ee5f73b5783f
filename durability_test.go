package gigq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestDurability(t *testing.T) {
	t.Parallel()

	t.Run("SubmitCloseOpenRuns", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		id, err := addTask.Submit(testCtx(t), c, addArgs{A: 40, B: 2}, &gigq.SubmitOpts{Name: "durable", Priority: 3})
		require.NoError(t, err)
		closeNode(t, c)

		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, "durable", j.Name)
		require.Equal(t, 3, j.Priority)
		sum, err := addTask.Result(testCtx(t), n, id)
		require.NoError(t, err)
		require.Equal(t, 42, sum)
		closeNode(t, n)

		// The outcome is durable too.
		r := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		j = status(t, r, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.JSONEq(t, `42`, string(j.Result))
		require.Len(t, j.Executions, 1)
		require.Equal(t, "completed", j.Executions[0].Status)
	})

	for _, sync := range []string{"normal", "full"} {
		t.Run("SubmitReturnsWhenDurable/Sync="+sync, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			c := openNode(t, gigq.Config{Path: path, ClientOnly: true, Sync: sync})
			other := openNode(t, gigq.Config{Path: path, ClientOnly: true})
			ctx := testCtx(t)
			for i := range 5 {
				id, err := c.Submit(ctx, "noop", map[string]int{"i": i}, nil)
				require.NoError(t, err)
				// Another connection sees the job as soon as Submit returns.
				j, err := other.Status(ctx, id)
				require.NoError(t, err, "job %s not visible to another connection after Submit returned", id)
				require.Equal(t, gigq.StatusPending, j.Status)
				// So does a node opened only now.
				fresh := openNode(t, gigq.Config{Path: path, ClientOnly: true})
				_, err = fresh.Status(ctx, id)
				require.NoError(t, err)
				closeNode(t, fresh)
			}
		})
	}

	t.Run("ConcurrentSubmitsAllDurable", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		ids := submitConcurrently(t, c, "noop", 300, 30)
		closeNode(t, c)

		r := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		st, err := r.Stats(testCtx(t))
		require.NoError(t, err)
		require.Equal(t, gigq.Stats{Pending: 300, Total: 300}, st)
		seen := map[gigq.JobID]bool{}
		list, err := r.List(testCtx(t), &gigq.ListParams{Limit: 1000})
		require.NoError(t, err)
		for _, j := range list {
			seen[j.ID] = true
		}
		for _, id := range ids {
			require.True(t, seen[id], "acknowledged job %s is missing", id)
		}
	})

	t.Run("WaitingRetrySurvivesRestart", func(t *testing.T) {
		t.Parallel()
		const delay = 2 * time.Second
		path := dbPath(t)
		reg := gigq.NewRegistry().MustAdd(failFirst)
		n := openNode(t, gigq.Config{Path: path, Registry: reg, Workers: 1})
		events, cancel := n.Subscribe(gigq.EventRetrying)
		defer cancel()
		id, err := failFirst.Submit(testCtx(t), n, struct{}{}, &gigq.SubmitOpts{RetryDelay: delay})
		require.NoError(t, err)
		eventFor(t, events, id, gigq.EventRetrying)
		closeNode(t, n) // while the retry waits

		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		j := status(t, c, id)
		require.Equal(t, gigq.StatusPending, j.Status)
		require.Equal(t, 1, j.Attempts)
		require.Len(t, j.Executions, 1)
		closeNode(t, c)

		// A new node's scheduler finds the waiting retry and runs it when
		// it is due, not before.
		m := openNode(t, gigq.Config{Path: path, Registry: reg, Workers: 1})
		j = waitJob(t, m, id)
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Len(t, j.Executions, 2)
		due := j.Executions[0].CompletedAt.Add(delay)
		require.False(t, j.Executions[1].StartedAt.Before(due), "retry started at %s, due at %s",
			j.Executions[1].StartedAt.Format(time.RFC3339Nano), due.Format(time.RFC3339Nano))
	})

	t.Run("PendingJobsStayPendingAcrossClose", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		g := newGate()
		defer g.open()
		blocked := g.task("blocked")
		n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(blocked), Workers: 1})
		ctx := testCtx(t)
		first, err := blocked.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		require.Equal(t, first, g.waitStarted(t))
		var queued []gigq.JobID
		for range 3 {
			id, err := blocked.Submit(ctx, n, struct{}{}, nil)
			require.NoError(t, err)
			queued = append(queued, id)
		}
		closed := make(chan error, 1)
		go func() { closed <- n.Close(context.Background()) }()
		eventually(t, "Close to begin", func() bool {
			_, err := n.Stats(context.Background())
			return err != nil
		})
		g.open()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(waitTimeout):
			require.FailNow(t, "Close did not return")
		}

		c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
		require.Equal(t, gigq.StatusCompleted, status(t, c, first).Status)
		for _, id := range queued {
			j := status(t, c, id)
			require.Equal(t, gigq.StatusPending, j.Status, "a closing node claims nothing more")
			require.Empty(t, j.Executions)
		}
		st, err := c.Stats(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Running, fmt.Sprintf("%+v", st))
	})
}
