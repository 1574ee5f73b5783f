package actors

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/gigq-go/gigq/persistence"
)

// The concrete store implements the narrow interfaces the actors consume.
var (
	_ WriteStore = (*persistence.Store)(nil)
	_ ReadStore  = (*persistence.Store)(nil)
)

// TestMain fails the package when a test leaves a goroutine behind. One
// protoactor goroutine is allowed: the dead-letter log throttle, started by
// a message to a stopped actor, ends by itself after 1s.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/gigq-go/gigq/internal/protoactor/actor.NewDeadLetter.NewThrottle.func4.1"))
}
