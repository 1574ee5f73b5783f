package gigq

import "context"

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
