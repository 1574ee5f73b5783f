package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/web"
)

// sessionOf logs in with the token and returns the session cookie.
func (s *testServer) sessionOf(t *testing.T, token string) *http.Cookie {
	t.Helper()
	r := s.login(t, token)
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
	cookies := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, "gigq_session", cookies[0].Name)
	return cookies[0]
}

// logout posts the logout form with the cookie and returns the answer.
func (s *testServer) logout(t *testing.T, c *http.Cookie) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/logout", nil)
	require.NoError(t, err)
	req.AddCookie(c)
	return s.send(t, req)
}

// TestSessions: every login gets its own random session; logging out
// ends that session on the node (the cookie's value stops working, even
// sent again), and the others go on.
func TestSessions(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{Token: testToken})
	s.token = ""
	a, b := s.sessionOf(t, testToken), s.sessionOf(t, testToken)
	require.NotEqual(t, a.Value, b.Value, "two logins, two sessions")
	require.GreaterOrEqual(t, len(a.Value), 43, "32 random bytes, base64url")
	require.Equal(t, int(web.DefaultSessionTTL.Seconds()), a.MaxAge, "the cookie expires with the session")
	require.False(t, a.Secure, "plain HTTP")
	for _, c := range []*http.Cookie{a, b} {
		require.Equal(t, http.StatusOK, s.get(t, "/api/stats", c).status)
		require.Equal(t, http.StatusOK, s.get(t, "/", c).status)
	}

	r := s.logout(t, a)
	require.Equal(t, http.StatusSeeOther, r.status)
	s.get(t, "/api/stats", a).requireError(t, http.StatusUnauthorized, "session has ended", "/login")
	require.Equal(t, http.StatusSeeOther, s.get(t, "/", a).status, "back to the login form")
	require.Equal(t, http.StatusOK, s.get(t, "/api/stats", b).status, "the other session goes on")
	// A second login is a new session again; the old one stays ended.
	c := s.sessionOf(t, testToken)
	require.NotEqual(t, a.Value, c.Value)
	require.Equal(t, http.StatusUnauthorized, s.get(t, "/api/stats", a).status)
	require.Equal(t, http.StatusOK, s.get(t, "/api/stats", c).status)
}

// TestSessionExpires: a session stops working after Options.SessionTTL.
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	s := newServer(t, false, web.Options{Token: testToken, SessionTTL: ttl})
	s.token = ""
	start := time.Now()
	c := s.sessionOf(t, testToken)
	require.Equal(t, 1, c.MaxAge)
	if r := s.get(t, "/api/stats", c); time.Since(start) < ttl {
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	require.Eventually(t, func() bool { return s.get(t, "/api/stats", c).status == http.StatusUnauthorized },
		testTimeout, 20*time.Millisecond, "the session outlived its TTL")
	require.GreaterOrEqual(t, time.Since(start), ttl-50*time.Millisecond, "not before its TTL")
	s.get(t, "/api/stats", c).requireError(t, http.StatusUnauthorized, "session has ended")
}

// TestSessionCookieSecureOverTLS: over TLS the cookie is Secure.
func TestSessionCookieSecureOverTLS(t *testing.T) {
	t.Parallel()
	n := openNode(t, false)
	ts := httptest.NewTLSServer(web.New(n, web.Options{Token: testToken}))
	t.Cleanup(ts.Close)
	s := &testServer{Server: ts, node: n}
	c := s.sessionOf(t, testToken)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, http.StatusOK, s.get(t, "/api/stats", c).status)
}
