package persistencetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func testInsertedJobReadsBack(t *testing.T, b *bundle) {
	j := persistence.NewJob{
		ID:          newJobID(),
		Name:        "resize image",
		Function:    "resize",
		Params:      json.RawMessage(`{"path":"/tmp/a.png","width":640}`),
		Priority:    -4,
		MaxAttempts: 5,
		Timeout:     1500 * time.Millisecond,
		RetryDelay:  250 * time.Millisecond,
		Description: "makes a thumbnail",
	}
	at := time.Date(2031, 2, 3, 4, 5, 6, 123456789, time.UTC)
	b.insertAt(t, at, j)

	got := b.job(t, j.ID)
	require.Equal(t, j.ID, got.ID)
	require.Equal(t, j.Name, got.Name)
	require.Equal(t, j.Function, got.Function)
	require.JSONEq(t, string(j.Params), string(got.Params))
	require.Equal(t, j.Priority, got.Priority)
	require.Empty(t, got.Dependencies)
	require.Equal(t, j.MaxAttempts, got.MaxAttempts)
	require.Equal(t, j.Timeout, got.Timeout)
	require.Equal(t, j.RetryDelay, got.RetryDelay)
	require.Equal(t, j.Description, got.Description)
	require.Equal(t, persistence.StatusPending, got.Status)
	require.Zero(t, got.Attempts)
	require.Nil(t, got.Result)
	require.Empty(t, got.Error)
	require.Empty(t, got.WorkerID)
	require.Equal(t, at, got.CreatedAt, "nanoseconds and UTC survive")
	require.Equal(t, at, got.UpdatedAt)
	require.True(t, got.StartedAt.IsZero())
	require.True(t, got.CompletedAt.IsZero())
	require.True(t, got.RetryAfter.IsZero())
	require.Empty(t, got.ExecutionID)
}

func testStats(t *testing.T, b *bundle) {
	st, err := b.s.Stats(b.ctx)
	require.NoError(t, err)
	require.Equal(t, persistence.Stats{}, st)

	for _, s := range states() {
		s.make(t, b)
	}
	st, err = b.s.Stats(b.ctx)
	require.NoError(t, err)
	require.Equal(t, persistence.Stats{Pending: 2, Running: 1, Completed: 1, Failed: 1, Cancelled: 2, Timeout: 1, Total: 8}, st)
}

func testListJobs(t *testing.T, b *bundle) {
	var ids []persistence.JobID // creation order
	var cancelled []persistence.JobID
	for _, s := range states() {
		id := s.make(t, b)
		ids = append(ids, id)
		if s.status == persistence.StatusCancelled {
			cancelled = append(cancelled, id)
		}
	}
	slices.Reverse(ids)
	slices.Reverse(cancelled)

	list := func(p persistence.ListParams) []persistence.JobID {
		t.Helper()
		jobs, err := b.s.ListJobs(b.ctx, p)
		require.NoError(t, err)
		out := make([]persistence.JobID, 0, len(jobs))
		for _, j := range jobs {
			if p.Status != "" {
				require.Equal(t, p.Status, j.Status)
			}
			out = append(out, j.ID)
		}
		return out
	}
	require.Equal(t, ids, list(persistence.ListParams{}), "newest first")
	require.Equal(t, ids[:3], list(persistence.ListParams{Limit: 3}))
	require.Equal(t, cancelled, list(persistence.ListParams{Status: persistence.StatusCancelled}))
	require.Equal(t, cancelled[:1], list(persistence.ListParams{Status: persistence.StatusCancelled, Limit: 1}))
	require.Len(t, list(persistence.ListParams{Status: persistence.StatusRunning}), 1)

	_, err := b.s.ListJobs(b.ctx, persistence.ListParams{Status: "sleeping"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "sleeping")

	jobs, err := b.s.ListJobs(b.ctx, persistence.ListParams{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, *b.job(t, ids[0]), jobs[0], "a listed job is the whole job")
}

func testClearCompleted(t *testing.T, b *bundle) {
	// makeAll makes a job in every state and returns the ids of those
	// ClearCompleted deletes (completed and cancelled) and of the others.
	makeAll := func() (cleared, kept []persistence.JobID) {
		for _, s := range states() {
			id := s.make(t, b)
			if s.status == persistence.StatusCompleted || s.status == persistence.StatusCancelled {
				cleared = append(cleared, id)
			} else {
				kept = append(kept, id)
			}
		}
		return cleared, kept
	}
	clearBefore := func(before time.Time) int {
		t.Helper()
		var n int
		b.must(t, func() (err error) { n, err = b.s.ClearCompleted(before); return err })
		return n
	}

	keptSoFar := 0
	for _, before := range []time.Time{{}, time.Now().Add(time.Hour)} {
		cleared, kept := makeAll()
		executions := func(ids []persistence.JobID) int {
			n := 0
			for _, id := range ids {
				n += b.count(t, `SELECT count(*) FROM job_executions WHERE job_id = ?`, string(id))
			}
			return n
		}
		keptBefore := make([]rows, len(kept))
		for i, id := range kept {
			keptBefore[i] = b.snapshot(t, id)
		}
		require.Positive(t, executions(cleared), "some of the cleared jobs have executions")

		require.Zero(t, clearBefore(time.Now().Add(-time.Hour)), "nothing finished an hour ago")
		require.Equal(t, len(cleared), clearBefore(before), fmt.Sprintf("before %v", before))

		for _, id := range cleared {
			_, err := b.s.Job(b.ctx, id)
			require.ErrorIs(t, err, persistence.ErrNotFound)
		}
		require.Zero(t, executions(cleared), "executions of cleared jobs are deleted with them")
		for i, id := range kept {
			require.Equal(t, keptBefore[i], b.snapshot(t, id))
		}
		keptSoFar += len(kept)
		require.Equal(t, keptSoFar, b.count(t, `SELECT count(*) FROM jobs`))
	}
}

// testConcurrentReads reads from several goroutines while the owner
// writes: the pool is safe for concurrent use, and a reader sees whole
// transactions only.
func testConcurrentReads(t *testing.T, b *bundle) {
	const (
		readers = 4
		batches = 20
		perTx   = 2
	)
	done := make(chan struct{})
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				st, err := b.s.Stats(b.ctx)
				if err == nil && (st.Total%perTx != 0 || st.Total < last) {
					err = fmt.Errorf("read %d jobs after %d: not whole transactions of %d", st.Total, last, perTx)
				}
				if err == nil {
					_, err = b.s.ReadyJobs(b.ctx, 10, []string{"echo"})
				}
				if err == nil {
					_, err = b.s.ListJobs(b.ctx, persistence.ListParams{Limit: 5})
				}
				if err != nil {
					errs <- err
					return
				}
				last = st.Total
			}
		})
	}
	for range batches {
		b.insert(t, newJob(), newJob())
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st, err := b.s.Stats(b.ctx)
	require.NoError(t, err)
	require.Equal(t, batches*perTx, st.Total)
}
