package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
)

// builtinRegistry holds the handlers built into the gigq binary, which
// worker, node and demo run: echo, sleep, fail and http (package handlers,
// with httpOpts: --http-allow; exec is added only with --allow-exec, see
// registryFor).
func builtinRegistry(httpOpts handlers.HTTPOptions) *gigq.Registry {
	return gigq.NewRegistry().MustAdd(
		gigq.NewTask("echo", echoHandler),
		gigq.NewTask("sleep", sleepHandler),
		gigq.NewTask("fail", failHandler),
		handlers.HTTP(httpOpts),
	)
}

// echoHandler returns its params as the result. A job with dependencies
// gets its params plus "parent_results": an object of each parent's job id
// to its result, in dependency order.
func echoHandler(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	parents := gigq.ParentResults(ctx)
	if len(parents) == 0 {
		return params, nil
	}
	members, err := objectMembers(params)
	if err != nil {
		return nil, fmt.Errorf("echo: params: %w", err)
	}
	results := make([]member, len(parents))
	for i, p := range parents {
		results[i] = member{key: string(p.JobID), value: p.Result}
	}
	members = slices.DeleteFunc(members, func(m member) bool { return m.key == "parent_results" })
	return objectJSON(append(members, member{key: "parent_results", value: objectJSON(results)})), nil
}

// member is one member of a JSON object, whose order a Go map would lose.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers splits a JSON object into its members, in order.
func objectMembers(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %.40s", raw)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		m := member{key: tok.(string)}
		if err := dec.Decode(&m.value); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// objectJSON writes the members as one JSON object, in order. A member
// without a value is null.
func objectJSON(members []member) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonString(m.key))
		b.WriteByte(':')
		if len(m.value) == 0 {
			b.WriteString("null")
		}
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// sleepArgs are the params of the sleep handler.
type sleepArgs struct {
	Seconds float64 `json:"seconds"`
}

// sleepResult is the result of the sleep handler.
type sleepResult struct {
	Slept float64 `json:"slept"`
}

// sleepHandler sleeps for args.Seconds and returns early, with an error,
// when its context is cancelled (timeout or shutdown).
func sleepHandler(ctx context.Context, args sleepArgs) (sleepResult, error) {
	if args.Seconds < 0 || math.IsNaN(args.Seconds) || args.Seconds > math.MaxInt64/float64(time.Second) {
		return sleepResult{}, fmt.Errorf("sleep: invalid seconds %v", args.Seconds)
	}
	d := time.Duration(args.Seconds * float64(time.Second))
	start := time.Now()
	timer := time.NewTimer(d)
	defer timer.Stop()
	// Progress every second (gigq status shows it).
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-timer.C:
			return sleepResult{Slept: args.Seconds}, nil
		case <-tick.C:
			done := time.Since(start)
			gigq.Progress(ctx, done.Seconds()/d.Seconds(), fmt.Sprintf("slept %s of %s", done.Round(time.Second), d))
		case <-ctx.Done():
			return sleepResult{}, fmt.Errorf("sleep interrupted after %s of %s: %w",
				time.Since(start).Round(time.Millisecond), d, context.Cause(ctx))
		}
	}
}

// failArgs are the params of the fail handler.
type failArgs struct {
	Message *string `json:"message"`
	Times   *int    `json:"times"`
}

// failResult is the result of the fail handler once it stops failing.
type failResult struct {
	Attempts int `json:"attempts"`
}

// failHandler fails with args.Message (default "fail handler"). With
// args.Times = k it fails only the first k attempts, then returns the
// attempt number.
func failHandler(ctx context.Context, args failArgs) (failResult, error) {
	attempt := 1
	if j, ok := gigq.JobFromContext(ctx); ok {
		attempt = j.Attempt
	}
	if args.Times != nil && attempt > *args.Times {
		return failResult{Attempts: attempt}, nil
	}
	msg := "fail handler"
	if args.Message != nil {
		msg = *args.Message
	}
	return failResult{}, errors.New(msg)
}
