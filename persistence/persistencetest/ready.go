package persistencetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func testReadyJobsOrder(t *testing.T, b *bundle) {
	base := time.Now().Add(-time.Minute)
	low := newJob(priority(0))
	negative := newJob(priority(-1))
	highLate := newJob(priority(5))
	highEarly := newJob(priority(5))
	tieA := newJob(priority(1)) // same priority and created_at as tieB,
	tieB := newJob(priority(1)) // and a smaller id
	require.Less(t, tieA.ID, tieB.ID)

	// Inserted out of order, so neither rowid nor insertion order can
	// pass for the dispatch order.
	b.insertAt(t, base, negative, low)
	b.insertAt(t, base.Add(2*time.Second), highLate)
	b.insertAt(t, base.Add(time.Second), highEarly)
	b.insertAt(t, base.Add(3*time.Second), tieB, tieA)

	rs, err := b.s.ReadyJobs(b.ctx, 100, []string{"echo"})
	require.NoError(t, err)
	require.Equal(t, []persistence.JobID{highEarly.ID, highLate.ID, tieA.ID, tieB.ID, low.ID, negative.ID}, readyIDs(rs))
	require.True(t, slices.IsSortedFunc(rs, func(x, y persistence.ReadyJob) int {
		if x.Less(y) {
			return -1
		}
		return 1
	}), "ReadyJob.Less agrees with the store's order")

	byID := map[persistence.JobID]persistence.NewJob{low.ID: low, negative.ID: negative, highLate.ID: highLate,
		highEarly.ID: highEarly, tieA.ID: tieA, tieB.ID: tieB}
	for _, r := range rs {
		require.Equal(t, "echo", r.Function)
		require.Equal(t, byID[r.ID].Priority, r.Priority)
		require.True(t, r.RetryAfter.IsZero())
	}
	sameTime(t, base.Add(time.Second), rs[0].CreatedAt)
	sameTime(t, base.Add(3*time.Second), rs[2].CreatedAt)
}

func testReadyJobsLimitAndFunctions(t *testing.T, b *bundle) {
	var a, ab []persistence.JobID
	for i := range 6 {
		fn := []string{"a", "b", "c"}[i%3]
		j := newJob(function(fn))
		b.insertAt(t, time.Now().Add(time.Duration(i)*time.Second), j)
		if fn == "a" {
			a = append(a, j.ID)
		}
		if fn != "c" {
			ab = append(ab, j.ID)
		}
	}

	require.Equal(t, a, b.ready(t, 100, "a"))
	require.Equal(t, a[:1], b.ready(t, 1, "a"))
	require.Equal(t, ab, b.ready(t, 100, "a", "b"))
	require.Equal(t, ab[:3], b.ready(t, 3, "b", "a"))
	require.Empty(t, b.ready(t, 100), "no functions, no jobs")
	require.Empty(t, b.ready(t, 100, "unknown"))
	require.Len(t, b.ready(t, 100, "a", "b", "c"), 6)
}

func testReadyJobsExcludes(t *testing.T, b *bundle) {
	var want []persistence.JobID
	for _, st := range states() {
		id := st.make(t, b)
		if st.status == persistence.StatusPending {
			want = append(want, id)
		}
	}
	waiting := newJob(retryDelay(time.Hour))
	b.insert(t, waiting)
	b.fail(t, waiting.ID, b.claim(t, waiting.ID), "boom")

	require.ElementsMatch(t, want, b.ready(t, 100, "echo"))
}
