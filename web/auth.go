package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
)

// sessionCookie names the dashboard's session cookie.
const sessionCookie = "gigq_session"

// sessionKey is the per-process random key of session cookies: a cookie
// is valid until the process restarts (or the token changes).
var sessionKey = sync.OnceValue(func() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails: crypto/rand crashes the program instead
	return key
})

// auth checks the credentials of /api/ requests (and of the dashboard)
// against the token. Credentials come from the Authorization header or
// from the dashboard's session cookie (see credential).
type auth struct {
	digest  [sha256.Size]byte // of the token; zero when there is none
	session string            // the session cookie's value: HMAC-SHA256(sessionKey, token), base64url
	on      bool
}

func newAuth(token string) *auth {
	if token == "" {
		return &auth{}
	}
	mac := hmac.New(sha256.New, sessionKey())
	mac.Write([]byte(token))
	return &auth{
		digest:  sha256.Sum256([]byte(token)),
		session: base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		on:      true,
	}
}

// wrap returns next behind the token check: 401 without a valid token.
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
			s.fail(w, r, errorf(http.StatusUnauthorized, "", "invalid token"))
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

// valid checks a credential in constant time. A token is hashed first,
// so not even its length leaks; a session cookie is compared with the
// HMAC of the token.
func (a *auth) valid(c cred) bool {
	if c.session {
		return subtle.ConstantTimeCompare([]byte(c.value), []byte(a.session)) == 1
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
