package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) backupCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup PATH",
		Short: "Copy the database to PATH, consistently, while workers run",
		Long: `Copy the database to PATH: a consistent copy (SQLite's VACUUM INTO, in
one read transaction) of the database as of one commit, compacted, taken
while workers and nodes keep running on it. The copy is written beside
PATH under a temporary name, synced, checked to open as a gigq database,
then renamed to PATH. An existing PATH is refused unless --force. Prints
what it copied. Run gigq with --db PATH to use the copy.`,
		Args: exactArgs(1, "exactly one argument, the path of the copy"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) error {
			info, err := gigq.Backup(cmd.Context(), a.db, args[0], &gigq.BackupOptions{Overwrite: force})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Copied %s to %s: %s, %d bytes.\n", a.db, info.Dest, plural(int(info.Jobs), "job", "jobs"), info.Bytes)
			return err
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace PATH if it exists (once the new copy is complete)")
	return cmd
}
