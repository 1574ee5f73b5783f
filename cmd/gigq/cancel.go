package main

import (
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) cancelCmd() *cobra.Command {
	return a.jobChangeCmd("cancel ID", "Cancel a pending or running job",
		`Cancel a pending or running job, and the jobs that depend on it. A running
job ends cancelled at once and its handler's context is cancelled, on
whichever worker, node or worker node runs it. A job that already ended is
refused: the command exits 1 and says why.`,
		"cancelled", (*gigq.Node).Cancel)
}
