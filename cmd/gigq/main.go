package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT/SIGTERM cancels ctx: commands stop, and the worker
	// lets its running jobs finish. A second one exits at once, after
	// putting the running jobs back to pending (at most abortTimeout).
	ctx, cancel := context.WithCancel(context.Background())
	abort := &abortHook{}
	ctx = withAbortHook(ctx, abort)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, abort.run(abortTimeout))
		os.Exit(130)
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
