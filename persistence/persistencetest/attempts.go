package persistencetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func testClaimRecordsExecution(t *testing.T, b *bundle) {
	j := newJob()
	b.insert(t, j)
	require.Empty(t, b.executions(t, j.ID))

	exec := newExecID()
	from := time.Now()
	b.must(t, func() error {
		_, err := b.s.Claim(persistence.Claim{JobID: j.ID, ExecutionID: exec, WorkerID: "worker-9"})
		return err
	})
	to := time.Now()

	es := b.executions(t, j.ID)
	require.Len(t, es, 1)
	e := es[0]
	require.Equal(t, exec, e.ID)
	require.Equal(t, j.ID, e.JobID)
	require.Equal(t, "worker-9", e.WorkerID)
	require.Equal(t, persistence.ExecutionRunning, e.Status)
	within(t, e.StartedAt, from, to)
	sameTime(t, b.job(t, j.ID).StartedAt, e.StartedAt)
	require.True(t, e.CompletedAt.IsZero())
	require.Nil(t, e.Result)
	require.Empty(t, e.Error)

	b.finish(t, persistence.Finish{JobID: j.ID, ExecutionID: exec, Outcome: persistence.OutcomeCompleted,
		Result: json.RawMessage(`{"answer":42}`)})
	to = time.Now()

	es = b.executions(t, j.ID)
	require.Len(t, es, 1)
	e = es[0]
	require.Equal(t, persistence.ExecutionCompleted, e.Status)
	require.JSONEq(t, `{"answer":42}`, string(e.Result))
	require.Empty(t, e.Error)
	within(t, e.CompletedAt, e.StartedAt, to)
	sameTime(t, b.job(t, j.ID).CompletedAt, e.CompletedAt)
}

func testAttemptsKeepTheirOwnErrors(t *testing.T, b *bundle) {
	j := newJob(maxAttempts(3))
	b.insert(t, j)

	e1 := b.claim(t, j.ID)
	require.Equal(t, 1, b.job(t, j.ID).Attempts)
	require.Equal(t, persistence.StatusPending, b.fail(t, j.ID, e1, "error of attempt 1").Status)

	e2 := b.claim(t, j.ID)
	require.Equal(t, 2, b.job(t, j.ID).Attempts)
	require.Equal(t, persistence.StatusPending, b.timeOut(t, j.ID, e2, "attempt 2 timed out").Status)

	e3 := b.claim(t, j.ID)
	require.Equal(t, 3, b.job(t, j.ID).Attempts)
	out := b.fail(t, j.ID, e3, "error of attempt 3")
	require.Equal(t, persistence.StatusFailed, out.Status)
	require.Equal(t, 3, out.Attempts)

	got := b.job(t, j.ID)
	require.Equal(t, 3, got.Attempts)
	require.Equal(t, "error of attempt 3", got.Error, "the job keeps the last attempt's error")
	require.Equal(t, e3, got.ExecutionID)

	es := b.executions(t, j.ID)
	require.Len(t, es, 3)
	want := []struct {
		id     persistence.ExecutionID
		status persistence.ExecutionStatus
		err    string
	}{
		{e1, persistence.ExecutionFailed, "error of attempt 1"},
		{e2, persistence.ExecutionTimeout, "attempt 2 timed out"},
		{e3, persistence.ExecutionFailed, "error of attempt 3"},
	}
	for i, w := range want {
		require.Equal(t, w.id, es[i].ID, "executions are oldest first")
		require.Equal(t, w.status, es[i].Status)
		require.Equal(t, w.err, es[i].Error)
		require.Nil(t, es[i].Result)
		require.False(t, es[i].CompletedAt.IsZero())
	}
}
