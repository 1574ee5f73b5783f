package gigq_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/gigqtest"
)

// A handler is unit-tested without a node: package gigqtest runs it once
// with a made-up attempt, so JobFromContext, ParentResults and Progress
// work, and returns its typed result or its error.
func Example_testingAHandler() {
	type invoiceArgs struct {
		Customer string `json:"customer"`
	}
	type invoice struct {
		Number string `json:"number"`
	}
	send := gigq.NewTask("send_invoice", func(ctx context.Context, a invoiceArgs) (invoice, error) {
		job, _ := gigq.JobFromContext(ctx)
		if a.Customer == "" {
			return invoice{}, gigq.SkipRetry(errors.New("no customer: retrying will not help"))
		}
		gigq.Progress(ctx, 0.5, "rendered")
		return invoice{Number: fmt.Sprintf("%s-%d", a.Customer, job.Attempt)}, nil
	})

	ctx := context.Background()
	out, err := gigqtest.Run(ctx, send, invoiceArgs{Customer: "acme"})
	fmt.Println(out.Number, err)

	// A retry, and what the handler reported on the way.
	a := gigqtest.RunJob(ctx, send, invoiceArgs{Customer: "acme"}, &gigqtest.Job{Attempt: 2})
	fmt.Println(a.Result.Number, a.Job.Attempt, a.Progress)

	// The handler's verdict is its error, as a node reads it.
	_, err = gigqtest.Run(ctx, send, invoiceArgs{})
	fmt.Println(errors.Is(err, gigq.ErrSkipRetry), err)
	// Output:
	// acme-1 <nil>
	// acme-2 2 [{0.5 rendered}]
	// true no customer: retrying will not help
}
