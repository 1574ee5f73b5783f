package bench_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a scenario leaves a goroutine behind:
// every node it opens must be closed, and Close must stop all its actors.
//
// One protoactor goroutine is allowed: the dead-letter log throttle starts
// a timer goroutine on a message to a stopped actor and ends it by itself
// after DeadLetterThrottleInterval (1 s), even after the system is shut
// down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"))
}
