package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

func newTestDispatcher(window int) *dispatcher {
	d := &Deps{
		WindowSize: window,
		Workers:    1,
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
		w := newReadyWindow(4)
		w.overflow = false
		for i := range 10 {
			w.push(ready(i, i%3)) // priorities 0,1,2,0,1,2,...
		}
		require.Equal(t, 4, w.Len())
		require.True(t, w.overflow, "dropping jobs must mark the database as holding more")
		var got []persistence.JobID
		for w.Len() > 0 {
			got = append(got, w.pop().ID)
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
		require.Equal(t, 1, d.windows[windowKey{"noop", ""}].Len())
		require.Nil(t, d.windows[windowKey{"resize", ""}], "no slot runs resize: its jobs stay in the database")
	})

	t.Run("SlotsRunOnlyTheirTasks", func(t *testing.T) {
		t.Parallel()
		d := newTestDispatcher(8)
		d.windows[windowKey{"noop", ""}].overflow = false
		remote := d.addSlot(actor.NewPID("nonhost", "slot"), &messages.Slot{Node: "w1", Functions: []string{"resize"}})
		require.True(t, d.runs("resize"))
		resize := ready(2, 9)
		resize.Function = "resize"
		d.push(ready(1, 0))
		d.push(resize)
		d.windows[windowKey{"resize", ""}].overflow = false
		require.Equal(t, resize.ID, d.best(remote.fns).peek().ID)
		require.Equal(t, persistence.JobID("job-0001"), d.best(d.local).peek().ID, "a local worker must not get the resize job")
		d.handleWorkersGone(&messages.WorkersGone{Slots: []string{remote.pid.Id}})
		require.False(t, d.runs("resize"))
	})
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
