package handlers

import "context"

// RunExec runs the exec task's handler directly, as a node's worker would.
func RunExec(ctx context.Context, o ExecOptions, a ExecArgs) (ExecResult, error) {
	return o.run(ctx, a)
}

// RunHTTP runs the http task's handler directly, as a node's worker would;
// o.Client must be set.
func RunHTTP(ctx context.Context, o HTTPOptions, a HTTPArgs) (HTTPResult, error) {
	return o.run(ctx, a)
}
