package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gigq-go/gigq"
)

// builtinRegistry holds the handlers built into the gigq binary, which
// worker and demo run.
func builtinRegistry() *gigq.Registry {
	return gigq.NewRegistry().MustAdd(
		gigq.NewTask("echo", echoHandler),
		gigq.NewTask("sleep", sleepHandler),
		gigq.NewTask("fail", failHandler),
	)
}

// echoHandler returns its params as the result.
func echoHandler(_ context.Context, params json.RawMessage) (json.RawMessage, error) {
	if len(params) == 0 {
		return json.RawMessage("{}"), nil
	}
	return params, nil
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
	select {
	case <-timer.C:
		return sleepResult{Slept: args.Seconds}, nil
	case <-ctx.Done():
		return sleepResult{}, fmt.Errorf("sleep interrupted after %s of %s: %w",
			time.Since(start).Round(time.Millisecond), d, context.Cause(ctx))
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
