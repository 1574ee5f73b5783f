package gigq

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/actors"
)

// Config configures a node. The zero value works: a node on gigq.db in the
// working directory with 4 workers and no tasks.
type Config struct {
	// Path is the SQLite database file. Default "gigq.db".
	Path string
	// Registry holds the tasks this node runs. Default: none (the node
	// can submit and read, and runs no jobs).
	Registry *Registry
	// Workers is the number of jobs run at once in this process. Default
	// 4. NoWorkers runs none here: a primary (Remote) whose jobs all run on
	// worker nodes.
	Workers int
	// ClientOnly opens the database for submitting and reading only: no
	// workers, no dispatch (a process that only submits, like the CLI).
	ClientOnly bool
	// ReadOnly opens the database for reading only, as a ClientOnly node
	// that never writes: no migration, and the file is never created or
	// changed (a missing one is an error naming the path). Status, Result,
	// List, Stats, QueueStats, Nodes, Workflow, Schedules, Wait and
	// Subscribe work; every write (Submit, Cancel, Requeue, schedules,
	// workflows) returns an error matching ErrReadOnly. It works on a file,
	// or in a folder, this process may not write (where SQLite cannot make
	// the -shm file it reads through and no -wal file holds commits, the
	// file is read as immutable). It reads through the -wal file as any
	// SQLite reader does, so it sees other processes' commits; in a folder
	// it may write, SQLite may leave the usual -wal and -shm files beside
	// the database, which the next node that writes removes. Remote must
	// not be set.
	ReadOnly bool
	// WorkerID is written as worker_id on the jobs this node runs.
	// Default "<hostname>-<pid>".
	WorkerID string
	// Sync is the commit durability: "normal" (default; survives a process
	// crash, may lose the last commits on power loss) or "full" (an fsync
	// per commit).
	Sync string
	// WatchInterval is how often the node checks whether another process
	// wrote to the database (PRAGMA data_version; one cheap pragma when
	// nothing changed). Default 100ms; -1 disables.
	WatchInterval time.Duration
	// WindowSize is how many ready jobs the dispatcher keeps in memory;
	// more wait in the database and are read when the window runs low.
	// Default 512.
	WindowSize int
	// ShutdownTimeout is how long Close lets running jobs finish before it
	// cancels their contexts; a job whose handler then returns goes back
	// to pending without using an attempt. Default 30s.
	ShutdownTimeout time.Duration
	// MaxJobs makes the node stop claiming after that many jobs; Done is
	// closed when they have finished, or when nothing is ready. Default 0:
	// no limit. (gigq worker --once uses 1.)
	MaxJobs int
	// MaxParamsBytes is the largest params a job may have, in bytes of
	// JSON; a bigger submit is refused. Default 1 MiB; -1 disables.
	MaxParamsBytes int
	// HeartbeatInterval is how often a node that runs jobs refreshes its
	// row in the nodes table and looks for lost nodes. Default 2s.
	HeartbeatInterval time.Duration
	// Lease is how long a node may go without a heartbeat before any live
	// node takes it for lost and reclaims the jobs it was running (each
	// such attempt fails with "node <id> lost" and is retried while
	// attempts remain). A node of the same host whose process is gone is
	// lost at once. Default 15s.
	Lease time.Duration
	// BusyTimeout is how long a write waits for another process's lock
	// before the node backs off and tries again (logging a warning).
	// Default 5s.
	BusyTimeout time.Duration
	// Events, when set, receives every job event this node commits from
	// the moment it opens, before any job is claimed (Subscribe can only
	// start after Open returns, when the first jobs may already have
	// started). Sends never block: give the channel a buffer, and drain
	// it. Close does not close it; once Close has returned nothing more is
	// sent, and the channel may be closed by its owner.
	Events chan<- *Event
	// Metrics, when set, receives the node's Prometheus metrics (gigq_*,
	// listed in the package documentation under "Metrics"): Open
	// registers them, Close unregisters them.
	// A registry holds one node's metrics: Open fails if it already holds
	// another's (use a registry per node, or wrap each node's with
	// prometheus.WrapRegistererWith and a distinguishing label). Serve it
	// with promhttp.HandlerFor.
	// Default: nil, no metrics (and nothing measured on the hot paths).
	Metrics prometheus.Registerer
	// Queues, when set, are the named queues whose jobs this node runs;
	// jobs of other queues wait for a node that serves them. Default: nil,
	// every queue.
	Queues []string
	// QueueLimits caps how many jobs of a queue this node runs at once,
	// across all its workers (and its worker nodes' slots), e.g.
	// {"reports": 2}. Default: no caps.
	QueueLimits map[string]int
	// Remote, when set, makes the node a primary that worker nodes on other
	// machines join (see RemoteConfig and StartWorkerNode).
	Remote *RemoteConfig
	// Logger receives structured logs. Default: none.
	Logger *zerolog.Logger

	// clock is the time of cron schedules (tests set a fake with
	// SetClock). Default: the real clock.
	clock actors.Clock
}

