package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

func (a *app) submitCmd() *cobra.Command {
	var (
		name        string
		params      []string
		priority    int
		maxAttempts int
		timeout     float64
		retryDelay  float64
		description string
		dependsOn   []string
		asJSON      bool
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
cancelled; the echo handler then returns its parents' results too.`,
		Example: `  gigq submit echo -p message=hello
  gigq submit sleep -p seconds=2.5 --priority 10 --timeout 60
  gigq submit fail -p times=1 --max-attempts 3 --retry-delay 0.5 --json
  gigq submit echo -p step=report --depends-on 019...`,
		Args: exactArgs(1, "exactly one argument, the handler name"),
		RunE: runtimeE(func(cmd *cobra.Command, args []string) (err error) {
			p, err := parseParams(params)
			if err != nil {
				return err
			}
			if maxAttempts < 1 {
				return usageErrorf("invalid --max-attempts %d: must be at least 1", maxAttempts)
			}
			to, err := secondsFlag("timeout", timeout, false)
			if err != nil {
				return err
			}
			rd, err := secondsFlag("retry-delay", retryDelay, true)
			if err != nil {
				return err
			}
			deps, err := jobIDs(dependsOn)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			n, err := a.openClient(ctx)
			if err != nil {
				return err
			}
			defer closeNode(ctx, n, &err)
			id, err := n.Submit(ctx, args[0], p, &gigq.SubmitOpts{
				Name: name, Priority: priority, MaxAttempts: maxAttempts, Timeout: to, RetryDelay: rd,
				Description: description, DependsOn: deps,
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]gigq.JobID{"id": id})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Job submitted: %s\n", id)
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "job name (default: the handler name)")
	f.StringArrayVarP(&params, "param", "p", nil, "job parameter key=value, repeatable; the value is JSON when valid, else a string")
	f.IntVar(&priority, "priority", 0, "priority: higher runs first")
	f.IntVar(&maxAttempts, "max-attempts", gigq.DefaultMaxAttempts, "attempts before the job fails for good")
	f.Float64Var(&timeout, "timeout", gigq.DefaultTimeout.Seconds(), "timeout of one attempt, in seconds")
	f.Float64Var(&retryDelay, "retry-delay", 0, "delay before a failed attempt is retried, in seconds")
	f.StringVar(&description, "description", "", "free text")
	f.StringArrayVar(&dependsOn, "depends-on", nil, "id of a job that must complete first, repeatable")
	f.BoolVar(&asJSON, "json", false, `print {"id":"<id>"}`)
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
