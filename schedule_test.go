package gigq_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// fakeClock is a gigq.Clock that moves only when the test advances it;
// AfterFuncs whose time has come run then.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool // fired or stopped
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	if d <= 0 {
		t.done = true
		go f()
	} else {
		c.timers = append(c.timers, t)
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.done {
			return false
		}
		t.done = true
		return true
	}
}

// set moves the clock to now and runs the AfterFuncs that are due.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	c.now = now
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(now):
			t.done = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// armed counts the pending AfterFuncs due at t (any time when t is zero).
func (c *fakeClock) armed(t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, tm := range c.timers {
		if !tm.done && (t.IsZero() || tm.at.Equal(t)) {
			n++
		}
	}
	return n
}

// waitArmed waits until n cron timers are armed for t.
func (c *fakeClock) waitArmed(t *testing.T, at time.Time, n int) {
	t.Helper()
	eventually(t, "cron timers armed", func() bool { return c.armed(at) == n })
}

// cronT0 is where the schedule tests' fake clocks start: 30 s before the
// first due time of "* * * * *".
var cronT0 = time.Date(2030, 1, 1, 0, 0, 30, 0, time.UTC)

// minute is the due time m minutes after midnight of cronT0's day.
func minute(m int) time.Time { return time.Date(2030, 1, 1, 0, m, 0, 0, time.UTC) }

// openCronNode opens a node on path that runs noop, on clock.
func openCronNode(t *testing.T, path string, clock *fakeClock, clientOnly bool) *gigq.Node {
	t.Helper()
	reg := gigq.NewRegistry()
	reg.MustAdd(noop)
	cfg := gigq.Config{Path: path, Registry: reg, Workers: 1, ClientOnly: clientOnly, WatchInterval: 20 * time.Millisecond}
	gigq.SetClock(&cfg, clock)
	return openNode(t, cfg)
}

// jobsByCreation counts the jobs on path by their creation time (the fake
// clock's time when the schedule enqueued them).
func jobsByCreation(t *testing.T, n *gigq.Node) map[time.Time]int {
	t.Helper()
	jobs, err := n.List(testCtx(t), &gigq.ListParams{Limit: 1000})
	require.NoError(t, err)
	out := map[time.Time]int{}
	for _, j := range jobs {
		out[j.CreatedAt.UTC()]++
	}
	return out
}

func jobCount(t *testing.T, n *gigq.Node) int {
	t.Helper()
	total := 0
	for _, c := range jobsByCreation(t, n) {
		total += c
	}
	return total
}

func schedule(t *testing.T, n *gigq.Node, name string) gigq.ScheduleInfo {
	t.Helper()
	all, err := n.Schedules(testCtx(t))
	require.NoError(t, err)
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	require.FailNow(t, "schedule not found", name)
	return gigq.ScheduleInfo{}
}

// TestScheduleThreeNodesOneFileWithRestart: a cron schedule with a fake
// clock enqueues exactly one job per due time with three nodes on one
// file, one of them closed and opened again in between.
func TestScheduleThreeNodesOneFileWithRestart(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(cronT0)
	path := dbPath(t)
	nodes := []*gigq.Node{openCronNode(t, path, clock, false), openCronNode(t, path, clock, false), openCronNode(t, path, clock, false)}
	info, err := nodes[0].AddSchedule(testCtx(t), gigq.Schedule{Name: "every-minute", Cron: "* * * * *", Function: "noop"})
	require.NoError(t, err)
	require.Equal(t, minute(1), info.NextRun)
	require.True(t, info.LastRun.IsZero())
	clock.waitArmed(t, minute(1), 3)

	due := 0
	advance := func(live int) {
		t.Helper()
		due++
		clock.set(minute(due))
		eventually(t, "one job per due time", func() bool { return jobCount(t, nodes[0]) == due })
		// Every live node moved on to the next due time: none is left
		// to enqueue this one again.
		clock.waitArmed(t, minute(due+1), live)
	}
	advance(3)
	advance(3)

	// Close one node; the others go on.
	closeNode(t, nodes[1])
	advance(2)
	// Open it again: it finds next_run in the future, nothing to catch up.
	nodes[1] = openCronNode(t, path, clock, false)
	clock.waitArmed(t, minute(due+1), 3)
	advance(3)
	advance(3)

	byTime := jobsByCreation(t, nodes[2])
	want := map[time.Time]int{}
	for m := 1; m <= due; m++ {
		want[minute(m)] = 1
	}
	require.Equal(t, want, byTime, "exactly one job per due time")
	s := schedule(t, nodes[1], "every-minute")
	require.Equal(t, minute(due), s.LastRun)
	require.Equal(t, minute(due+1), s.NextRun)
	jobs, err := nodes[0].List(testCtx(t), nil)
	require.NoError(t, err)
	for _, j := range jobs {
		require.Equal(t, "every-minute", j.Name)
		require.Equal(t, "noop", j.Function)
	}
}

