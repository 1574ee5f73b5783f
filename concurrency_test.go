package gigq_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// submitConcurrently submits count jobs of function from goroutines
// goroutines and returns their ids in no particular order.
func submitConcurrently(t testing.TB, n *gigq.Node, function string, count, goroutines int) []gigq.JobID {
	t.Helper()
	ids := make([]gigq.JobID, count)
	require.NoError(t, parallel(goroutines, count, func(i int) error {
		id, err := n.Submit(context.Background(), function, nil, nil)
		ids[i] = id
		return err
	}))
	return ids
}

// parallel calls fn(0..count-1) from goroutines goroutines and returns the
// first error.
func parallel(goroutines, count int, fn func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < count; i += goroutines {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// waitCompleted waits until want jobs are completed on n. It counts the
// EventCompleted events of a subscription made with
// n.Subscribe(gigq.EventCompleted) before the jobs could complete, and
// checks Stats now and then too (a subscriber that falls 4096 events
// behind misses events; Stats scans the table, so it is not polled often).
// It fails the test at timeout, or when no job completed for waitTimeout.
func waitCompleted(t testing.TB, n *gigq.Node, events <-chan *gigq.Event, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	stats := func() gigq.Stats {
		st, err := n.Stats(context.Background())
		require.NoError(t, err)
		return st
	}
	seen, lastProgress := 0, time.Now()
	for {
		select {
		case _, ok := <-events:
			require.True(t, ok, "event channel closed")
			lastProgress = time.Now()
			if seen++; seen < want {
				continue
			}
		case <-tick.C:
			if time.Since(lastProgress) > waitTimeout {
				require.FailNow(t, "jobs stopped completing", "%d of %d completed; stats %+v", seen, want, stats())
			}
		case <-deadline.C:
			require.FailNow(t, "timed out waiting for jobs to complete", "want %d; stats %+v", want, stats())
		}
		if stats().Completed >= want {
			return
		}
	}
}

func TestExactlyOnceClaims(t *testing.T) {
	t.Parallel()
	const jobs, workers = 5000, 8
	var mu sync.Mutex
	runs := map[gigq.JobID]int{}
	counted := gigq.NewTask("counted", func(ctx context.Context, _ struct{}) (struct{}, error) {
		jc, _ := gigq.JobFromContext(ctx)
		mu.Lock()
		runs[jc.ID]++
		mu.Unlock()
		return struct{}{}, nil
	})
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(counted), Workers: workers})
	events, cancel := n.Subscribe(gigq.EventCompleted)
	defer cancel()

	// Jobs are submitted while the workers claim: inserts and claims
	// interleave in the store's batches.
	ids := submitConcurrently(t, n, "counted", jobs, 16)
	waitCompleted(t, n, events, jobs, 100*time.Second)
	ctx := testCtx(t)
	st, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Completed: jobs, Total: jobs}, st)

	list, err := n.List(ctx, &gigq.ListParams{Limit: 2 * jobs})
	require.NoError(t, err)
	require.Len(t, list, jobs)
	for _, j := range list {
		require.Equal(t, gigq.StatusCompleted, j.Status, "job %s", j.ID)
		require.Equal(t, 1, j.Attempts, "job %s", j.ID)
	}

	// Every job has exactly one execution row, and ran once.
	require.NoError(t, parallel(4, len(ids), func(i int) error {
		j, err := n.Status(ctx, ids[i])
		if err != nil {
			return err
		}
		if len(j.Executions) != 1 || j.Executions[0].Status != "completed" {
			return fmt.Errorf("job %s has executions %+v", ids[i], j.Executions)
		}
		return nil
	}))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, runs, jobs)
	for id, c := range runs {
		require.Equal(t, 1, c, "job %s ran %d times", id, c)
	}
}

