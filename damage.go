package gigq

import (
	"fmt"

	"github.com/gigq-go/gigq/persistence"
)

// ErrCorrupt matches the error of Open for a damaged database (truncated,
// or a page SQLite cannot read, when Open reads it), and the error of a
// node whose database file is found damaged later: SQLite found a damaged
// page (SQLITE_CORRUPT) or no database at all (SQLITE_NOTADB). From the first such error, at any point (a write, a
// claim, a read, a heartbeat, a checkpoint), the node stops: it writes
// nothing more, claims nothing more, and cancels its running handlers,
// whose jobs stay as the file has them; every write then fails with this
// error, Node.Failed is closed and Node.Err returns it. Run gigq check on
// the file, and restore it from a backup if the check reports damage.
var ErrCorrupt = persistence.ErrCorrupt

// Failed is closed when the node stops because its database file is
// damaged (Err then says why); while the file is sound it stays open. A
// process that runs a node watches it to exit, as gigq worker and gigq
// node do.
func (n *Node) Failed() <-chan struct{} { return n.sys.Failed() }

// Err returns nil while the node works, and after it stopped because its
// database file is damaged, an error that matches ErrCorrupt and names the
// file and what SQLite reported. It is the health a probe reports (the
// HTTP server's /healthz answers 503 with it).
func (n *Node) Err() error {
	if err := n.sys.Damage(); err != nil {
		return fmt.Errorf("gigq: %s: the node stopped writing and claiming: %w", n.cfg.Path, err)
	}
	return nil
}

// noteDamage hands err to the node's record of a damaged file (an error a
// read of the API met) and returns it unchanged.
func (n *Node) noteDamage(err error) error {
	if err != nil {
		n.sys.ReportDamage(err)
	}
	return err
}
