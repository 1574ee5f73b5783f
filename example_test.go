package gigq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/gigq-go/gigq"
)

// exampleDB returns a database path in a new temporary directory and a
// function that removes the directory.
func exampleDB() (string, func()) {
	dir, err := os.MkdirTemp("", "gigq-example-")
	if err != nil {
		panic(err)
	}
	return filepath.Join(dir, "jobs.db"), func() { _ = os.RemoveAll(dir) }
}

// GreetArgs are the params of the greet task (a JSON object).
type GreetArgs struct {
	Name string `json:"name"`
}

// Greeting is the greet task's result.
type Greeting struct {
	Text string `json:"text"`
}

func ExampleOpen() {
	path, cleanup := exampleDB()
	defer cleanup()

	// A task is a typed handler under a stable name.
	greet := gigq.NewTask("greet", func(ctx context.Context, a GreetArgs) (Greeting, error) {
		return Greeting{Text: "hello, " + a.Name}, nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(greet), Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	id, err := greet.Submit(ctx, node, GreetArgs{Name: "gigq"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := node.Wait(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Name, job.Status, "after", job.Attempts, "attempt")

	res, err := greet.Result(ctx, node, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Text)
	// Output:
	// greet completed after 1 attempt
	// hello, gigq
}

func ExampleNewTask() {
	path, cleanup := exampleDB()
	defer cleanup()

	type ResizeArgs struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	}
	// The name, not the Go type, is stored with each job.
	resize := gigq.NewTask("resize_image", func(ctx context.Context, a ResizeArgs) (int, error) {
		return a.Width * a.Height, nil
	})
	fmt.Println(resize.Name())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(resize), Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	id, err := resize.Submit(ctx, node, ResizeArgs{Width: 640, Height: 480}, &gigq.SubmitOpts{
		Name:     "thumbnail",
		Priority: 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := node.Wait(ctx, id); err != nil {
		fmt.Println(err)
		return
	}
	pixels, err := resize.Result(ctx, node, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := node.Status(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Name, job.Function, string(job.Params), pixels)
	// Output:
	// resize_image
	// thumbnail resize_image {"width":640,"height":480} 307200
}

func ExampleJobFromContext() {
	path, cleanup := exampleDB()
	defer cleanup()

	// A handler fails its first two attempts; the third succeeds.
	flaky := gigq.NewTask("flaky", func(ctx context.Context, _ struct{}) (string, error) {
		job, _ := gigq.JobFromContext(ctx)
		fmt.Printf("attempt %d of %d\n", job.Attempt, job.MaxAttempts)
		if job.Attempt < 3 {
			return "", errors.New("not yet")
		}
		return "done", nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(flaky), Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	id, err := flaky.Submit(ctx, node, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := node.Wait(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status, len(job.Executions), "executions")
	for _, e := range job.Executions {
		if e.Error != nil {
			fmt.Println(e.Status, *e.Error)
		} else {
			fmt.Println(e.Status, string(e.Result))
		}
	}
	// Output:
	// attempt 1 of 5
	// attempt 2 of 5
	// attempt 3 of 5
	// completed 3 executions
	// failed not yet
	// failed not yet
	// completed "done"
}

func ExampleNode_Cancel() {
	path, cleanup := exampleDB()
	defer cleanup()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A client-only node submits and reads; it runs no jobs.
	node, err := gigq.Open(ctx, gigq.Config{Path: path, ClientOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	id, err := node.Submit(ctx, "send_email", map[string]string{"to": "ada@example.com"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := node.Cancel(ctx, id); err != nil {
		fmt.Println(err)
		return
	}
	job, err := node.Status(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status)

	// Only a pending job can be cancelled.
	err = node.Cancel(ctx, id)
	fmt.Println(errors.Is(err, gigq.ErrInvalidTransition))
	var te *gigq.TransitionError
	if errors.As(err, &te) {
		fmt.Println("refused:", te.Op, "of a job that is", te.From)
	}
	err = node.Cancel(ctx, "no-such-job")
	fmt.Println(errors.Is(err, gigq.ErrNotFound))
	// Output:
	// cancelled
	// true
	// refused: cancel of a job that is cancelled
	// true
}

func ExampleNode_Requeue() {
	path, cleanup := exampleDB()
	defer cleanup()

	var serviceUp atomic.Bool
	call := gigq.NewTask("call_service", func(ctx context.Context, _ struct{}) (string, error) {
		if !serviceUp.Load() {
			return "", errors.New("service unavailable")
		}
		return "ok", nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(call), Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	id, err := call.Submit(ctx, node, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := node.Wait(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status, job.Attempts, job.Error)

	_, err = call.Result(ctx, node, id)
	var jobErr *gigq.JobError
	if errors.As(err, &jobErr) {
		fmt.Println("result:", jobErr.Status, jobErr.Err)
	}

	// Once the service is back, run the job again.
	serviceUp.Store(true)
	if err := node.Requeue(ctx, id); err != nil {
		fmt.Println(err)
		return
	}
	job, err = node.Wait(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status, job.Attempts, len(job.Executions))
	// Output:
	// failed 1 service unavailable
	// result: failed service unavailable
	// completed 1 2
}

func ExampleNode_Stats() {
	path, cleanup := exampleDB()
	defer cleanup()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, ClientOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	var ids []gigq.JobID
	for i := range 3 {
		id, err := node.Submit(ctx, "report", map[string]int{"page": i}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		ids = append(ids, id)
	}
	if err := node.Cancel(ctx, ids[0]); err != nil {
		fmt.Println(err)
		return
	}

	st, err := node.Stats(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Pending, "pending,", st.Cancelled, "cancelled,", st.Total, "in all")
	b, err := json.Marshal(st)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// 2 pending, 1 cancelled, 3 in all
	// {"pending":2,"running":0,"completed":0,"failed":0,"cancelled":1,"timeout":0,"total":3}
}

func ExampleNode_Subscribe() {
	path, cleanup := exampleDB()
	defer cleanup()

	double := gigq.NewTask("double", func(ctx context.Context, n struct{ N int }) (int, error) { return 2 * n.N, nil })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(double), Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	events, stop := node.Subscribe()
	defer stop()
	id, err := double.Submit(ctx, node, struct{ N int }{21}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for e := range events {
		if e.JobID != id {
			continue
		}
		fmt.Println(e.Kind, e.Function, e.Status)
		if e.Kind == gigq.EventCompleted {
			break
		}
	}
	// Output:
	// submitted double pending
	// started double running
	// completed double completed
}

func ExampleNode_ClearCompleted() {
	path, cleanup := exampleDB()
	defer cleanup()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(addTask), Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	done, err := addTask.Submit(ctx, node, addArgs{A: 1, B: 2}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := node.Wait(ctx, done); err != nil {
		fmt.Println(err)
		return
	}
	waiting, err := node.Submit(ctx, "not_registered_here", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The zero time clears every completed and cancelled job; a time
	// clears those that finished before it.
	n, err := node.ClearCompleted(ctx, time.Time{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("deleted", n)
	_, err = node.Status(ctx, done)
	fmt.Println(errors.Is(err, gigq.ErrNotFound))
	job, err := node.Status(ctx, waiting)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status)
	// Output:
	// deleted 1
	// true
	// pending
}