func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	for _, window := range []int{0, 3} { // the default window, and one that must refill
		t.Run(fmt.Sprintf("Window%d", window), func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			c := openNode(t, gigq.Config{Path: path, ClientOnly: true})
			ctx := testCtx(t)
			priorities := []int{0, 5, -1, 5, 10, 0, 3, -1, 10, 5, 0, 7}
			type sub struct {
				id       gigq.JobID
				priority int
				seq      int
			}
			var subs []sub
			for i, p := range priorities {
				id, err := c.Submit(ctx, "ordered", map[string]int{"seq": i}, &gigq.SubmitOpts{Priority: p})
				require.NoError(t, err)
				subs = append(subs, sub{id, p, i})
			}
			closeNode(t, c)

			ordered := gigq.NewTask("ordered", func(context.Context, struct{ Seq int }) (int, error) { return 0, nil })
			n := openNode(t, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(ordered), Workers: 1,
				WindowSize: window})
			// The node may start jobs before this subscription exists;
			// the execution rows give the start order either way.
			want := append([]sub(nil), subs...)
			slices.SortStableFunc(want, func(a, b sub) int { return cmp.Compare(b.priority, a.priority) })
			var got []gigq.JobID
			for _, s := range subs {
				waitJob(t, n, s.id)
			}
			type started struct {
				id gigq.JobID
				at time.Time
			}
			var starts []started
			for _, s := range subs {
				j := status(t, n, s.id)
				require.Len(t, j.Executions, 1)
				starts = append(starts, started{s.id, j.Executions[0].StartedAt})
			}
			slices.SortStableFunc(starts, func(a, b started) int { return a.at.Compare(b.at) })
			for _, s := range starts {
				got = append(got, s.id)
			}
			var wantIDs []gigq.JobID
			for _, s := range want {
				wantIDs = append(wantIDs, s.id)
			}
			require.Equal(t, wantIDs, got, "start order: priority DESC, then submission order")
		})
	}

	t.Run("EventsOnALiveNode", func(t *testing.T) {
		t.Parallel()
		// On a running node with its one worker busy, jobs queue up and
		// start in priority order once it frees.
		g := newGate()
		defer g.open()
		blocked := g.task("blocked")
		ordered := gigq.NewTask("ordered", func(context.Context, struct{}) (int, error) { return 0, nil })
		n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(blocked, ordered), Workers: 1})
		ctx := testCtx(t)
		events, cancel := n.Subscribe(gigq.EventStarted)
		defer cancel()
		first, err := blocked.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		require.Equal(t, first, g.waitStarted(t))
		require.Equal(t, first, nextEvent(t, events).JobID)

		byPriority := map[int][]gigq.JobID{}
		for i, p := range []int{1, 3, 2, 3, 1, 2} {
			id, err := n.Submit(ctx, "ordered", map[string]int{"i": i}, &gigq.SubmitOpts{Priority: p})
			require.NoError(t, err)
			byPriority[p] = append(byPriority[p], id)
		}
		want := append(append(byPriority[3], byPriority[2]...), byPriority[1]...)
		g.open()
		var got []gigq.JobID
		for range want {
			got = append(got, nextEvent(t, events).JobID)
		}
		require.Equal(t, want, got)
	})
}

func TestOneAttemptPerWorker(t *testing.T) {
	t.Parallel()
	// While the only worker is busy, further jobs wait: none is claimed
	// for a busy worker (which would leave it running with nobody to run
	// it). Once the worker frees, every job runs.
	g := newGate()
	defer g.open()
	blocked := g.task("blocked")
	n := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(blocked, noop), Workers: 1})
	ctx := testCtx(t)
	events, cancel := n.Subscribe(gigq.EventStarted, gigq.EventCompleted)
	defer cancel()

	first, err := blocked.Submit(ctx, n, struct{}{}, nil)
	require.NoError(t, err)
	require.Equal(t, first, g.waitStarted(t))
	var rest []gigq.JobID
	for range 3 {
		id, err := noop.Submit(ctx, n, struct{}{}, nil)
		require.NoError(t, err)
		rest = append(rest, id)
	}
	for _, id := range rest {
		require.Equal(t, gigq.StatusPending, status(t, n, id).Status, "job %s claimed while the only worker is busy", id)
	}
	g.open()
	var seq []string
	for range 2 * (1 + len(rest)) {
		e := nextEvent(t, events)
		seq = append(seq, fmt.Sprintf("%s %s", e.Kind, e.JobID))
	}
	want := []string{fmt.Sprintf("%s %s", gigq.EventStarted, first), fmt.Sprintf("%s %s", gigq.EventCompleted, first)}
	for _, id := range rest {
		want = append(want, fmt.Sprintf("%s %s", gigq.EventStarted, id), fmt.Sprintf("%s %s", gigq.EventCompleted, id))
	}
	require.Equal(t, want, seq, "one attempt at a time on one worker")
}

func TestGroupCommit(t *testing.T) {
	t.Parallel()
	const submits = 1000
	n := openNode(t, gigq.Config{ClientOnly: true})
	before, err := n.BatchStats(testCtx(t))
	require.NoError(t, err)

	var start, wg sync.WaitGroup
	start.Add(1)
	errs := make(chan error, submits)
	for range submits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			_, err := n.Submit(context.Background(), "noop", nil, nil)
			errs <- err
		}()
	}
	start.Done()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	after, err := n.BatchStats(testCtx(t))
	require.NoError(t, err)
	commits, commands := after.Commits-before.Commits, after.Commands-before.Commands
	t.Logf("%d concurrent submits: %d commands in %d commits (largest batch %d)", submits, commands, commits, after.MaxBatch)
	require.GreaterOrEqual(t, commands, int64(submits))
	require.Less(t, commits, int64(submits/2), "concurrent submits share transactions")
	require.Greater(t, after.MaxBatch, int64(1))

	st, err := n.Stats(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, submits, st.Pending)
}

func TestSecondNodeSubmits(t *testing.T) {
	t.Parallel()
	// A client-only node on the same file has its own connections, as
	// another process would: its jobs reach the worker node through the
	// data_version watch, not through events.
	w := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
	c := openNode(t, gigq.Config{Path: w.Path(), ClientOnly: true})
	ctx := testCtx(t)
	// The worker node is idle (and has seen no job) before the submit.
	st, err := w.Stats(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Total)

	for i := range 3 {
		id, err := addTask.Submit(ctx, c, addArgs{A: i, B: 10}, nil)
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		j, err := w.Wait(wctx, id)
		cancel()
		require.NoError(t, err, "job submitted by the other node did not finish within 10 s")
		require.Equal(t, gigq.StatusCompleted, j.Status)
		require.Equal(t, w.WorkerID(), j.WorkerID)
		sum, err := addTask.Result(ctx, c, id)
		require.NoError(t, err)
		require.Equal(t, i+10, sum)
	}
}
