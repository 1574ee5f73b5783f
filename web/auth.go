package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// auth checks the credentials of /api/ requests against the token.
// Credentials come from the Authorization header; the dashboard's session
// cookie will be a second source in credential.
type auth struct {
	digest [sha256.Size]byte // of the token; zero when there is none
	on     bool
}

func newAuth(token string) *auth {
	if token == "" {
		return &auth{}
	}
	return &auth{digest: sha256.Sum256([]byte(token)), on: true}
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

// valid compares a presented token with the configured one in constant
// time: both are hashed first, so not even the length leaks.
func (a *auth) valid(token string) bool {
	d := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(d[:], a.digest[:]) == 1
}

// credential returns the token a request presents: the bearer token of
// its Authorization header. (The dashboard's login will add a session
// cookie here as a second source.)
func credential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
