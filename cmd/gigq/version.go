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
	Version string `json:"version"` // gigq's module version (moduleVersion): "(devel)" when built inside the repository
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
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Version = moduleVersion(bi)
	}
	return v, nil
}

// gigqModule is the path of gigq's module.
const gigqModule = "github.com/gigq-go/gigq"

// moduleVersion is the version of gigq's module in the binary: the main
// module's when gigq was built by itself (`go install ...@v1.2.3`, or
// "(devel)" inside the repository), else that of the dependency on gigq
// of the module that built it; "(devel)" when that points at a directory
// with a replace directive; "unknown" when the build info has none.
func moduleVersion(bi *debug.BuildInfo) string {
	m := &bi.Main
	if m.Path != gigqModule {
		m = nil
		for _, d := range bi.Deps {
			if d.Path == gigqModule {
				m = d
			}
		}
	}
	switch {
	case m == nil:
		return "unknown"
	case m.Replace != nil && m.Replace.Version == "":
		return "(devel)"
	case m.Replace != nil:
		return m.Replace.Version
	case m.Version == "":
		return "unknown"
	}
	return m.Version
}
