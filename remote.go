package gigq

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gigq-go/gigq/actors"
)

// RemoteConfig makes a node a primary: worker nodes on other machines (see
// StartWorkerNode) join it over protoactor's remote transport (gRPC),
// register the tasks they have, and run its jobs; the primary alone owns
// the database. A job goes only to a node (this one or a worker node) that
// has its task.
type RemoteConfig struct {
	// Listen is the host:port worker nodes connect to, e.g.
	// "127.0.0.1:7420" (port 0 picks a free one; see Node.RemoteAddress).
	Listen string
	// Advertise is the host:port worker nodes dial, when it differs from
	// Listen (a wildcard Listen such as "0.0.0.0:7420" needs it).
	Advertise string
	// Secret must be known to every worker node that joins: a join answers
	// a random challenge with an HMAC under it, so the secret never
	// crosses the network. Required unless Listen is a loopback address;
	// when set, at least 16 bytes and not blank (make one with openssl
	// rand -hex 32).
	Secret string
	// TLS, when set, encrypts the transport (and with a CA, requires the
	// worker nodes' certificates).
	TLS *RemoteTLS
	// HeartbeatTimeout is how long a worker node may stay silent before it
	// is taken for lost and its running jobs are requeued (each attempt
	// failed with "node <id> lost"). Worker nodes beat every tenth of it.
	// A worker node whose connection drops is lost at once. Default 10s.
	HeartbeatTimeout time.Duration
}

// NoWorkers, as Config.Workers, runs no jobs in the node's own process: a
// primary whose jobs all run on worker nodes (Config.Remote).
const NoWorkers = -1

func (r *RemoteConfig) validate() error {
	if r.HeartbeatTimeout < 0 {
		return fmt.Errorf("gigq: Remote.HeartbeatTimeout must not be negative (got %s)", r.HeartbeatTimeout)
	}
	host, _, err := net.SplitHostPort(r.Listen)
	if err != nil {
		return fmt.Errorf("gigq: Remote.Listen %q: want HOST:PORT, e.g. 127.0.0.1:7420", r.Listen)
	}
	if wildcard(host) && r.Advertise == "" {
		return fmt.Errorf("gigq: Remote.Listen %q binds every interface: set Remote.Advertise (--remote-advertise) to the HOST:PORT worker nodes dial", r.Listen)
	}
	if r.Advertise != "" {
		if _, _, err := net.SplitHostPort(r.Advertise); err != nil {
			return fmt.Errorf("gigq: Remote.Advertise %q: want HOST:PORT", r.Advertise)
		}
	}
	if r.Secret != "" {
		if err := checkSecret("Remote.Secret", r.Secret); err != nil {
			return err
		}
	}
	if r.Secret == "" && !loopback(host) {
		return fmt.Errorf("gigq: refusing to accept worker nodes on %s without a secret: set Remote.Secret (--remote-secret or GIGQ_REMOTE_SECRET), or listen on a loopback address", r.Listen)
	}
	return nil
}

// minSecretLen is the shortest Remote.Secret (and WorkerNodeConfig.Secret)
// accepted, in bytes.
const minSecretLen = 16

// checkSecret refuses a secret that is blank or shorter than
// minSecretLen, saying how to make one. An empty secret is no secret:
// the caller decides whether that is allowed.
func checkSecret(field, secret string) error {
	if strings.TrimSpace(secret) == "" {
		return fmt.Errorf("gigq: %s is blank: use at least %d random bytes, e.g. the output of openssl rand -hex 32", field, minSecretLen)
	}
	if len(secret) < minSecretLen {
		return fmt.Errorf("gigq: %s is %d bytes long: use at least %d random bytes, e.g. the output of openssl rand -hex 32",
			field, len(secret), minSecretLen)
	}
	return nil
}

// actorsConfig is the actors' form of the configuration.
func (r *RemoteConfig) actorsConfig() (*actors.RemoteConfig, error) {
	server, client, err := r.TLS.configs()
	if err != nil {
		return nil, err
	}
	timeout := r.HeartbeatTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	c := &actors.RemoteConfig{Listen: r.Listen, Advertise: r.Advertise, ServerTLS: server, ClientTLS: client,
		Timeout: timeout, Heartbeat: max(timeout/10, 10*time.Millisecond)}
	if r.Secret != "" {
		c.Secret = []byte(r.Secret)
	}
	return c, nil
}

// RemoteAddress is the address worker nodes join this node at ("" unless
// it was opened with Config.Remote).
func (n *Node) RemoteAddress() string {
	if n.sys == nil {
		return "" // a read-only node
	}
	return n.sys.RemoteAddress()
}

func wildcard(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrJoinRefused is the error of a worker node its primary refused for
// good: a wrong secret, or another protocol version. Joining again does
// not help; the error says what to fix.
var ErrJoinRefused = actors.ErrJoinRefused
