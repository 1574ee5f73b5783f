package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) checkCmd() *cobra.Command {
	var quick bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the database file for damage (SQLite's integrity check)",
		Long: `Check the database file for damage with SQLite's integrity check, on a
read-only connection: it never changes the file, and can run while
workers and nodes use it. Prints "ok" and exits 0 when SQLite finds
nothing wrong; otherwise prints what SQLite reported and exits 1 (then
restore the file from a copy, gigq backup makes one). A file that is not a
gigq database (another program's, GigQ's, not SQLite) exits 1 with what
the file looks like. --quick runs quick_check: faster on a big file, it
does not check that indexes match their tables.`,
		Args: exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			rep, err := gigq.Check(cmd.Context(), a.db, &gigq.CheckOptions{Quick: quick})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rep.OK {
				_, err = fmt.Fprintln(out, "ok")
				return err
			}
			for _, p := range rep.Problems {
				fmt.Fprintln(out, p)
			}
			return errors.New(a.db + " is damaged: SQLite reported the problems above; restore it from a copy (gigq backup makes one), or give gigq a new file with --db")
		}),
	}
	cmd.Flags().BoolVar(&quick, "quick", false, "run PRAGMA quick_check instead of integrity_check (faster; skips the index checks)")
	return cmd
}
