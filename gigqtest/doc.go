// Package gigqtest runs a task's handler in a test, without a node: no
// database, no actors, no workers. It is to gigq what River's rivertest is
// to River.
//
// Run calls the handler once, the way a worker runs one attempt: args go
// through JSON as a Submit would store them, the handler's context carries
// a made-up attempt (gigq.JobFromContext gives its id, attempt and the
// rest, gigq.ParentResults its parents' results) and the job's deadline,
// and the result comes back through JSON as Node.Result would give it:
//
//	out, err := gigqtest.Run(ctx, Resize, ResizeArgs{Width: 640})
//
// RunJob does the same for an attempt the test describes (a retry, a step
// with parents) and also returns what the handler reported along the way:
//
//	a := gigqtest.RunJob(ctx, Resize, ResizeArgs{Width: 640}, &gigqtest.Job{Attempt: 3})
//	// a.Result, a.Err, a.Job (what JobFromContext gave), a.Progress
//
// A handler's verdicts are its errors, as a node reads them:
// errors.Is(err, gigq.ErrSkipRetry) for gigq.SkipRetry, errors.As(err, &se)
// with se a *gigq.SnoozeError for gigq.Snooze.
package gigqtest
