package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// DefaultSessionTTL is Options.SessionTTL's default.
const DefaultSessionTTL = 12 * time.Hour

// maxSessions bounds the live dashboard sessions held in memory: a login
// beyond it ends the oldest session.
const maxSessions = 1000

// sessions are the dashboard's live logins: each login gets a random id
// (32 bytes from crypto/rand), which the session cookie carries; the node
// keeps only a hash of it, with its expiry. An id is valid until it
// expires or its session logs out, and never after the process restarts.
type sessions struct {
	ttl time.Duration
	max int

	mu   sync.Mutex
	live map[[sha256.Size]byte]session
	seq  uint64 // of the last session started
}

// session is one live login.
type session struct {
	seq     uint64 // the order of logins: the lowest is the oldest
	expires time.Time
}

func newSessions(ttl time.Duration, maxLive int) *sessions {
	return &sessions{ttl: ttl, max: maxLive, live: map[[sha256.Size]byte]session{}}
}

// start opens a session and returns its id, the cookie's value. Expired
// sessions are removed first; when maxSessions are still live, the oldest
// ends.
func (ss *sessions) start() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // never fails: crypto/rand crashes the program instead
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now()

	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.live {
		if !now.Before(s.expires) {
			delete(ss.live, k)
		}
	}
	for len(ss.live) >= ss.max {
		var oldest [sha256.Size]byte
		first := true
		for k, s := range ss.live {
			if first || s.seq < ss.live[oldest].seq {
				oldest, first = k, false
			}
		}
		delete(ss.live, oldest)
	}
	ss.seq++
	ss.live[sha256.Sum256([]byte(id))] = session{seq: ss.seq, expires: now.Add(ss.ttl)}
	return id
}

// valid reports whether id is a live session. An expired one is removed.
// The map is keyed by the id's hash, so a lookup's timing tells nothing
// about the ids.
func (ss *sessions) valid(id string) bool {
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.live[k]
	if !ok {
		return false
	}
	if !time.Now().Before(s.expires) {
		delete(ss.live, k)
		return false
	}
	return true
}

// end removes the session id (logout); an unknown id is ignored.
func (ss *sessions) end(id string) {
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.live, k)
}
