package gigq_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExternalConsumer builds gigq the way its users do: as a dependency of
// another module. In a module outside this repository, whose go.mod
// requires github.com/gigq-go/gigq with one replace (to this checkout) and
// nothing else replaced, it builds and runs the README's Go API example and
// runs the README's test of its handler with gigqtest (both taken from
// README.md itself, so the README cannot drift), a program that links gigq
// and upstream protoactor-go both, and the gigq binary (what `go install
// github.com/gigq-go/gigq/cmd/gigq@latest` builds).
//
// It is offline: the module cache must hold what go.sum lists (`go mod
// download` fills it, and is a no-op when it does), and the builds run with
// GOPROXY=off. -short skips it.
func TestExternalConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the external-module build")
	}
	t.Parallel()
	repo, err := os.Getwd()
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	require.NoError(t, err)
	example := readmeGoExample(t, string(readme), "## Go API")
	exampleTest := readmeGoExample(t, string(readme), "### Testing handlers")
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	require.NoError(t, err)
	gosum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	upstream := regexp.MustCompile(`(?m)^\s*github\.com/asynkron/protoactor-go (v\S+)`).FindSubmatch(gomod)
	require.NotNil(t, upstream, "go.mod requires github.com/asynkron/protoactor-go (internal/protoactor's test links it)")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	runCommand(t, ctx, repo, nil, "go", "mod", "download")

	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	// The consumer's go.mod is what `go mod tidy` would make of it: gigq,
	// and every module gigq requires, at gigq's versions. (Without them the
	// go command loads the whole module graph to find packages, which asks
	// for modules a tidy go.mod never needs: the offline build cannot.)
	requires := regexp.MustCompile(`(?s)\nrequire \((.*?)\n\)`).FindAllSubmatch(gomod, -1)
	require.NotEmpty(t, requires, "go.mod has require blocks")
	mod := "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/gigq-go/gigq v0.0.0-00010101000000-000000000000\n"
	for _, r := range requires {
		mod += "\nrequire (" + string(r[1]) + "\n)\n"
	}
	write("go.mod", mod+"\nreplace github.com/gigq-go/gigq => "+repo+"\n")
	write("go.sum", string(gosum))
	write("example/main.go", example)
	write("example/main_test.go", exampleTest)
	write("both/main.go", linkedWithUpstream)

	env := []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local"}
	build := append([]string{"build"}, raceFlag()...)
	for _, pkg := range []string{"./example", "./both", "github.com/gigq-go/gigq/cmd/gigq"} {
		runCommand(t, ctx, dir, env, "go", append(build, "-o", filepath.Join(dir, "bin", filepath.Base(pkg)), pkg)...)
	}
	gomodAfter, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(gomodAfter), "=>"), "the consumer replaces gigq only:\n%s", gomodAfter)

	work := t.TempDir() // the example writes jobs.db where it runs
	out := runCommand(t, ctx, work, nil, filepath.Join(dir, "bin", "example"))
	require.Equal(t, "/tmp/640.png <nil>\n", out, "the README's Go API example prints its job's result")

	out = runCommand(t, ctx, work, nil, filepath.Join(dir, "bin", "both"))
	require.Equal(t, "upstream protoactor-go: pong\ngigq: job completed {\"n\":1}\n", out)

	// The README's test of the example's handler, with gigqtest, passes.
	runCommand(t, ctx, dir, env, "go", append(append([]string{"test"}, raceFlag()...), "-count=1", "./example")...)

	out = runCommand(t, ctx, work, nil, filepath.Join(dir, "bin", "gigq"), "version")
	require.Regexp(t, `^gigq \(devel\)\ngo +go1\.\S+ \S+\nsqlite +\d+\.\d+\.\d+\n$`, out,
		"gigq version names the version of gigq's module, here replaced by a directory")
}

// linkedWithUpstream links gigq and upstream protoactor-go (actor and
// remote): it starts only if their generated protobuf types do not collide,
// then runs an actor of upstream's and a gigq node.
const linkedWithUpstream = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"time"

	upstream "github.com/asynkron/protoactor-go/actor"
	_ "github.com/asynkron/protoactor-go/remote"

	"github.com/gigq-go/gigq"
)

func main() {
	sys := upstream.NewActorSystem(upstream.WithLoggerFactory(func(*upstream.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	pid := sys.Root.Spawn(upstream.PropsFromFunc(func(c upstream.Context) {
		if _, ok := c.Message().(string); ok {
			c.Respond("pong")
		}
	}))
	res, err := sys.Root.RequestFuture(pid, "ping", 10*time.Second).Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("upstream protoactor-go:", res)

	ctx := context.Background()
	echo := gigq.NewTask("echo", func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil })
	node, err := gigq.Open(ctx, gigq.Config{Path: "both.db", Registry: gigq.NewRegistry().MustAdd(echo), Workers: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close(ctx)
	id, err := echo.Submit(ctx, node, json.RawMessage(` + "`" + `{"n":1}` + "`" + `), nil)
	if err != nil {
		log.Fatal(err)
	}
	job, err := node.Wait(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("gigq: job", job.Status, string(job.Result))
}
`

// readmeGoExample returns the first Go code block after the heading.
func readmeGoExample(t *testing.T, readme, heading string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "README.md has no %q section", heading)
	rest := readme[i:]
	start := strings.Index(rest, "\n```go\n")
	require.GreaterOrEqual(t, start, 0, "README.md's %q section has no ```go block", heading)
	code := rest[start+len("\n```go\n"):]
	end := strings.Index(code, "\n```\n")
	require.GreaterOrEqual(t, end, 0, "README.md's %q code block does not end", heading)
	code = code[:end+1]
	require.True(t, strings.HasPrefix(code, "package main\n"), "README.md's %q example is a whole program", heading)
	return code
}

// raceFlag is -race when this test binary was built with it, so the
// consumer's builds reuse the packages the test run compiled.
func raceFlag() []string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return []string{"-race"}
			}
		}
	}
	return nil
}

// runCommand runs a command in dir, with env added to the environment, and
// returns its standard output; it fails the test, with the command's
// output, when the command fails.
func runCommand(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s (in %s):\n%s%s", name, strings.Join(args, " "), dir, out, stderr.String())
	return string(out)
}
