package taskrun

import (
	"context"

	"github.com/gigq-go/gigq/persistence"
)

type jobKey struct{}

// WithJob returns ctx carrying job: the attempt a handler runs.
func WithJob(ctx context.Context, job *persistence.Job) context.Context {
	return context.WithValue(ctx, jobKey{}, job)
}

// Job returns the job ctx carries, if any. The caller must not change it.
func Job(ctx context.Context) (*persistence.Job, bool) {
	j, ok := ctx.Value(jobKey{}).(*persistence.Job)
	return j, ok
}
