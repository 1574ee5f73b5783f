package messages

// Drain is sent by the node to the dispatcher when it shuts down: claim
// nothing more. Reply: *Drained once no claim is in flight and no attempt
// runs.
type Drain struct{}

// Drained answers Drain.
type Drained struct{}

// Sync is sent by the node to the store actor. Reply: *SyncReply once every
// command that reached the store before it is committed.
type Sync struct{}

// SyncReply answers Sync.
type SyncReply struct {
	Err error
}

// GetBatchStats is sent by the node to the store actor. Reply: *BatchStats.
type GetBatchStats struct{}

// BatchStats counts the store actor's group commits: Commands applied in
// Commits transactions; MaxBatch is the largest transaction, in commands.
type BatchStats struct {
	Commits  int64
	Commands int64
	MaxBatch int64
}

// NodeStarted is sent by the supervisor to the store, the dispatcher and
// the scheduler once every actor of the node exists, and again to one of
// them after it was restarted. They message their siblings only from then
// on: a PID can be registered before its mailbox is ready. No reply.
type NodeStarted struct{}

// AnnounceIdle is sent by the dispatcher to every worker when it (re)starts.
// A worker with nothing to run answers with WorkerIdle; a busy one does when
// its attempt ends.
type AnnounceIdle struct{}
