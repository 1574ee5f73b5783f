package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
)

// Node is a row of the nodes table: a process that runs jobs.
type Node struct {
	ID          string // the worker_id it writes on jobs
	Host        string
	PID         int
	StartedAt   time.Time
	LastSeen    time.Time
	Handlers    []string
	Concurrency int // jobs it runs at once
	// Primary is, for a worker node on another machine, the node it joined
	// (which writes this row); "" for a process that opened the file.
	Primary string
}

// RegisterNode writes (or replaces) the node's row. Write transaction.
func (s *Store) RegisterNode(n Node) error {
	hs, err := json.Marshal(n.Handlers)
	if err != nil {
		return fmt.Errorf("register node %s: %w", n.ID, err)
	}
	stmt := s.conn.Prep(`INSERT OR REPLACE INTO nodes (id, host, pid, started_at, last_seen, handlers, concurrency, primary_id)
		VALUES ($id, $host, $pid, $started, $seen, $handlers, $concurrency, nullif($primary, ''))`)
	stmt.SetText("$id", n.ID)
	stmt.SetText("$host", n.Host)
	stmt.SetInt64("$pid", int64(n.PID))
	stmt.SetText("$started", formatTime(n.StartedAt))
	stmt.SetText("$seen", formatTime(n.LastSeen))
	stmt.SetText("$handlers", string(hs))
	stmt.SetInt64("$concurrency", int64(n.Concurrency))
	stmt.SetText("$primary", n.Primary)
	_, err = stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("register node %s: %w", n.ID, interpretError(err))
	}
	return nil
}

// ErrNodeIDTaken is returned by RegisterRemoteNode for an id that a node
// which opened the database itself uses.
var ErrNodeIDTaken = errors.New("node id taken by a node that opened the database")

// RegisterRemoteNode writes (or replaces) the row of a worker node that
// joined a primary (n.Primary set). It never replaces the row of a node
// that opened the database itself: that gives ErrNodeIDTaken. Write
// transaction.
func (s *Store) RegisterRemoteNode(n Node) error {
	stmt := s.conn.Prep(`SELECT primary_id IS NULL FROM nodes WHERE id = $id`)
	stmt.SetText("$id", n.ID)
	local, err := stmt.Step()
	if err == nil && local {
		local = stmt.ColumnBool(0)
	}
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("register node %s: %w", n.ID, interpretError(err))
	}
	if local {
		return fmt.Errorf("%w: %s", ErrNodeIDTaken, n.ID)
	}
	return s.RegisterNode(n)
}

// TouchNode refreshes the node's last_seen. A node whose row is gone (it was
// taken for lost and its jobs reclaimed) gets ErrNotFound. Write transaction.
func (s *Store) TouchNode(id string, now time.Time) error {
	stmt := s.conn.Prep(`UPDATE nodes SET last_seen = $now WHERE id = $id`)
	stmt.SetText("$now", formatTime(now))
	stmt.SetText("$id", id)
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("heartbeat of node %s: %w", id, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return fmt.Errorf("%w: node %s", ErrNotFound, id)
	}
	return nil
}

// RemoveNode deletes the node's row. Write transaction.
func (s *Store) RemoveNode(id string) error {
	stmt := s.conn.Prep(`DELETE FROM nodes WHERE id = $id`)
	stmt.SetText("$id", id)
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return fmt.Errorf("remove node %s: %w", id, interpretError(err))
	}
	return nil
}

// LostNodes lists the nodes other than self that are lost: their last_seen
// is before staleBefore, or they ran on host and alive says their process
// is gone. It also lists the worker ids of running jobs that have no node
// row at all (a node that left without finishing them). Write connection.
func (s *Store) LostNodes(self, host string, staleBefore time.Time, alive func(pid int) bool) ([]string, error) {
	var lost []string
	stmt := s.conn.Prep(`SELECT id, host, pid, last_seen < $stale FROM nodes WHERE id != $self`)
	stmt.SetText("$stale", formatTime(staleBefore))
	stmt.SetText("$self", self)
	for {
		ok, err := stmt.Step()
		if err != nil {
			stmt.Reset()
			return nil, fmt.Errorf("read nodes: %w", interpretError(err))
		}
		if !ok {
			break
		}
		stale := stmt.ColumnBool(3)
		sameHostGone := stmt.ColumnText(1) == host && alive != nil && !alive(stmt.ColumnInt(2))
		if stale || sameHostGone {
			lost = append(lost, stmt.ColumnText(0))
		}
	}
	stmt.Reset()
	orphans := s.conn.Prep(`SELECT DISTINCT worker_id FROM jobs INDEXED BY jobs_status
		WHERE status = 'running' AND worker_id IS NOT NULL AND worker_id != $self
		AND worker_id NOT IN (SELECT id FROM nodes)`)
	orphans.SetText("$self", self)
	for {
		ok, err := orphans.Step()
		if err != nil {
			orphans.Reset()
			return nil, fmt.Errorf("read running jobs without a node: %w", interpretError(err))
		}
		if !ok {
			break
		}
		lost = append(lost, orphans.ColumnText(0))
	}
	orphans.Reset()
	return lost, nil
}

// Reclaimed is a job taken back from a lost node.
type Reclaimed struct {
	Finished
	Finish Finish
}

// ReclaimNode ends every attempt the lost node was running as failed with
// "node <id> lost" (the job goes back to pending while attempts remain,
// else to failed, as for any failed attempt) and deletes the node's row.
// Write transaction.
func (s *Store) ReclaimNode(id string) ([]Reclaimed, error) {
	out, err := s.ReclaimAttempts(id, nil, fmt.Sprintf("node %s lost", id))
	if err != nil {
		return nil, err
	}
	if err := s.RemoveNode(id); err != nil {
		return nil, err
	}
	return out, nil
}

// ReclaimAttempts ends the attempts running on node id, except those in
// keep, as failed with reason (retried while attempts remain). The node's
// row stays. Write transaction.
func (s *Store) ReclaimAttempts(id string, keep []ExecutionID, reason string) ([]Reclaimed, error) {
	stmt := s.conn.Prep(`SELECT id, coalesce(execution_id, '') FROM jobs INDEXED BY jobs_status
		WHERE status = 'running' AND worker_id = $id`)
	stmt.SetText("$id", id)
	return s.endAttempts(stmt, keep, Finish{Outcome: OutcomeFailed, Error: reason}, "reclaim", id)
}

// Nodes reads the nodes table: the processes that run jobs on the file, as
// they registered (with their handlers) and last beat.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	var out []Node
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT id, host, pid, started_at, last_seen, handlers, concurrency, coalesce(primary_id, '')
			FROM nodes ORDER BY id`)
		defer stmt.Reset()
		for {
			ok, err := stmt.Step()
			if err != nil || !ok {
				return err
			}
			n := Node{ID: stmt.ColumnText(0), Host: stmt.ColumnText(1), PID: stmt.ColumnInt(2),
				StartedAt: parseTime(stmt.ColumnText(3)), LastSeen: parseTime(stmt.ColumnText(4)),
				Concurrency: stmt.ColumnInt(6), Primary: stmt.ColumnText(7)}
			if err := json.Unmarshal([]byte(stmt.ColumnText(5)), &n.Handlers); err != nil {
				return fmt.Errorf("node %s: handlers: %w", n.ID, err)
			}
			out = append(out, n)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	return out, nil
}
