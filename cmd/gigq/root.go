package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1 // the command ran and failed: unknown job, refused change, database error
	exitUsage   = 2 // the command line is wrong: unknown flag, wrong arguments, bad flag value
)

// defaultDB is the database file when neither --db nor GIGQ_DB is given.
const defaultDB = "gigq.db"

// envDB names the environment variable read when --db is not given.
const envDB = "GIGQ_DB"

// annotDefaultLevel is the cobra annotation with which a command sets its
// default --log-level.
const annotDefaultLevel = "gigq-default-log-level"

// Log field keys: snake_case, each written once here, so every log line
// names a thing the same way.
const (
	keyJobID       = "job_id"
	keyTask        = "task"
	keyAttempt     = "attempt"
	keyMaxAttempts = "max_attempts"
	keyElapsed     = "elapsed"
	keyErr         = "err"
	keyRetryAfter  = "retry_after"
)

// exitError carries the exit code of a failed command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a wrong command line (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// app is the state one run of the CLI shares between its commands: the
// global flags, the writers and the logger built from them.
type app struct {
	stdout, stderr io.Writer
	stderrTTY      bool
	getenv         func(string) string

	db        string
	logLevel  string
	logFormat string
	log       zerolog.Logger

	showVersion bool // --version on the root command
}

// run runs the gigq command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, stdout, stderr, os.Getenv)
}

