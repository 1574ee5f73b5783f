package actors

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// The store actor reads the jobs whose claim failed for want of space.
var _ pendingReader = (*persistence.Store)(nil)

func fullTestJob(params string) persistence.NewJob {
	return persistence.NewJob{ID: persistence.JobID(uuid.Must(uuid.NewV7()).String()), Name: "j", Function: "noop",
		Params: json.RawMessage(params), MaxAttempts: 1, Timeout: time.Minute}
}

// startFullTestSystem opens a store on a fresh file and a client-only
// system on it, both closed when the test ends.
func startFullTestSystem(t *testing.T) (*persistence.Store, *System) {
	t.Helper()
	st, err := persistence.Open(filepath.Join(t.TempDir(), "gigq.db"), persistence.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	sys, err := Start(Deps{Store: st, Reader: st, Logger: zerolog.Nop()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sys.Stop(context.Background())) })
	return st, sys
}

// TestStoreFullSplit: SQLite rolls the whole transaction back when a
// submit cannot grow the file; the submits of the same batch that fit are
// applied again without it and commit. (The submits are sent at once so
// they share a batch; a try where they did not is made again.)
func TestStoreFullSplit(t *testing.T) {
	t.Parallel()
	batched := false
	for try := 0; try < 10 && !batched; try++ {
		st, sys := startFullTestSystem(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		st.SetMaxPageCount(1)
		small1, big, small2 := fullTestJob(`{}`), fullTestJob(`{"pad":"`+strings.Repeat("x", 64<<10)+`"}`), fullTestJob(`{}`)
		var futures []*actor.Future
		for _, j := range []persistence.NewJob{small1, big, small2} {
			futures = append(futures, sys.sys.Root.RequestFuture(sys.deps.store,
				&messages.SubmitJobs{Jobs: []persistence.NewJob{j}}, 20*time.Second))
		}
		var errs []error
		for _, f := range futures {
			v, err := f.Result()
			require.NoError(t, err)
			errs = append(errs, v.(*messages.SubmitJobsReply).Err)
		}
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], persistence.ErrFull)
		require.NoError(t, errs[2])
		for _, j := range []persistence.NewJob{small1, small2} {
			_, err := st.Job(ctx, j.ID)
			require.NoError(t, err)
		}
		_, err := st.Job(ctx, big.ID)
		require.ErrorIs(t, err, persistence.ErrNotFound)
		bs, err := sys.BatchStats(ctx)
		require.NoError(t, err)
		batched = bs.MaxBatch >= 2
	}
	require.True(t, batched, "the submits never shared a batch")
}

// TestStoreFullSubmit: a multi-job submit into a full database fails at
// once with ErrFull and writes none of its jobs, even those that would
// fit; once space returns the same store actor commits it.
func TestStoreFullSubmit(t *testing.T) {
	t.Parallel()
	st, sys := startFullTestSystem(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	st.SetMaxPageCount(1)
	jobs := []persistence.NewJob{fullTestJob(`{}`), fullTestJob(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`)}
	_, err := sys.Submit(ctx, jobs)
	require.ErrorIs(t, err, persistence.ErrFull)
	for _, j := range jobs {
		_, err := st.Job(ctx, j.ID)
		require.ErrorIs(t, err, persistence.ErrNotFound)
	}
	stats, err := st.Stats(ctx)
	require.NoError(t, err)
	require.Zero(t, stats.Pending)

	st.SetMaxPageCount(0)
	_, err = sys.Submit(ctx, jobs)
	require.NoError(t, err)
	stats, err = st.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, stats.Pending)
}