// DefaultMaxParamsBytes is Config.MaxParamsBytes's default: 1 MiB.
const DefaultMaxParamsBytes = 1 << 20

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = "gigq.db"
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.WorkerID == "" {
		c.WorkerID = fmt.Sprintf("%s-%d", hostname(), os.Getpid())
	}
	if c.Sync == "" {
		c.Sync = "normal"
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = 100 * time.Millisecond
	}
	if c.WindowSize == 0 {
		c.WindowSize = 512
	}
	if c.MaxParamsBytes == 0 {
		c.MaxParamsBytes = DefaultMaxParamsBytes
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 2 * time.Second
	}
	if c.Lease == 0 {
		c.Lease = 15 * time.Second
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Workers == NoWorkers && c.Remote == nil:
		return errors.New("gigq: Workers is NoWorkers but Remote is not set: a node without workers of its own needs worker nodes (Remote), or use ClientOnly")
	case c.Workers < 0 && c.Workers != NoWorkers:
		return fmt.Errorf("gigq: Workers must be at least 1 (got %d); use ClientOnly for a node without workers", c.Workers)
	case c.Remote != nil && c.ReadOnly:
		return errors.New("gigq: Remote needs a node that writes; it cannot be ReadOnly")
	case c.Remote != nil && c.ClientOnly:
		return errors.New("gigq: Remote needs a node that dispatches jobs; it cannot be ClientOnly")
	case c.Sync != "normal" && c.Sync != "full":
		return fmt.Errorf("gigq: Sync must be \"normal\" or \"full\" (got %q)", c.Sync)
	case c.WatchInterval < 0 && c.WatchInterval != -1:
		return fmt.Errorf("gigq: WatchInterval must be positive, or -1 to disable (got %s)", c.WatchInterval)
	case c.WindowSize < 1:
		return fmt.Errorf("gigq: WindowSize must be at least 1 (got %d)", c.WindowSize)
	case c.HeartbeatInterval < 0:
		return fmt.Errorf("gigq: HeartbeatInterval must be positive (got %s)", c.HeartbeatInterval)
	case c.Lease <= c.HeartbeatInterval:
		return fmt.Errorf("gigq: Lease (%s) must be longer than HeartbeatInterval (%s)", c.Lease, c.HeartbeatInterval)
	case c.BusyTimeout < 0:
		return fmt.Errorf("gigq: BusyTimeout must not be negative (got %s)", c.BusyTimeout)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("gigq: ShutdownTimeout must not be negative (got %s)", c.ShutdownTimeout)
	case c.MaxParamsBytes < -1:
		return fmt.Errorf("gigq: MaxParamsBytes must be positive, or -1 for no limit (got %d)", c.MaxParamsBytes)
	case c.MaxJobs < 0:
		return fmt.Errorf("gigq: MaxJobs must not be negative (got %d)", c.MaxJobs)
	}
	for _, q := range c.Queues {
		if err := validateQueueName(q); err != nil {
			return fmt.Errorf("%w (Config.Queues)", err)
		}
	}
	if c.Queues != nil && len(c.Queues) == 0 {
		return errors.New("gigq: Config.Queues is empty: name the queues this node serves, or leave it nil for every queue")
	}
	for q, n := range c.QueueLimits {
		if err := validateQueueName(q); err != nil {
			return fmt.Errorf("%w (Config.QueueLimits)", err)
		}
		if n < 1 {
			return fmt.Errorf("gigq: Config.QueueLimits[%q] is %d: a limit must be at least 1", q, n)
		}
	}
	if c.Remote != nil {
		return c.Remote.validate()
	}
	return nil
}

// hostname is this machine's name, or "gigq" when it cannot be read.
func hostname() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "gigq"
	}
	return host
}
