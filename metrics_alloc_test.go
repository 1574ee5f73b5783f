package gigq

import (
	"testing"
	"time"

	"github.com/gigq-go/gigq/actors"
)

// The observer's hot paths allocate nothing once a function was seen.
func TestMetricsObserverAllocs(t *testing.T) {
	m := newMetrics(4)
	m.AttemptEnded("f", actors.AttemptCompleted, time.Millisecond)
	allocs := testing.AllocsPerRun(1000, func() {
		m.AttemptEnded("f", actors.AttemptRetry, time.Millisecond)
		m.WorkerBusy(1)
		m.WorkerBusy(-1)
		m.Batch(10, time.Millisecond)
		m.Submitted(1)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per attempt", allocs)
	}
}

func BenchmarkMetricsAttemptEnded(b *testing.B) {
	m := newMetrics(4)
	for b.Loop() {
		m.WorkerBusy(1)
		m.WorkerBusy(-1)
		m.AttemptEnded("f", actors.AttemptCompleted, time.Millisecond)
	}
}
