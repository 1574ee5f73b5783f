package gigq

import (
	"context"
	"slices"
	"time"
)

// NodeInfo is a process that runs jobs on the database, as it registered
// itself (the nodes table): its worker id, where it runs, the handlers it
// has, and its last heartbeat. A node that stopped cleanly is gone from
// the list; one that died stays until another node reclaims its jobs.
type NodeInfo struct {
	ID        string    `json:"id"`         // its worker id (Config.WorkerID, WorkerNodeConfig.ID)
	Host      string    `json:"host"`       // the host name of its machine
	PID       int       `json:"pid"`        // its process id there
	StartedAt time.Time `json:"started_at"` // when it started
	LastSeen  time.Time `json:"last_seen"`  // its last heartbeat
	Handlers  []string  `json:"handlers"`   // the names of the tasks it runs, sorted
	// Concurrency is how many jobs the node runs at once.
	Concurrency int `json:"concurrency"`
	// Primary is, for a worker node on another machine, the id of the node
	// it joined (which runs its jobs through it); "" for a process that
	// opened the database itself.
	Primary string `json:"primary,omitempty"`
}

// Has reports whether the node runs the task named function.
func (i NodeInfo) Has(function string) bool { return slices.Contains(i.Handlers, function) }

// Nodes lists the processes that run jobs on the database, by id.
func (n *Node) Nodes(ctx context.Context) ([]NodeInfo, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := n.store.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NodeInfo, len(rows))
	for i, r := range rows {
		out[i] = NodeInfo{ID: r.ID, Host: r.Host, PID: r.PID, StartedAt: r.StartedAt.UTC(), LastSeen: r.LastSeen.UTC(),
			Handlers: r.Handlers, Concurrency: r.Concurrency, Primary: r.Primary}
	}
	return out, nil
}
