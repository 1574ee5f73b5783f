package gigq

import (
	"context"

	"github.com/gigq-go/gigq/actors"
	"github.com/gigq-go/gigq/internal/taskrun"
)

// Progress reports how far the running job's handler got: fraction from 0
// to 1 (clamped) and a short message (at most 1 KiB). Call it from the
// handler with its context, as often as is convenient: reports are
// throttled to about four a second per attempt, the latest kept. The last
// report is stored on the job (Job.Progress), shown by gigq status, the
// HTTP API and the dashboard, and published as an EventProgress event. It
// reports false, and does nothing, outside a handler.
func Progress(ctx context.Context, fraction float64, message string) bool {
	return taskrun.ReportProgress(ctx, fraction, message)
}

// JobProgress is the last progress a job's handler reported (Job.Progress).
type JobProgress struct {
	Fraction float64 `json:"fraction"` // how far it got, 0 to 1
	Message  string  `json:"message"`  // what it said with it
}

// EventProgress: a running handler reported progress (Event.Progress,
// Event.ProgressMessage).
const EventProgress = actors.EventProgress
