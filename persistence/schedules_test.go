package persistence_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func TestScheduleCRUD(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	s := openStore(t, path, persistence.Options{})
	now := time.Date(2030, 1, 1, 0, 0, 30, 0, time.UTC)
	next := now.Add(30 * time.Second)
	sc := persistence.Schedule{Name: "hourly", Cron: "0 * * * *", Timezone: "UTC", Function: "echo",
		Params: json.RawMessage(`{"a":1}`), Enabled: true, CatchUp: persistence.CatchUpSkip, NextRun: next,
		Options: persistence.ScheduleOptions{Name: "job", Priority: 3, MaxAttempts: 2, Timeout: 90 * time.Second,
			RetryDelay: 1500 * time.Millisecond, Description: "d"}}
	seq0 := seq(t, s)
	write(t, s, func() error { return s.InsertSchedule(sc, now) })
	require.Greater(t, seq(t, s), seq0, "a change counts in schedules_seq")

	require.NoError(t, s.Begin())
	err := s.InsertSchedule(sc, now)
	require.ErrorIs(t, err, persistence.ErrScheduleExists)
	require.True(t, persistence.IsScheduleRefusal(err))
	require.ErrorIs(t, s.DeleteSchedule("nope"), persistence.ErrNotFound)
	require.ErrorIs(t, s.SetScheduleEnabled("nope", true, now, now), persistence.ErrNotFound)
	_, err = s.LockedSchedule("nope")
	require.ErrorIs(t, err, persistence.ErrNotFound)
	require.NoError(t, s.Rollback())

	all, err := s.Schedules(context.Background())
	require.NoError(t, err)
	require.Len(t, all, 1)
	got := all[0]
	require.Equal(t, sc.Options, got.Options)
	require.JSONEq(t, `{"a":1}`, string(got.Params))
	require.Equal(t, next, got.NextRun)
	require.True(t, got.LastRun.IsZero())
	require.Equal(t, now, got.CreatedAt)
	require.Equal(t, persistence.CatchUpSkip, got.CatchUp)

	write(t, s, func() error { return s.SetScheduleEnabled("hourly", false, time.Time{}, now) })
	all, err = s.Schedules(context.Background())
	require.NoError(t, err)
	require.False(t, all[0].Enabled)
	require.True(t, all[0].NextRun.IsZero())
	write(t, s, func() error { return s.DeleteSchedule("hourly") })
	all, err = s.Schedules(context.Background())
	require.NoError(t, err)
	require.Empty(t, all)

	raw := openRaw(t, path)
	require.Equal(t, int64(0), queryInt(t, raw, `SELECT count(*) FROM schedules`))
}

// TestAdvanceScheduleGuard: a due time is enqueued once; a second advance
// of the same due time (another node, or the same after a restart) writes
// nothing, nor does one of a paused schedule.
func TestAdvanceScheduleGuard(t *testing.T) {
	t.Parallel()
	path := newPath(t)
	s := openStore(t, path, persistence.Options{})
	now := time.Date(2030, 1, 1, 0, 0, 30, 0, time.UTC)
	due, next := now.Add(30*time.Second), now.Add(90*time.Second)
	write(t, s, func() error {
		return s.InsertSchedule(persistence.Schedule{Name: "m", Cron: "* * * * *", Timezone: "UTC", Function: "echo",
			Enabled: true, CatchUp: persistence.CatchUpOne, NextRun: due}, now)
	})
	advance := func(job persistence.NewJob) (fired bool) {
		write(t, s, func() (err error) {
			_, fired, err = s.AdvanceSchedule("m", due, next, due, &job, due)
			return err
		})
		return fired
	}
	require.True(t, advance(newJob()))
	require.False(t, advance(newJob()), "the same due time twice")
	raw := openRaw(t, path)
	require.Equal(t, int64(1), queryInt(t, raw, `SELECT count(*) FROM jobs`))
	require.Equal(t, "2030-01-01T00:01:00.000000000Z", queryText(t, raw, `SELECT last_run FROM schedules`))
	require.Equal(t, "2030-01-01T00:02:00.000000000Z", queryText(t, raw, `SELECT next_run FROM schedules`))

	// A skipped catch-up moves next_run and keeps last_run.
	write(t, s, func() error {
		_, fired, err := s.AdvanceSchedule("m", next, next.Add(time.Minute), time.Time{}, nil, next)
		require.True(t, fired)
		return err
	})
	require.Equal(t, "2030-01-01T00:01:00.000000000Z", queryText(t, raw, `SELECT last_run FROM schedules`))
	require.Equal(t, int64(1), queryInt(t, raw, `SELECT count(*) FROM jobs`))

	write(t, s, func() error { return s.SetScheduleEnabled("m", false, next.Add(time.Minute), now) })
	write(t, s, func() error {
		job := newJob()
		_, fired, err := s.AdvanceSchedule("m", next.Add(time.Minute), next.Add(2*time.Minute), next.Add(time.Minute), &job, now)
		require.False(t, fired, "paused")
		return err
	})
	require.Equal(t, int64(1), queryInt(t, raw, `SELECT count(*) FROM jobs`))
}

func seq(t *testing.T, s *persistence.Store) int64 {
	t.Helper()
	require.NoError(t, s.Begin())
	defer func() { require.NoError(t, s.Rollback()) }()
	n, err := s.SchedulesSeq()
	require.NoError(t, err)
	return n
}
