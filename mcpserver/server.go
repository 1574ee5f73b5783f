package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq"
)

// Options configures the server. The zero value works.
type Options struct {
	// Version is the server version reported to clients. Default "devel".
	Version string
	// Logger receives the MCP SDK's logs (sessions, protocol errors).
	// Default: none.
	Logger *zerolog.Logger
}

// New returns an MCP server with gigq's tools registered, working on node.
// It does not close node. Connect it to a transport with its Run or
// Connect method (Serve does so over stdio). The server is safe for
// concurrent use by multiple sessions.
func New(node *gigq.Node, opts Options) *mcp.Server {
	if opts.Version == "" {
		opts.Version = "devel"
	}
	log := zerolog.Nop()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	t := &tools{node: node, db: dbPath(node.Path())}
	s := mcp.NewServer(&mcp.Implementation{Name: "gigq", Title: "GigQ job queue", Version: opts.Version},
		&mcp.ServerOptions{
			Instructions: "GigQ is a durable job queue in the SQLite file " + t.db + ". " +
				"Submit jobs (gigq_submit_job) or workflows (gigq_submit_workflow), then follow them with " +
				"gigq_get_job_status and gigq_get_job_result. " + t.reminder(),
			Logger:       slog.New(zerolog.NewSlogHandler(log.With().Str("component", "mcp").Logger())),
			Capabilities: &mcp.ServerCapabilities{},
		})
	t.register(s)
	return s
}

// Serve runs the server for node over stdin and stdout (one session) until
// the client closes stdin, when it returns nil, or ctx ends, when it
// returns an error that matches ctx.Err(). It does not close node: open it
// with ClientOnly to serve without running jobs.
func Serve(ctx context.Context, node *gigq.Node, opts Options) error {
	if err := New(node, opts).Run(ctx, &mcp.StdioTransport{}); err != nil {
		return fmt.Errorf("mcp server: %w", err)
	}
	return nil
}

// tools holds the tool handlers' shared state.
type tools struct {
	node *gigq.Node
	db   string // the database file, absolute when it can be
}

// dbPath makes the database path absolute, so that the reminder names the
// file whatever the caller's working directory.
func dbPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// reminder is the note every result carries: this server does not run jobs.
func (t *tools) reminder() string {
	db := t.db
	if strings.ContainsAny(db, " \t\n'\"$`\\;&|()<>*?") {
		db = strconv.Quote(db)
	}
	return fmt.Sprintf("Jobs run only where a node or worker is running on the database %s "+
		"(`gigq worker --db %s` or `gigq node --db %s`) with a handler for their function; "+
		"until then they stay pending.", t.db, db, db)
}

// note joins a tool's own message and the reminder.
func (t *tools) note(msg string) string {
	if msg == "" {
		return t.reminder()
	}
	return msg + " " + t.reminder()
}

// effect is what a tool does to the database, for the tool's annotations.
type effect int

const (
	reads       effect = iota // reads only
	adds                      // adds jobs
	destructive               // changes jobs in a way that may not be wanted (cancel)
	revives                   // changes jobs back to pending (requeue)
)

// addTool registers a typed tool whose input and output schemas are
// inferred from In and Out, with a json.RawMessage field taking any JSON
// value.
func addTool[In, Out any](s *mcp.Server, name string, e effect, description string, h mcp.ToolHandlerFor[In, Out]) {
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: description,
		InputSchema: schemaFor[In](), OutputSchema: schemaFor[Out](),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: e == reads, DestructiveHint: new(e == destructive),
			IdempotentHint: e == reads, OpenWorldHint: new(false)}}, h)
}

// anyJSON is the schema of json.RawMessage: any JSON value (the default
// would be an array of bytes).
var anyJSON = map[reflect.Type]*jsonschema.Schema{reflect.TypeFor[json.RawMessage](): {}}

func schemaFor[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: anyJSON})
	if err != nil {
		panic(fmt.Sprintf("mcpserver: schema of %T: %v", *new(T), err)) // a programming error
	}
	return s
}

// jobErr turns an engine error about job id into a tool error that says
// what to do.
func (t *tools) jobErr(id gigq.JobID, err error) error {
	var te *gigq.TransitionError
	switch {
	case errors.Is(err, gigq.ErrNotFound):
		return fmt.Errorf("no job with id %q in %s: check the id (gigq_list_jobs lists the newest jobs)", id, t.db)
	case errors.As(err, &te):
		return fmt.Errorf("%s: %s", strings.TrimPrefix(err.Error(), "gigq: "), transitionHint(te.Op))
	}
	return t.err(err)
}

// transitionHint says which states allow a change.
func transitionHint(op string) string {
	switch op {
	case "cancel":
		return "only a pending or running job can be cancelled"
	case "requeue":
		return "only a failed, timed-out or cancelled job can be requeued"
	}
	return "check the job's status with gigq_get_job_status"
}

// err turns an engine error into a tool error, whose text the client
// reads as it is (without the "gigq: " prefix).
func (t *tools) err(err error) error {
	msg := strings.TrimPrefix(err.Error(), "gigq: ")
	switch {
	case errors.Is(err, gigq.ErrClosed):
		return errors.New("the gigq database is closed: restart the MCP server")
	case errors.Is(err, gigq.ErrFull):
		return fmt.Errorf("%s: the disk is full or the database reached its size limit: free some space (`gigq clear` deletes finished jobs) and try again", msg)
	}
	return errors.New(msg)
}

// requireID checks a job_id argument.
func requireID(id string) (gigq.JobID, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", errors.New("job_id is empty: give the id a submit returned (gigq_list_jobs lists the newest jobs)")
	}
	return gigq.JobID(id), nil
}
