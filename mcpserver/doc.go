// Package mcpserver is gigq's Model Context Protocol server: it offers a
// gigq database to an MCP client (an AI assistant, an editor) as tools,
// built with github.com/modelcontextprotocol/go-sdk. `gigq mcp --db PATH`
// serves it over stdio.
//
// # Tools
//
//	gigq_submit_job       submit a job: function, params and the job's settings -> job_id
//	gigq_get_job_status   a job with its attempts, in the shape of `gigq status --json`
//	gigq_get_job_result   a job's result, or why it has none yet
//	gigq_list_jobs        jobs newest first, optionally of one status
//	gigq_queue_stats      jobs counted by status
//	gigq_cancel_job       cancel a pending or running job
//	gigq_requeue_job      requeue a failed, timed-out or cancelled job
//	gigq_submit_workflow  submit a workflow file (YAML or JSON) -> workflow_id and each key's job id
//
// Every tool has typed input and output schemas. Bad input (an unknown job
// id, an unknown status, an empty function, a forbidden transition) comes
// back as a tool error (IsError) whose text says what was wrong and what to
// do, not as a protocol error.
//
// The server only submits and reads: jobs run only where a node or worker
// (`gigq worker`, `gigq node`, or a program that opened a gigq.Node with a
// Registry) is running on the same database file. Every successful result
// carries a note that says so.
//
// # Use
//
//	node, err := gigq.Open(ctx, gigq.Config{Path: db, ClientOnly: true})
//	...
//	defer node.Close(ctx)
//	err = mcpserver.Serve(ctx, node, mcpserver.Options{Version: version})
//
// New returns the *mcp.Server for other transports (or an in-memory one in
// tests).
package mcpserver
