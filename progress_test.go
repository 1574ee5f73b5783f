package gigq_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

func TestProgress(t *testing.T) {
	t.Parallel()
	step := make(chan struct{})
	defer close(step)
	task := gigq.NewTask("steps", func(ctx context.Context, _ struct{}) (string, error) {
		for i := 1; i <= 4; i++ {
			require.True(t, gigq.Progress(ctx, float64(i)/4, fmt.Sprintf("step %d of 4", i)))
			select {
			case <-step:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		return "done", nil
	})
	events := make(chan *gigq.Event, 256)
	node := openNode(t, gigq.Config{Registry: gigq.NewRegistry().MustAdd(task), Events: events})
	id, err := node.Submit(testCtx(t), "steps", nil, nil)
	require.NoError(t, err)

	e := eventFor(t, events, id, gigq.EventProgress)
	require.InDelta(t, 0.25, e.Progress, 1e-9)
	require.Equal(t, "step 1 of 4", e.ProgressMessage)
	eventually(t, "progress on the job", func() bool { return status(t, node, id).Progress != nil })
	require.Equal(t, &gigq.JobProgress{Fraction: 0.25, Message: "step 1 of 4"}, status(t, node, id).Progress)

	// Reports are throttled, but the latest one always lands.
	step <- struct{}{}
	step <- struct{}{}
	eventually(t, "the third report", func() bool {
		p := status(t, node, id).Progress
		return p != nil && p.Fraction == 0.75
	})
	step <- struct{}{}
	step <- struct{}{}
	j := waitJob(t, node, id)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.NotNil(t, j.Progress)

	require.False(t, gigq.Progress(context.Background(), 0.5, "outside a handler"))
}
