package gigq

import (
	"context"

	"github.com/gigq-go/gigq/actors"
)

// SetMaxPageCount sets the size limit of n's database in pages (0: none),
// for tests that simulate a full disk. The store applies it at its next
// write transaction; it is safe to call from any goroutine.
func SetMaxPageCount(n *Node, pages int64) { n.store.SetMaxPageCount(pages) }

// ReleasedDependents is how many times n's store counted a completed job
// off one of its children: the rows the release path touched.
func ReleasedDependents(n *Node) int64 { return n.store.ReleasedDependents() }

// TrackedWorkflows is the number of workflow actors n runs.
func TrackedWorkflows(ctx context.Context, n *Node) (int, error) { return n.sys.TrackedWorkflows(ctx) }

// SetWorkerNodeProtocol makes a worker node claim another remote protocol
// version at join.
func SetWorkerNodeProtocol(cfg *WorkerNodeConfig, p uint32) { cfg.protocol = p }

// Clock is the time of cron schedules, for tests that fake it: Now, and
// AfterFunc that calls f once d has passed unless stop is called first.
type Clock = actors.Clock

// SetClock makes the nodes opened with cfg read and wait on c for their
// cron schedules.
func SetClock(cfg *Config, c Clock) { cfg.clock = c }
