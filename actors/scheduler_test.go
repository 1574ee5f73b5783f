package actors

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

// waitingStub is a ReadStore whose waiting jobs are a sorted slice.
type waitingStub struct {
	ReadStore
	jobs []persistence.ReadyJob
}

func (w *waitingStub) DelayedJobsAfter(_ context.Context, after time.Time, limit int) ([]persistence.ReadyJob, error) {
	var out []persistence.ReadyJob
	for _, j := range w.jobs {
		if j.RetryAfter.After(after) && len(out) < limit {
			out = append(out, j)
		}
	}
	return out, nil
}

func TestSchedulerHoldsOnlyTheSoonest(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) persistence.ReadyJob {
		return persistence.ReadyJob{ID: persistence.JobID(fmt.Sprintf("j%03d", i)), Function: "f", RetryAfter: base.Add(time.Duration(i) * time.Second)}
	}
	stub := &waitingStub{}
	for i := range 100 {
		stub.jobs = append(stub.jobs, at(i))
	}
	s := &scheduler{deps: &Deps{Reader: stub, Now: func() time.Time { return base }}, held: 10, log: zerolog.Nop()}
	s.load(time.Time{})
	require.Equal(t, 10, s.due.Len())
	require.False(t, s.complete)
	require.Equal(t, at(9).RetryAfter, s.horizon, "everything due by the 10th job is held")

	// A job due later than the horizon stays in the database; an earlier
	// one replaces the latest held, and the horizon comes down.
	s.add(at(50))
	require.Equal(t, 10, s.due.Len())
	early := persistence.ReadyJob{ID: "early", Function: "f", RetryAfter: base.Add(1500 * time.Millisecond)}
	s.add(early)
	require.Equal(t, 10, s.due.Len(), "the heap stays bounded")
	require.True(t, s.horizon.Before(at(9).RetryAfter))
	var held []string
	for _, j := range s.due {
		held = append(held, string(j.ID))
	}
	sort.Strings(held)
	require.Contains(t, held, "early")
	require.NotContains(t, held, "j009", "the latest job made room")

	// Loading after a time reads the next ones.
	s.load(at(85).RetryAfter)
	require.Equal(t, 10, s.due.Len())
	require.False(t, s.complete, "a full load cannot know it read the last")
	s.load(at(90).RetryAfter)
	require.Equal(t, 9, s.due.Len())
	require.True(t, s.complete, "the last nine: nothing left behind")
}
