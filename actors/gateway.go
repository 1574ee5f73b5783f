package actors

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"regexp"
	"time"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
)

// gateway admits worker nodes from other machines into a primary. It runs
// only on a node with a RemoteConfig, under a fixed name, so a worker node
// finds it at gigq/gateway on the primary's advertised address.
//
// A join is a challenge: Hello (the protocol is checked first) gets a
// random nonce, and Join must carry an HMAC of that nonce under the shared
// secret. Nothing about jobs reaches a worker node before that. An admitted
// worker node gets a remoteNode actor of its own (remote_node.go), which
// holds its session from then on; a worker node that joins again (it lost
// the primary, or restarted with the same id) replaces its old one.
//
// State: the open challenges (bounded, expiring) and the remoteNode actor
// of each admitted worker node.
type gateway struct {
	deps *Deps
	log  zerolog.Logger

	challenges map[string]challenge  // by nonce
	nodes      map[string]*actor.PID // by worker node id
	spawned    int
}

// challenge is a nonce handed out at Hello, waiting for its Join.
type challenge struct {
	node    string
	attempt uint64
	expires time.Time
}

// maxChallenges bounds the open challenges, so Hellos that never Join
// cannot grow the gateway's memory.
const maxChallenges = 1024

// challengeTTL is how long a nonce may be answered.
const challengeTTL = 30 * time.Second

const gatewayName = "gateway"

func newGatewayProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &gateway{deps: d, log: d.Logger.With().Str("actor", "gateway").Logger(),
			challenges: map[string]challenge{}, nodes: map[string]*actor.PID{}}
	})
}

func (g *gateway) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.Hello:
		g.handleHello(ctx, msg)
	case *messages.Join:
		g.handleJoin(ctx, msg)
	case *messages.AnnounceIdle, *releaseAttempts:
		for _, n := range g.nodes {
			ctx.Send(n, msg)
		}
	case *actor.Terminated:
		for id, pid := range g.nodes {
			if pid.Equal(msg.Who) {
				delete(g.nodes, id)
			}
		}
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		g.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

func (g *gateway) handleHello(ctx actor.Context, msg *messages.Hello) {
	log := g.log.With().Str("node", msg.NodeId).Str("version", msg.Version).Logger()
	if msg.Protocol != messages.RemoteProtocol {
		reason := fmt.Sprintf("worker node %s speaks gigq remote protocol %d and this primary speaks %d: run the same gigq version on both",
			msg.NodeId, msg.Protocol, messages.RemoteProtocol)
		log.Warn().Msg(reason)
		ctx.Respond(&messages.Refused{Attempt: msg.Attempt, Reason: reason, Protocol: messages.RemoteProtocol})
		return
	}
	now := g.deps.Now()
	for nonce, c := range g.challenges {
		if now.After(c.expires) {
			delete(g.challenges, nonce)
		}
	}
	if len(g.challenges) >= maxChallenges {
		log.Warn().Int("open", len(g.challenges)).Msg("too many joins in progress; refusing one")
		ctx.Respond(&messages.Refused{Attempt: msg.Attempt, Reason: "the primary has too many joins in progress; try again", Protocol: messages.RemoteProtocol, Retry: true})
		return
	}
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	g.challenges[string(nonce)] = challenge{node: msg.NodeId, attempt: msg.Attempt, expires: now.Add(challengeTTL)}
	ctx.Respond(&messages.Challenge{Attempt: msg.Attempt, Nonce: nonce, Protocol: messages.RemoteProtocol, PrimaryId: g.deps.WorkerID})
}

// nodeIDRE is what a worker node's id may look like: it is written as
// worker_id and shown in logs.
var nodeIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127}$`)

func (g *gateway) handleJoin(ctx actor.Context, msg *messages.Join) {
	log := g.log.With().Str("node", msg.NodeId).Str("host", msg.Host).Logger()
	refuse := func(reason string, retry bool) {
		log.Warn().Str("reason", reason).Msg("worker node refused")
		ctx.Respond(&messages.Refused{Attempt: msg.Attempt, Reason: reason, Protocol: messages.RemoteProtocol, Retry: retry})
	}
	c, ok := g.challenges[string(msg.Nonce)]
	delete(g.challenges, string(msg.Nonce))
	if !ok || c.node != msg.NodeId || c.attempt != msg.Attempt || g.deps.Now().After(c.expires) {
		refuse("join does not answer an open challenge of this primary; join again", true)
		return
	}
	if len(g.deps.Remote.Secret) > 0 && !hmac.Equal(msg.Proof, JoinProof(g.deps.Remote.Secret, msg.NodeId, msg.Nonce)) {
		refuse("wrong secret: the worker node's --remote-secret (GIGQ_REMOTE_SECRET) does not match the primary's", false)
		return
	}
	if err := validateJoin(msg); err != nil {
		refuse(err.Error(), false)
		return
	}
	if msg.NodeId == g.deps.WorkerID {
		refuse(fmt.Sprintf("worker node id %q is the primary's own id: give the worker node another id", msg.NodeId), false)
		return
	}
	if old := g.nodes[msg.NodeId]; old != nil {
		log.Info().Msg("worker node joined again; replacing its old session")
		ctx.Send(old, &sessionReplaced{})
	}
	g.spawned++
	pid, err := ctx.SpawnNamed(newRemoteNodeProps(g.deps, msg), fmt.Sprintf("node-%d", g.spawned))
	if err != nil {
		refuse(fmt.Sprintf("primary could not start the worker node's session: %v", err), true)
		return
	}
	g.nodes[msg.NodeId] = pid
	ctx.Watch(pid)
	log.Info().Int32("concurrency", msg.Concurrency).Strs("handlers", msg.Handlers).Msg("worker node admitted")
}

func validateJoin(msg *messages.Join) error {
	switch {
	case !nodeIDRE.MatchString(msg.NodeId):
		return fmt.Errorf("worker node id %q is invalid: use letters, digits and _ . : @ - (at most 128)", msg.NodeId)
	case msg.Concurrency < 1 || msg.Concurrency > 4096:
		return fmt.Errorf("worker node concurrency must be from 1 to 4096 (got %d)", msg.Concurrency)
	case pidOf(msg.Agent) == nil:
		return fmt.Errorf("worker node %s sent no address to reach it", msg.NodeId)
	case len(msg.Handlers) > 4096:
		return fmt.Errorf("worker node %s registers %d handlers; at most 4096", msg.NodeId, len(msg.Handlers))
	}
	return nil
}

// JoinProof is what a worker node sends to prove it holds secret:
// HMAC-SHA256 of its id and the primary's nonce.
func JoinProof(secret []byte, nodeID string, nonce []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("gigq-join\x00" + nodeID + "\x00"))
	m.Write(nonce)
	return m.Sum(nil)
}
