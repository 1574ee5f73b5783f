package actors

import (
	"errors"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/persistence"
)

// damage is a node's record that its database file is damaged
// (persistence.ErrCorrupt: SQLite said SQLITE_CORRUPT or SQLITE_NOTADB).
// Nothing that meets it can be retried, and writing more to a damaged file
// may spread the damage, so the first actor that meets it records it here,
// once, and from then on:
//   - the store actor writes nothing: every command is answered with the
//     error, the heartbeat and the watch for other processes stop (the
//     node's row stays, and so do the jobs it was running: a live node
//     reclaims them once the file is repaired, or the next start does);
//   - the dispatcher claims nothing;
//   - the attempts running on worker nodes are cancelled (Deps.OnDamage
//     cancels the node's own handlers), and their reports are dropped;
//   - the log has one line at error level, with what SQLite said: the
//     actors that meet the error again log nothing more.
type damage struct {
	once    sync.Once
	err     error // as the first actor met it
	refusal error // what later commands are answered: SQLite's words, and that the node stopped
	failed  chan struct{}
}

func newDamage() *damage { return &damage{failed: make(chan struct{})} }

// damaged reports whether err says the database file is damaged. The
// first time, it records the error, logs it and tells the node; the
// caller then logs nothing of its own about err.
func (d *Deps) damaged(err error) bool {
	c := persistence.Corrupt(err)
	if c == nil {
		return false
	}
	d.dmg.once.Do(func() {
		d.dmg.err = c
		d.dmg.refusal = c
		var ce *persistence.CorruptError
		if errors.As(c, &ce) {
			d.dmg.refusal = fmt.Errorf("refused: the node stopped writing: %w", ce.Cause())
		}
		close(d.dmg.failed)
		d.Logger.Error().Err(c).Str("db", d.Path).
			Msg("database file is damaged: the node stopped writing and claiming; run gigq check")
		if d.gateway != nil && d.root != nil {
			d.root.Send(d.gateway, &releaseAttempts{reason: "the primary's database file is damaged"})
		}
		if d.OnDamage != nil {
			d.OnDamage(c)
		}
	})
	return true
}

// halted returns, once the database file was found damaged, the error
// every command is refused with (it matches persistence.ErrCorrupt),
// else nil.
func (d *Deps) halted() error {
	select {
	case <-d.dmg.failed:
		return d.dmg.refusal
	default:
		return nil
	}
}

// Failed is closed when the node finds its database file damaged; Damage
// then returns the error.
func (s *System) Failed() <-chan struct{} { return s.deps.dmg.failed }

// Damage returns the error that stopped the node (it matches
// persistence.ErrCorrupt), or nil while the file is sound.
func (s *System) Damage() error {
	if s.deps.halted() == nil {
		return nil
	}
	return s.deps.dmg.err
}

// ReportDamage records err when it says the database file is damaged (an
// error the node met outside the actors: a read of its API, the
// checkpointer), as the actors do for their own, and reports whether it
// did.
func (s *System) ReportDamage(err error) bool { return s.deps.damaged(err) }

// unlessDamaged is ev, or a disabled event when err says the database file
// is damaged (damaged has logged that once): an actor's log line about err
// goes through it, so that a damaged file is reported once, not at every
// read or write that meets it.
func (d *Deps) unlessDamaged(ev *zerolog.Event, err error) *zerolog.Event {
	if d.damaged(err) {
		return ev.Discard()
	}
	return ev
}
