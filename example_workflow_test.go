package gigq_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gigq-go/gigq"
)

// Word is the result of each step of the example pipeline.
type Word struct {
	Text string `json:"text"`
}

func ExampleWorkflow() {
	path, cleanup := exampleDB()
	defer cleanup()

	// Each step returns its word joined to its parents' words.
	step := gigq.NewTask("step", func(ctx context.Context, w Word) (Word, error) {
		parents, err := gigq.ParentResultsAs[Word](ctx)
		if err != nil {
			return Word{}, err
		}
		var parts []string
		for _, p := range parents {
			parts = append(parts, p.Text)
		}
		return Word{Text: strings.Join(append(parts, w.Text), "+")}, nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(step), Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	// The seed's pipeline: download -> process -> {report, notify} -> archive.
	wf := gigq.NewWorkflow("data_pipeline")
	download := wf.Add("download", step.Step(Word{"download"}, nil))
	process := wf.Add("process", step.Step(Word{"process"}, nil), gigq.DependsOn(download))
	report := wf.Add("report", step.Step(Word{"report"}, nil), gigq.DependsOn(process))
	notify := wf.Add("notify", step.Step(Word{"notify"}, nil), gigq.DependsOn(process))
	archive := wf.Add("archive", step.Step(Word{"archive"}, nil), gigq.DependsOn(report, notify))
	id, _, err := wf.Submit(ctx, node) // all five jobs, or none
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := node.WaitWorkflow(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := step.Result(ctx, node, archive.ID())
	fmt.Println(info.Status, info.Counts.Completed, out.Text, err)
	// Output: completed 5 download+process+report+download+process+notify+archive <nil>
}

func ExampleWorkflow_failure() {
	path, cleanup := exampleDB()
	defer cleanup()

	flaky := gigq.NewTask("flaky", func(context.Context, struct{}) (string, error) {
		return "", errors.New("disk full")
	})
	ok := gigq.NewTask("ok", func(context.Context, struct{}) (string, error) { return "ok", nil })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := gigq.Open(ctx, gigq.Config{Path: path, Registry: gigq.NewRegistry().MustAdd(flaky, ok), Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close(context.Background())

	wf := gigq.NewWorkflow("fragile")
	first := wf.Add("first", flaky.Step(struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1}))
	second := wf.Add("second", ok.Step(struct{}{}, nil), gigq.DependsOn(first))
	wf.Add("third", ok.Step(struct{}{}, nil), gigq.DependsOn(second))
	id, _, err := wf.Submit(ctx, node)
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := node.WaitWorkflow(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Status)
	for _, j := range info.Jobs {
		fmt.Println(j.Name, j.Status, strings.Replace(j.Error, string(first.ID()), "<first>", 1))
	}
	// Output:
	// failed
	// first failed disk full
	// second cancelled upstream job <first> (first) failed
	// third cancelled upstream job <first> (first) failed
}