// runEnv is run with the environment lookup injected (for tests).
func runEnv(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{
		stdout:    &lockedWriter{w: stdout},
		stderr:    &lockedWriter{w: stderr},
		stderrTTY: isTerminal(stderr),
		getenv:    getenv,
		log:       zerolog.Nop(),
	}
	root := a.rootCmd()
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitUsage // cobra's own errors: unknown command or flag, bad flag value, argument count
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(a.stderr, "gigq: %s\n", strings.TrimPrefix(err.Error(), "gigq: "))
	if code == exitUsage && cmd != nil {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "gigq",
		Short: "A durable job queue on one SQLite file",
		Long: `gigq is a durable job queue on one SQLite file.

Submit jobs with "gigq submit", run them with "gigq worker" (in another
terminal, or on another process sharing the file), and inspect them with
"gigq status", "gigq list" and "gigq stats". Jobs with dependencies are
submitted together from a YAML or JSON file with "gigq workflow submit".
"gigq check" checks the file for damage, "gigq backup" copies it while
workers run. gigq opens only files that are its own, and leaves any other
(another program's, GigQ's, a damaged one) untouched. New here? Run
"gigq demo".`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: a.setup,
		// Runnable only for --version: with no command it prints the
		// help, as a command group does.
		RunE: runtimeE(func(cmd *cobra.Command, _ []string) error {
			if a.showVersion {
				return printVersion(cmd.OutOrStdout(), false)
			}
			return cmd.Help()
		}),
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.Flags().BoolVar(&a.showVersion, "version", false, "print the versions of gigq, Go and SQLite, as gigq version does")
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", defaultDB, "SQLite database file (env "+envDB+" when --db is not given)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error (default info for worker, warn otherwise)")
	pf.StringVar(&a.logFormat, "log-format", "", "log format on stderr: console or json (default console when stderr is a terminal, else json)")
	root.AddCommand(
		a.submitCmd(), a.statusCmd(), a.listCmd(), a.statsCmd(), a.cancelCmd(), a.requeueCmd(),
		a.clearCmd(), a.workerCmd(), a.nodeCmd(), a.workflowCmd(), a.demoCmd(), a.benchCmd(), a.mcpCmd(),
		a.scheduleCmd(), a.checkCmd(), a.backupCmd(), a.versionCmd(),
	)
	return root
}

// setup resolves the global flags and builds the logger, before any
// command runs.
func (a *app) setup(cmd *cobra.Command, _ []string) error {
	if !cmd.Flags().Changed("db") {
		if v := a.getenv(envDB); v != "" {
			a.db = v
		}
	}
	if a.db == "" {
		return usageErrorf("--db must not be empty")
	}
	levelName := a.logLevel
	if levelName == "" {
		levelName = cmd.Annotations[annotDefaultLevel]
	}
	if levelName == "" {
		levelName = "warn"
	}
	var level zerolog.Level
	switch levelName {
	case "debug":
		level = zerolog.DebugLevel
	case "info":
		level = zerolog.InfoLevel
	case "warn":
		level = zerolog.WarnLevel
	case "error":
		level = zerolog.ErrorLevel
	default:
		return usageErrorf("invalid --log-level %q: use debug, info, warn or error", levelName)
	}
	format := a.logFormat
	if format == "" {
		format = "json"
		if a.stderrTTY {
			format = "console"
		}
	}
	var w io.Writer
	switch format {
	case "json":
		w = a.stderr
	case "console":
		w = zerolog.ConsoleWriter{Out: a.stderr, NoColor: !a.stderrTTY, TimeFormat: "15:04:05.000"}
	default:
		return usageErrorf("invalid --log-format %q: use console or json", format)
	}
	a.log = zerolog.New(w).Level(level).Hook(timeHook{})
	return nil
}

// timeHook adds the time, UTC with milliseconds, to every log line
// (zerolog's Timestamp uses its package-level format: whole seconds).
type timeHook struct{}

func (timeHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// openClient opens the database for reading and submitting only, as every
// command but worker and demo does. Close it with closeNode.
func (a *app) openClient(ctx context.Context) (*gigq.Node, error) {
	return gigq.Open(ctx, gigq.Config{Path: a.db, ClientOnly: true, WatchInterval: -1, Logger: &a.log})
}

// openReader opens the database for a command that only reads (status,
// list, stats, schedule list, workflow status). It opens as openClient
// does (which writes nothing to an up-to-date database, and whose close
// removes the -wal and -shm files), and where gigq may not write the file
// or its folder, read-only (Config.ReadOnly), which never creates or
// changes the file. Close it with closeNode.
func (a *app) openReader(ctx context.Context) (*gigq.Node, error) {
	n, err := a.openClient(ctx)
	if errors.Is(err, fs.ErrPermission) {
		return gigq.Open(ctx, gigq.Config{Path: a.db, ReadOnly: true, WatchInterval: -1, Logger: &a.log})
	}
	return n, err
}

// withClient adapts a command that reads or submits: it opens a client
// node for it, closes it after, and exits 1 on errors that carry no code.
func (a *app) withClient(fn func(cmd *cobra.Command, n *gigq.Node, args []string) error) func(*cobra.Command, []string) error {
	return a.withNode(a.openClient, fn)
}

// withReader is withClient for a command that only reads: it opens the
// node with openReader.
func (a *app) withReader(fn func(cmd *cobra.Command, n *gigq.Node, args []string) error) func(*cobra.Command, []string) error {
	return a.withNode(a.openReader, fn)
}

// withNode opens a node with open for the command, closes it after, and
// exits 1 on errors that carry no code.
func (a *app) withNode(open func(context.Context) (*gigq.Node, error), fn func(cmd *cobra.Command, n *gigq.Node, args []string) error) func(*cobra.Command, []string) error {
	return runtimeE(func(cmd *cobra.Command, args []string) (err error) {
		ctx := cmd.Context()
		n, err := open(ctx)
		if err != nil {
			return err
		}
		defer closeNode(ctx, n, &err)
		return fn(cmd, n, args)
	})
}

// closeNode closes n and reports its error into *errp unless the command
// already failed. Close runs even when ctx is cancelled: it must release
// the database.
func closeNode(ctx context.Context, n *gigq.Node, errp *error) {
	if err := n.Close(context.WithoutCancel(ctx)); err != nil && *errp == nil {
		*errp = err
	}
}

// runtimeE adapts a command function: its errors exit 1 unless they
// already carry a code.
func runtimeE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return &exitError{code: exitRuntime, err: err}
	}
}

// exactArgs is cobra.ExactArgs with a message that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %s (got %d)", cmd.Name(), names, len(args))
		}
		return nil
	}
}

// secondsFlag turns a flag value in seconds into a duration.
func secondsFlag(name string, sec float64, allowZero bool) (time.Duration, error) {
	if sec < 0 || (!allowZero && sec == 0) || sec > 1e9 || sec != sec {
		want := "positive"
		if allowZero {
			want = "zero or positive"
		}
		return 0, usageErrorf("invalid --%s %v: must be %s (seconds)", name, sec, want)
	}
	return time.Duration(sec * float64(time.Second)), nil
}

// lockedWriter serializes writes: the node's actors log from several
// goroutines, and the writers tests inject are not safe for that.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
