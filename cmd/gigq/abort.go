package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// abortTimeout bounds what a second SIGINT/SIGTERM waits for before the
// process exits: the write that puts the running jobs back to pending.
const abortTimeout = time.Second

// abortHook is what the second SIGINT/SIGTERM runs before the process
// exits: the Abort of the node that gigq worker or gigq node runs (set by
// runNode while the node is open). main puts one in the commands'
// context.
type abortHook struct {
	mu sync.Mutex
	fn func(context.Context) error
}

type abortKey struct{}

// withAbortHook returns ctx carrying h.
func withAbortHook(ctx context.Context, h *abortHook) context.Context {
	return context.WithValue(ctx, abortKey{}, h)
}

// abortHookFrom returns the hook ctx carries, or nil (a run from a test).
func abortHookFrom(ctx context.Context) *abortHook {
	h, _ := ctx.Value(abortKey{}).(*abortHook)
	return h
}

// set makes fn the hook until the returned function is called. A nil h
// does nothing.
func (h *abortHook) set(fn func(context.Context) error) (unset func()) {
	if h == nil {
		return func() {}
	}
	h.mu.Lock()
	h.fn = fn
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.fn = nil
		h.mu.Unlock()
	}
}

// run calls the hook, waiting for it at most timeout, and returns what to
// print before the process exits.
func (h *abortHook) run(timeout time.Duration) string {
	h.mu.Lock()
	fn := h.fn
	h.mu.Unlock()
	if fn == nil {
		return "gigq: second signal: exiting now"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Sprintf("gigq: second signal: %v; exiting now", err)
		}
		return "gigq: second signal: running jobs put back to pending (attempts not counted); exiting now"
	case <-time.After(timeout + 100*time.Millisecond):
		return fmt.Sprintf("gigq: second signal: running jobs could not be put back to pending within %s; exiting now: "+
			"they stay running until a node reclaims them as lost", timeout)
	}
}
