package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) submitCmd() *cobra.Command {
	var (
		jf        jobFlags
		dependsOn []string
		delay     time.Duration
		runAt     string
		uniqueKey string
		queue     string
		uniqueIn  []string
		backoff   backoffFlags
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "submit HANDLER",
		Short: "Submit a job for a handler",
		Long: `Submit a job for the handler (task) named HANDLER. It returns once the job
is durable in the database; a worker running that handler picks it up.

A -p value is parsed as JSON when it is valid JSON, else kept as a string:
-p n=3 gives 3, -p s=hello gives "hello", -p o='{"a":1}' gives an object.

With --depends-on ID (repeatable) the job waits until those jobs
completed, and is cancelled if one of them fails, times out or is
cancelled; the echo handler then returns its parents' results too.

With --delay 10m or --run-at 2026-12-01T09:00:00Z the job is pending but
not started before that time (a timer on the worker makes it ready then).

With --unique-key KEY, a job that already holds KEY in a state that is not
final (pending, running; or the states --unique-states names) makes this
submit a no-op: it prints that job's id and says it is a duplicate
("duplicate": true with --json), and exits 0.`,
		Example: `  gigq submit echo -p message=hello
  gigq submit sleep -p seconds=2.5 --priority 10 --timeout 60
  gigq submit fail -p times=1 --max-attempts 3 --retry-delay 0.5 --json
  gigq submit echo -p step=report --depends-on 019...
  gigq submit echo -p report=daily --delay 10m --unique-key daily-report`,
		Args: exactArgs(1, "exactly one argument, the handler name"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			p, opts, err := jf.parse()
			if err != nil {
				return err
			}
			deps, err := jobIDs(dependsOn)
			if err != nil {
				return err
			}
			var at time.Time
			if runAt != "" {
				if at, err = time.Parse(time.RFC3339, runAt); err != nil {
					return usageErrorf("invalid --run-at %q: want an RFC 3339 time such as 2026-12-01T09:00:00Z", runAt)
				}
			}
			if delay < 0 {
				return usageErrorf("invalid --delay %s: must not be negative", delay)
			}
			if delay > 0 && runAt != "" {
				return usageErrorf("--delay and --run-at do not go together: give one")
			}
			states := make([]gigq.Status, len(uniqueIn))
			for i, st := range uniqueIn {
				states[i] = gigq.Status(st)
			}
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			opts.DependsOn, opts.Delay, opts.RunAt = deps, delay, at
			opts.UniqueKey, opts.UniqueStates, opts.Backoff, opts.Queue = uniqueKey, states, backoff.policy, queue
			r, err := n.SubmitJob(ctx, args[0], p, opts)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			if r.Duplicate {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Duplicate: job %s (%s) holds unique key %q; nothing submitted\n", r.ID, r.Status, uniqueKey)
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Job submitted: %s\n", r.ID)
			return err
		}),
	}
	f := cmd.Flags()
	jf.register(f, "job name (default: the handler name)")
	f.StringArrayVar(&dependsOn, "depends-on", nil, "id of a job that must complete first, repeatable")
	f.DurationVar(&delay, "delay", 0, "do not start the job before this delay, e.g. 10m")
	f.StringVar(&runAt, "run-at", "", "do not start the job before this time (RFC 3339, e.g. 2026-12-01T09:00:00Z)")
	f.StringVar(&queue, "queue", "", "the named queue of the job (default \"default\"): a node with --queues runs only its queues")
	f.StringVar(&uniqueKey, "unique-key", "", "submit nothing if a job holds this key in a state that is not final")
	f.StringSliceVar(&uniqueIn, "unique-states", nil, "with --unique-key: the states that hold the key (default pending,running)")
	f.BoolVar(&asJSON, "json", false, `print {"id":"<id>"} (and "duplicate":true, "status" for a duplicate)`)
	backoff.register(cmd)
	return cmd
}

// jobIDs converts the ids given with --depends-on.
func jobIDs(ids []string) ([]gigq.JobID, error) {
	out := make([]gigq.JobID, len(ids))
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			return nil, usageErrorf("invalid --depends-on %q: give a job id", id)
		}
		out[i] = gigq.JobID(id)
	}
	return out, nil
}

// parseParams turns key=value pairs into a JSON object's fields: the value
// is kept as JSON when it is valid JSON, else as a JSON string (GigQ's
// rule). A pair without '=' or with an empty key is a usage error.
func parseParams(pairs []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(pairs))
	for _, kv := range pairs {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErrorf("invalid --param %q: want key=value", kv)
		}
		if key == "" {
			return nil, usageErrorf("invalid --param %q: the key is empty", kv)
		}
		if json.Valid([]byte(value)) {
			out[key] = json.RawMessage(strings.TrimSpace(value))
			continue
		}
		s, err := json.Marshal(value)
		if err != nil {
			return nil, usageErrorf("invalid --param %q: %v", kv, err)
		}
		out[key] = s
	}
	return out, nil
}
