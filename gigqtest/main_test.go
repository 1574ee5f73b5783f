package gigqtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: a
// handler RunJob abandoned must end once its test releases it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
