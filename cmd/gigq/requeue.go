package main

import (
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) requeueCmd() *cobra.Command {
	return a.jobChangeCmd("requeue ID", "Move a failed, timed-out or cancelled job back to pending",
		`Move a failed, timed-out or cancelled job back to pending, with its
attempts reset and its error cleared. A job in another state is refused:
the command exits 1 and says why.`,
		"requeued", (*gigq.Node).Requeue)
}
