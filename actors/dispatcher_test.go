package actors

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func newTestDispatcher(window int) *dispatcher {
	d := &Deps{
		WindowSize: window,
		Handlers:   map[string]Handler{"noop": func(context.Context, *persistence.Job) (json.RawMessage, error) { return nil, nil }},
		Logger:     zerolog.Nop(),
	}
	return newDispatcher(d)
}

func ready(i, prio int) persistence.ReadyJob {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return persistence.ReadyJob{ID: persistence.JobID(fmt.Sprintf("job-%04d", i)), Function: "noop", Priority: prio,
		CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
}

func TestDispatcherWindow(t *testing.T) {
	t.Parallel()

	t.Run("KeepsTheBestJobsWhenFull", func(t *testing.T) {
		t.Parallel()
		d := newTestDispatcher(4)
		d.overflow = false
		for i := range 10 {
			d.push(ready(i, i%3)) // priorities 0,1,2,0,1,2,...
		}
		require.Equal(t, 4, d.window.Len())
		require.True(t, d.overflow, "dropping jobs must mark the database as holding more")
		var got []persistence.JobID
		for d.window.Len() > 0 {
			got = append(got, popBest(d).ID)
		}
		// The four best: priority 2 (jobs 2, 5, 8), then the oldest priority 1 (job 1).
		require.Equal(t, []persistence.JobID{"job-0002", "job-0005", "job-0008", "job-0001"}, got)
	})

	t.Run("IgnoresDuplicatesAndUnknownTasks", func(t *testing.T) {
		t.Parallel()
		d := newTestDispatcher(8)
		d.push(ready(1, 0))
		d.push(ready(1, 0))
		other := ready(2, 5)
		other.Function = "resize"
		d.push(other)
		require.Equal(t, 1, d.window.Len())
	})
}

func popBest(d *dispatcher) persistence.ReadyJob {
	return heap.Pop(&d.window).(persistence.ReadyJob)
}

func TestProcessAlive(t *testing.T) {
	t.Parallel()
	require.True(t, processAlive(os.Getpid()))
	// A child that exited but is not reaped yet is a zombie: not alive.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	eventuallyTrue(t, func() bool { return !processAlive(pid) })
	require.NoError(t, cmd.Wait())
	require.False(t, processAlive(pid))
}

func eventuallyTrue(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}
