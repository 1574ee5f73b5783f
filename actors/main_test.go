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

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
