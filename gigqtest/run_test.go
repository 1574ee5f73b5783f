package gigqtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/gigqtest"
)

type greetArgs struct {
	Name string `json:"name"`
}

type greeting struct {
	Text    string `json:"text"`
	Attempt int    `json:"attempt"`
}

// greet greets by name; it reports its progress and what JobFromContext
// and ParentResults told it.
var greet = gigq.NewTask("greet", func(ctx context.Context, a greetArgs) (greeting, error) {
	job, ok := gigq.JobFromContext(ctx)
	if !ok {
		return greeting{}, errors.New("no job in the context")
	}
	gigq.Progress(ctx, 0.5, "looking up "+a.Name)
	text := "hello " + a.Name
	for _, p := range gigq.ParentResults(ctx) {
		text += " and " + string(p.Result)
	}
	return greeting{Text: text, Attempt: job.Attempt}, nil
})

func TestRun(t *testing.T) {
	t.Parallel()
	out, err := gigqtest.Run(context.Background(), greet, greetArgs{Name: "ada"})
	require.NoError(t, err)
	require.Equal(t, greeting{Text: "hello ada", Attempt: 1}, out)
}

func TestRunJob(t *testing.T) {
	t.Parallel()
	t.Run("DefaultsAsSubmit", func(t *testing.T) {
		t.Parallel()
		a := gigqtest.RunJob(context.Background(), greet, greetArgs{Name: "ada"}, nil)
		require.NoError(t, a.Err)
		require.NotEmpty(t, a.Job.ID)
		require.NotEmpty(t, a.Job.ExecutionID)
		require.Equal(t, "greet", a.Job.Name)
		require.Equal(t, "greet", a.Job.Function)
		require.Equal(t, 1, a.Job.Attempt)
		require.Equal(t, gigq.DefaultMaxAttempts, a.Job.MaxAttempts)
		require.Equal(t, gigq.DefaultQueue, a.Job.Queue)
		require.Equal(t, "gigqtest", a.Job.WorkerID)
		require.Equal(t, []gigqtest.Progress{{Fraction: 0.5, Message: "looking up ada"}}, a.Progress)
	})
	t.Run("TheAttemptTheTestDescribes", func(t *testing.T) {
		t.Parallel()
		parents := []gigq.ParentResult{
			{JobID: "019a0000-0000-7000-8000-000000000001", Name: "fetch", Result: json.RawMessage(`"bob"`)},
			{JobID: "019a0000-0000-7000-8000-000000000002", Name: "load", Result: json.RawMessage(`"eve"`)},
		}
		a := gigqtest.RunJob(context.Background(), greet, greetArgs{Name: "ada"}, &gigqtest.Job{
			ID: "019a0000-0000-7000-8000-00000000000a", Name: "greet-ada", Attempt: 3, MaxAttempts: 5,
			Queue: "mail", WorkflowID: "019a0000-0000-7000-8000-0000000000ff", WorkerID: "w1", Parents: parents})
		require.NoError(t, a.Err)
		require.Equal(t, greeting{Text: `hello ada and "bob" and "eve"`, Attempt: 3}, a.Result)
		require.Equal(t, &gigq.JobContext{ID: "019a0000-0000-7000-8000-00000000000a", Name: "greet-ada", Function: "greet",
			Attempt: 3, MaxAttempts: 5, ExecutionID: a.Job.ExecutionID, WorkerID: "w1",
			WorkflowID: "019a0000-0000-7000-8000-0000000000ff", Queue: "mail",
			Dependencies: []gigq.JobID{"019a0000-0000-7000-8000-000000000001", "019a0000-0000-7000-8000-000000000002"}}, a.Job)
	})
	t.Run("RefusesWhatSubmitRefuses", func(t *testing.T) {
		t.Parallel()
		double := gigq.NewTask("double", func(_ context.Context, n int) (int, error) { return 2 * n, nil })
		_, err := gigqtest.Run(context.Background(), double, 21)
		require.ErrorContains(t, err, "params must be a JSON object")
		a := gigqtest.RunJob(context.Background(), greet, greetArgs{}, &gigqtest.Job{Attempt: -1})
		require.ErrorContains(t, a.Err, "Job.Attempt must be at least 1")
	})
}

