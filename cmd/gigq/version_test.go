package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// versionText is the output of "gigq version": the module version, then
// the Go and the SQLite versions.
var versionText = regexp.MustCompile(`^gigq (\S+)\ngo      (go\S+ \w+/\w+)\nsqlite  (\d+\.\d+\.\d+)\n$`)

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "version")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	m := versionText.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "gigq version printed %q", r.stdout)
	require.Equal(t, "(devel)", m[1], "a test binary is built inside the repository")
	require.Equal(t, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, m[2])

	flag := runCLI(t, "--version")
	require.Equal(t, 0, flag.code, flag.stderr)
	require.Empty(t, flag.stderr)
	require.Equal(t, r.stdout, flag.stdout, "gigq --version prints what gigq version prints")

	js := runCLI(t, "version", "--json")
	require.Equal(t, 0, js.code, js.stderr)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(js.stdout), &v), js.stdout)
	require.Equal(t, map[string]string{"version": m[1], "go": m[2], "sqlite": m[3]}, v)
}

func TestVersionUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version", "extra"}, {"--version", "extra"}, {"version", "--bogus"}} {
		r := runCLI(t, args...)
		require.Equal(t, 2, r.code, "%v: stdout %q stderr %q", args, r.stdout, r.stderr)
		require.Contains(t, r.stderr, "--help", args)
		require.Empty(t, r.stdout, args)
	}
}

// TestVersionBinaryOpensNoDatabase runs the real binary in an empty
// directory, with and without GIGQ_DB: it prints the versions without
// creating or opening any database file.
func TestVersionBinaryOpensNoDatabase(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	dir, other := t.TempDir(), t.TempDir()
	run := func(env string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env)
		out, err := cmd.Output()
		require.NoError(t, err, "gigq %v: stderr %s", args, stderrOf(err))
		return string(out)
	}
	text := run(envDB+"=", "version")
	m := versionText.FindStringSubmatch(text)
	require.NotNil(t, m, "gigq version printed %q", text)
	require.NotEqual(t, "unknown", m[1], "a go build binary has build info")
	require.Equal(t, text, run(envDB+"=", "--version"))
	require.Equal(t, text, run(envDB+"="+filepath.Join(other, "gigq.db"), "version"))

	var v struct{ Version, Go, SQLite string }
	require.NoError(t, json.Unmarshal([]byte(run(envDB+"=", "version", "--json")), &v))
	require.Equal(t, []string{m[1], m[2], m[3]}, []string{v.Version, v.Go, v.SQLite})

	for _, d := range []string{dir, other} {
		entries, err := os.ReadDir(d)
		require.NoError(t, err)
		require.Empty(t, entries, "gigq version left files in %s", d)
	}
}

// TestModuleVersion: the version printed is gigq's module's, whether gigq
// is the main module or a dependency of the module that built the binary.
func TestModuleVersion(t *testing.T) {
	t.Parallel()
	other := debug.Module{Path: "example.com/service", Version: "v0.3.0"}
	for _, c := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"InstalledAtAVersion", debug.BuildInfo{Main: debug.Module{Path: gigqModule, Version: "v1.2.3"}}, "v1.2.3"},
		{"InsideTheRepository", debug.BuildInfo{Main: debug.Module{Path: gigqModule, Version: "(devel)"}}, "(devel)"},
		{"ADependency", debug.BuildInfo{Main: other, Deps: []*debug.Module{{Path: gigqModule, Version: "v1.4.0"}}}, "v1.4.0"},
		{"ReplacedByADirectory", debug.BuildInfo{Main: other, Deps: []*debug.Module{{Path: gigqModule,
			Version: "v0.0.0-00010101000000-000000000000", Replace: &debug.Module{Path: "/src/gigq"}}}}, "(devel)"},
		{"ReplacedByAVersion", debug.BuildInfo{Main: other, Deps: []*debug.Module{{Path: gigqModule,
			Version: "v1.4.0", Replace: &debug.Module{Path: "example.com/fork/gigq", Version: "v1.4.1"}}}}, "v1.4.1"},
		{"NotInTheBuild", debug.BuildInfo{Main: other}, "unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, moduleVersion(&c.bi))
		})
	}
}
