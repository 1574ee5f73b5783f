package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq/bench"
)

// versionInfo is what "gigq version" and "gigq --version" print.
type versionInfo struct {
	Version string `json:"version"` // the module version: "(devel)" when built inside the repository, "unknown" without build info
	Go      string `json:"go"`      // "go1.26.8 linux/amd64"
	SQLite  string `json:"sqlite"`  // "3.49.2"
}

func (a *app) versionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of gigq, Go and SQLite (also gigq --version)",
		Args:  exactArgs(0, "no arguments"),
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			return printVersion(cmd.OutOrStdout(), asJSON)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"version":...,"go":...,"sqlite":...}`)
	return cmd
}

// printVersion writes the versions, as three lines or as one line of JSON.
// It opens no database file: SQLite is asked on an in-memory connection.
func printVersion(w io.Writer, asJSON bool) error {
	v, err := readVersion()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, v)
	}
	_, err = fmt.Fprintf(w, "gigq %s\ngo      %s\nsqlite  %s\n", v.Version, v.Go, v.SQLite)
	return err
}

// readVersion reads the versions of this binary.
func readVersion() (versionInfo, error) {
	sqlite, err := bench.SQLiteVersion()
	if err != nil {
		return versionInfo{}, err
	}
	v := versionInfo{Version: "unknown", Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, SQLite: sqlite}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	return v, nil
}
