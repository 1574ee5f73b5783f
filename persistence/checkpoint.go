package persistence

import (
	"fmt"
	"sync/atomic"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// In WAL mode SQLite copies the log back into the database file
// (a checkpoint) inside the COMMIT that takes the log past
// wal_autocheckpoint pages: every few hundred commits, one of them takes
// milliseconds longer, and every job waiting on that commit waits with it
// (measured: p99 of a workflow's release latency 4 ms with it, 0.5 ms
// without). So the write connection's automatic checkpoint is set far out,
// as a safety net only, and a checkpointer does the work on a connection
// and a goroutine of its own: after commits (at most every
// checkpointGap), a PASSIVE checkpoint, which waits for no reader and no
// writer. Once the log is copied back, the next write transaction starts
// it over from the beginning, so it stays small.
const (
	// writerAutocheckpoint is the write connection's wal_autocheckpoint,
	// in pages: reached only if the checkpointer falls far behind.
	writerAutocheckpoint = 10000
	// checkpointGap is the least time between two background checkpoints.
	checkpointGap = 20 * time.Millisecond
)

// checkpointer runs PASSIVE checkpoints when poked.
type checkpointer struct {
	conn  *sqlite.Conn
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	count atomic.Int64 // checkpoints that succeeded
	fails atomic.Int64 // checkpoints that returned an error
	// onCorrupt hears a checkpoint's error that says the file is damaged
	// (Store.OnCorrupt).
	onCorrupt atomic.Pointer[func(error)]
}

func startCheckpointer(path string) (*checkpointer, error) {
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenWAL)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// poke asks for a checkpoint soon; it never blocks.
func (c *checkpointer) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		if err := sqlitex.ExecuteTransient(c.conn, "PRAGMA wal_checkpoint(PASSIVE)", nil); err != nil {
			c.fails.Add(1) // the writer's own autocheckpoint is the safety net
			if f := c.onCorrupt.Load(); f != nil && Corrupt(err) != nil {
				(*f)(Corrupt(err))
			}
		} else {
			c.count.Add(1)
		}
		gap.Reset(checkpointGap)
		select {
		case <-c.stop:
			return
		case <-gap.C:
		}
	}
}

// close stops the goroutine and closes the connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}

// Checkpoints says how many background checkpoints succeeded and failed
// since Open.
func (s *Store) Checkpoints() (done, failed int64) {
	if s.ckpt == nil {
		return 0, 0
	}
	return s.ckpt.count.Load(), s.ckpt.fails.Load()
}
