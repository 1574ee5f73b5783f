// Package taskrun holds what running a task's handler needs and what the
// root package, the actors that run attempts and package gigqtest share:
// the context a handler runs with (its job, for gigq.JobFromContext and
// gigq.ParentResults, and where gigq.Progress reports go) and the encoding
// of a job's params. It is internal to gigq.
package taskrun
