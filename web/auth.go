package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// sessionCookie names the dashboard's session cookie.
const sessionCookie = "gigq_session"

// auth checks the credentials of /api/ requests (and of the dashboard)
// against the token. Credentials come from the Authorization header or
// from the dashboard's session cookie (see credential), whose value is
// the id of a live session (see sessions).
type auth struct {
	digest   [sha256.Size]byte // of the token; zero when there is none
	sessions *sessions
	on       bool
}

func newAuth(token string, ss *sessions) *auth {
	if token == "" {
		return &auth{}
	}
	return &auth{digest: sha256.Sum256([]byte(token)), sessions: ss, on: true}
}

// wrap returns next behind the token check: 401 without a valid token or
// session.
func (a *auth) wrap(s *server, next http.Handler) http.Handler {
	if !a.on {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, ok := credential(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gigq"`)
			s.fail(w, r, errorf(http.StatusUnauthorized, "", "missing token: send the header \"Authorization: Bearer <token>\""))
			return
		}
		if !a.valid(cred) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gigq", error="invalid_token"`)
			msg := "invalid token"
			if cred.session {
				msg = "invalid token: the session has ended (logged out or expired); log in again at /login"
			}
			s.fail(w, r, errorf(http.StatusUnauthorized, "", "%s", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed reports whether r may see the dashboard: always without a token.
func (a *auth) allowed(r *http.Request) bool {
	if !a.on {
		return true
	}
	cred, ok := credential(r)
	return ok && a.valid(cred)
}

// valid checks a credential. A token is hashed first and compared in
// constant time, so not even its length leaks; a session cookie must name
// a live session.
func (a *auth) valid(c cred) bool {
	if c.session {
		return a.sessions.valid(c.value)
	}
	d := sha256.Sum256([]byte(c.value))
	return subtle.ConstantTimeCompare(d[:], a.digest[:]) == 1
}

// cred is what a request presents: a token, or a session cookie's value.
type cred struct {
	value   string
	session bool
}

// credential returns the credential a request presents: the bearer
// token of its Authorization header or, without that header, the
// dashboard's session cookie (set by POST /login).
func credential(r *http.Request) (cred, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return cred{}, false
		}
		token = strings.TrimSpace(token)
		return cred{value: token}, token != ""
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return cred{}, false
	}
	return cred{value: c.Value, session: true}, true
}