// TestRunProgress: the reports are the node's (clamped, cut to 1 KiB),
// every one of them, in order.
func TestRunProgress(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 600) // 1,200 bytes
	steps := gigq.NewTask("steps", func(ctx context.Context, _ struct{}) (struct{}, error) {
		gigq.Progress(ctx, -1, "start")
		gigq.Progress(ctx, 0.25, "a quarter")
		gigq.Progress(ctx, 2, long)
		return struct{}{}, nil
	})
	a := gigqtest.RunJob(context.Background(), steps, struct{}{}, nil)
	require.NoError(t, a.Err)
	require.Len(t, a.Progress, 3)
	require.Equal(t, gigqtest.Progress{Fraction: 0, Message: "start"}, a.Progress[0])
	require.Equal(t, gigqtest.Progress{Fraction: 0.25, Message: "a quarter"}, a.Progress[1])
	require.Equal(t, 1.0, a.Progress[2].Fraction)
	require.Equal(t, strings.Repeat("é", 512), a.Progress[2].Message, "cut to 1 KiB at a character boundary")
}

// TestRunErrors: a handler's verdicts come back as the errors a node reads.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	errDown := errors.New("upstream is down")
	verdicts := gigq.NewTask("verdicts", func(_ context.Context, a struct{ Do string }) (int, error) {
		switch a.Do {
		case "fail":
			return 0, errDown
		case "skip":
			return 0, gigq.SkipRetry(errDown)
		case "snooze":
			return 0, gigq.Snooze(30 * time.Second)
		case "panic":
			panic("boom")
		}
		return 1, nil
	})
	ctx := context.Background()

	_, err := gigqtest.Run(ctx, verdicts, struct{ Do string }{"fail"})
	require.ErrorIs(t, err, errDown)
	require.NotErrorIs(t, err, gigq.ErrSkipRetry)

	_, err = gigqtest.Run(ctx, verdicts, struct{ Do string }{"skip"})
	require.ErrorIs(t, err, gigq.ErrSkipRetry)
	require.ErrorIs(t, err, errDown)

	_, err = gigqtest.Run(ctx, verdicts, struct{ Do string }{"snooze"})
	var se *gigq.SnoozeError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 30*time.Second, se.Delay)

	_, err = gigqtest.Run(ctx, verdicts, struct{ Do string }{"panic"})
	require.ErrorContains(t, err, "panic: boom")
	require.ErrorContains(t, err, "run_test.go", "the panic's stack")

	// A result a node could not store fails as the attempt would.
	channel := gigq.NewTask("channel", func(context.Context, struct{}) (chan int, error) { return make(chan int), nil })
	_, err = gigqtest.Run(ctx, channel, struct{}{})
	require.ErrorContains(t, err, `encode result of job`)
	require.ErrorContains(t, err, `for task "channel": json: unsupported type: chan int`)
}

// TestRunTimeout: a handler that ignores its context is abandoned at the
// job's timeout, as a worker abandons it; one that does not returns its
// context's error.
func TestRunTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := gigq.NewTask("stuck", func(ctx context.Context, _ struct{}) (int, error) {
		gigq.Progress(ctx, 0.1, "started")
		<-release // ignores ctx
		gigq.Progress(ctx, 0.9, "too late")
		return 1, nil
	})
	a := gigqtest.RunJob(context.Background(), stuck, struct{}{}, &gigqtest.Job{Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, a.Err, context.DeadlineExceeded)
	require.ErrorContains(t, a.Err, "job timed out after 50ms")
	require.Equal(t, []gigqtest.Progress{{Fraction: 0.1, Message: "started"}}, a.Progress)

	polite := gigq.NewTask("polite", func(ctx context.Context, _ struct{}) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	a2 := gigqtest.RunJob(context.Background(), polite, struct{}{}, &gigqtest.Job{Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, a2.Err, context.DeadlineExceeded)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a3 := gigqtest.RunJob(ctx, stuck, struct{}{}, nil)
	require.ErrorIs(t, a3.Err, context.Canceled, "the caller's context ends the run too")
}

// TestHandleWithoutAJob: a task's function called outside a worker and
// outside gigqtest sees no job.
func TestHandleWithoutAJob(t *testing.T) {
	t.Parallel()
	_, err := greet.Handle(context.Background(), json.RawMessage(`{"name":"ada"}`))
	require.EqualError(t, err, "no job in the context")
	require.False(t, gigq.Progress(context.Background(), 0.5, "nobody listens"))
	_, err = greet.Handle(context.Background(), json.RawMessage(`{"name":1}`))
	require.ErrorContains(t, err, `decode params for task "greet"`)
}
