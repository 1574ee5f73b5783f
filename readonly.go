package gigq

import "fmt"

// startReadOnly finishes opening a node with Config.ReadOnly: it has no
// actors (nothing that writes), only the store's read-only pool.
func (n *Node) startReadOnly() *Node {
	if n.metrics != nil {
		n.metrics.node.Store(n)
	}
	n.log.Info().Str("db", n.cfg.Path).Msg("node opened read-only")
	return n
}

// writable refuses a write on a node opened with Config.ReadOnly.
func (n *Node) writable() error {
	if n.sys == nil {
		return fmt.Errorf("gigq: %w: %s was opened with Config.ReadOnly (gigq status, list and stats read it so); open it without ReadOnly to write", ErrReadOnly, n.cfg.Path)
	}
	return nil
}

// closeReadOnly closes a node opened with Config.ReadOnly: there are no
// actors to stop, only the store.
func (n *Node) closeReadOnly() error {
	n.hub.close()
	unregisterMetrics(n.cfg.Metrics, n.metrics)
	if err := n.store.Close(); err != nil {
		return fmt.Errorf("gigq: close: %w", err)
	}
	return nil
}