// TestScheduleCatchUp: due times missed while every node was down give one
// job with catch-up "one" and none with "skip", however many nodes start
// at once.
func TestScheduleCatchUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		catchUp gigq.CatchUp
		want    int // jobs after the outage
	}{{gigq.CatchUpOne, 2}, {gigq.CatchUpSkip, 1}} {
		t.Run(string(tc.catchUp), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(cronT0)
			path := dbPath(t)
			var nodes []*gigq.Node
			for range 3 {
				nodes = append(nodes, openCronNode(t, path, clock, false))
			}
			_, err := nodes[0].AddSchedule(testCtx(t), gigq.Schedule{Name: "c", Cron: "0 * * * * *", Function: "noop", CatchUp: tc.catchUp})
			require.NoError(t, err)
			clock.waitArmed(t, minute(1), 3)
			clock.set(minute(1))
			eventually(t, "first job", func() bool { return jobCount(t, nodes[0]) == 1 })
			clock.waitArmed(t, minute(2), 3)

			// Every node down across four due times.
			for _, n := range nodes {
				closeNode(t, n)
			}
			require.Zero(t, clock.armed(time.Time{}), "closed nodes leave no timer")
			outage := minute(5).Add(30 * time.Second)
			clock.set(outage)
			var wg sync.WaitGroup
			nodes = make([]*gigq.Node, 3)
			for i := range nodes {
				wg.Go(func() { nodes[i] = openCronNode(t, path, clock, false) })
			}
			wg.Wait()
			clock.waitArmed(t, minute(6), 3)
			require.Equal(t, tc.want, jobCount(t, nodes[0]))
			s := schedule(t, nodes[1], "c")
			require.Equal(t, minute(6), s.NextRun)
			if tc.catchUp == gigq.CatchUpOne {
				require.Equal(t, minute(5), s.LastRun, "the latest missed time")
				require.Equal(t, 1, jobsByCreation(t, nodes[0])[outage])
			} else {
				require.Equal(t, minute(1), s.LastRun)
			}

			clock.set(minute(6))
			eventually(t, "the next due time", func() bool { return jobCount(t, nodes[2]) == tc.want+1 })
			clock.waitArmed(t, minute(7), 3)
			require.Equal(t, tc.want+1, jobCount(t, nodes[2]))
		})
	}
}

