package main

import (
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) cancelCmd() *cobra.Command {
	return a.jobChangeCmd("cancel ID", "Cancel a pending job",
		`Cancel a pending job. A job in another state (running, or already ended)
is refused: the command exits 1 and says why.`,
		"cancelled", (*gigq.Node).Cancel)
}
