package gigq

import (
	"context"
	"fmt"
)

// Abort stops a node's work at once, for a process that must exit now
// (gigq worker and gigq node call it on a second SIGINT or SIGTERM,
// bounded to one second, then exit). It stops claiming, then puts every
// job running on this node, and on the worker nodes joined to it, back to
// pending without counting the attempt (their executions end
// "interrupted"), and removes the node's row, all in one write
// transaction, which it waits for until ctx ends. Then it cancels the
// handlers' contexts (on worker nodes too); what they return after that is
// dropped: their jobs are pending already.
//
// When the transaction could not commit before ctx ended (another process
// holds the write lock, or the file is damaged), the error says so: if the
// process exits then, those jobs stay running until a node reclaims them
// as lost, which counts the attempt. Abort may be called
// while Close waits for running jobs (a first signal, then a second).
// After Close returned, Abort does nothing. Abort does not close the node: a process that goes on calls Close after
// it, which then waits only for the handlers to return.
func (n *Node) Abort(ctx context.Context) error {
	if n.closeDone.Load() {
		return nil // closed: no job runs here any more
	}
	reason := fmt.Sprintf("interrupted: node %s was stopped at once (attempt not counted)", n.cfg.WorkerID)
	released, err := n.sys.Release(ctx, reason)
	n.baseCancel()
	n.sys.ReleaseRemote()
	if err != nil {
		err = fmt.Errorf("gigq: abort: %w: the running jobs were not put back to pending in time; "+
			"if the process exits now, a node reclaims them later as lost (which counts the attempt)", err)
		n.log.Error().Err(err).Msg("stopping at once")
		return err
	}
	n.log.Warn().Int("jobs", released).Msg("stopping at once: running jobs put back to pending (attempts not counted)")
	return nil
}