func TestScheduleValidation(t *testing.T) {
	t.Parallel()
	n := openNode(t, gigq.Config{ClientOnly: true})
	ctx := testCtx(t)
	for _, tc := range []struct {
		name string
		s    gigq.Schedule
		want string
	}{
		{"bad cron", gigq.Schedule{Name: "a", Cron: "61 * * * *", Function: "noop"}, "cron expression"},
		{"too many fields", gigq.Schedule{Name: "a", Cron: "* * * * * * *", Function: "noop"}, "five fields"},
		{"empty cron", gigq.Schedule{Name: "a", Function: "noop"}, "empty"},
		{"bad zone", gigq.Schedule{Name: "a", Cron: "@hourly", Timezone: "Mars/Olympus", Function: "noop"}, "unknown time zone"},
		{"two zones", gigq.Schedule{Name: "a", Cron: "CRON_TZ=Europe/Paris 0 * * * *", Timezone: "UTC", Function: "noop"}, "once"},
		{"never", gigq.Schedule{Name: "a", Cron: "0 0 30 2 *", Function: "noop"}, "never matches"},
		{"catch-up", gigq.Schedule{Name: "a", Cron: "@hourly", Function: "noop", CatchUp: "all"}, "catch-up"},
		{"name", gigq.Schedule{Name: "a b", Cron: "@hourly", Function: "noop"}, "name"},
		{"function", gigq.Schedule{Name: "a", Cron: "@hourly", Function: "Bad Name"}, "task name"},
		{"params", gigq.Schedule{Name: "a", Cron: "@hourly", Function: "noop", Params: []int{1}}, "JSON object"},
		{"options", gigq.Schedule{Name: "a", Cron: "@hourly", Function: "noop", Opts: &gigq.SubmitOpts{MaxAttempts: -1}}, "MaxAttempts"},
		{"depends", gigq.Schedule{Name: "a", Cron: "@hourly", Function: "noop", Opts: &gigq.SubmitOpts{DependsOn: []gigq.JobID{"x"}}}, "only"},
	} {
		_, err := n.AddSchedule(ctx, tc.s)
		require.ErrorIs(t, err, gigq.ErrInvalidSchedule, tc.name)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
	all, err := n.Schedules(ctx)
	require.NoError(t, err)
	require.Empty(t, all, "nothing written")

	info, err := n.AddSchedule(ctx, gigq.Schedule{Name: "paris", Cron: "CRON_TZ=Europe/Paris 30 9 * * 1-5", Function: "noop",
		Params: map[string]int{"n": 1}, Opts: &gigq.SubmitOpts{Priority: 5, Timeout: time.Minute, Description: "weekday mornings"}})
	require.NoError(t, err)
	require.Equal(t, "Europe/Paris", info.Timezone)
	require.Equal(t, "paris", info.JobName)
	require.Equal(t, 5, info.Priority)
	require.Equal(t, gigq.DefaultMaxAttempts, info.MaxAttempts)
	require.Equal(t, time.Minute, info.Timeout)
	require.Equal(t, gigq.CatchUpOne, info.CatchUp)
	require.JSONEq(t, `{"n":1}`, string(info.Params))
	paris, _ := time.LoadLocation("Europe/Paris")
	local := info.NextRun.In(paris)
	require.Equal(t, 9, local.Hour())
	require.Equal(t, 30, local.Minute())
	require.True(t, info.NextRun.After(time.Now()))

	_, err = n.AddSchedule(ctx, gigq.Schedule{Name: "paris", Cron: "@hourly", Function: "noop"})
	require.ErrorIs(t, err, gigq.ErrScheduleExists)
	require.ErrorContains(t, err, "paris")

	for _, op := range []func(context.Context, string) error{n.RemoveSchedule, n.PauseSchedule, n.ResumeSchedule} {
		require.ErrorIs(t, op(ctx, "nope"), gigq.ErrNotFound)
	}
}

// TestSchedulePauseResumeRemove: a paused schedule enqueues nothing and
// resumes from the next due time; a removed one is gone. The schedule is
// changed from a client-only node (as the CLI does), and the node that
// runs jobs follows.
func TestSchedulePauseResumeRemove(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(cronT0)
	path := dbPath(t)
	worker := openCronNode(t, path, clock, false)
	client := openCronNode(t, path, clock, true)
	ctx := testCtx(t)
	_, err := client.AddSchedule(ctx, gigq.Schedule{Name: "p", Cron: "* * * * *", Function: "noop"})
	require.NoError(t, err)
	clock.waitArmed(t, minute(1), 1)

	require.NoError(t, client.PauseSchedule(ctx, "p"))
	s := schedule(t, client, "p")
	require.False(t, s.Enabled)
	require.True(t, s.NextRun.IsZero())
	clock.waitArmed(t, time.Time{}, 0)
	clock.set(minute(3)) // two due times while paused
	require.NoError(t, client.ResumeSchedule(ctx, "p"))
	require.NoError(t, client.ResumeSchedule(ctx, "p"), "resuming a running schedule is a no-op")
	s = schedule(t, client, "p")
	require.True(t, s.Enabled)
	require.Equal(t, minute(4), s.NextRun, "no catch-up for a pause")
	clock.waitArmed(t, minute(4), 1)
	require.Zero(t, jobCount(t, worker))

	clock.set(minute(4))
	eventually(t, "a job after resume", func() bool { return jobCount(t, worker) == 1 })
	clock.waitArmed(t, minute(5), 1)

	require.NoError(t, client.RemoveSchedule(ctx, "p"))
	clock.waitArmed(t, time.Time{}, 0)
	all, err := worker.Schedules(ctx)
	require.NoError(t, err)
	require.Empty(t, all)
	clock.set(minute(6))
	require.Equal(t, 1, jobCount(t, worker), "the jobs a removed schedule enqueued stay")
}

// TestScheduleOwnNode: changes through the node that runs the schedule
// reach its cron actor directly (no other process involved).
func TestScheduleOwnNode(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(cronT0)
	reg := gigq.NewRegistry()
	reg.MustAdd(noop)
	cfg := gigq.Config{Registry: reg, Workers: 1, WatchInterval: -1}
	gigq.SetClock(&cfg, clock)
	n := openNode(t, cfg)
	ctx := testCtx(t)
	for _, name := range []string{"b", "a"} {
		_, err := n.AddSchedule(ctx, gigq.Schedule{Name: name, Cron: "@every 90s", Function: "noop"})
		require.NoError(t, err)
	}
	clock.waitArmed(t, cronT0.Add(90*time.Second), 1)
	clock.set(cronT0.Add(90 * time.Second))
	eventually(t, "both schedules enqueued", func() bool { return jobCount(t, n) == 2 })
	all, err := n.Schedules(ctx)
	require.NoError(t, err)
	names := []string{all[0].Name, all[1].Name}
	require.True(t, sort.StringsAreSorted(names))
	require.NoError(t, n.PauseSchedule(ctx, "a"))
	require.NoError(t, n.RemoveSchedule(ctx, "b"))
	clock.waitArmed(t, time.Time{}, 0)
}
