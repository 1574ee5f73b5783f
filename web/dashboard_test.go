package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/web"
)

// get fetches path without following redirects, with the cookies given.
func (s *testServer) get(t *testing.T, path string, cookies ...*http.Cookie) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	require.NoError(t, err)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return s.send(t, req)
}

// send sends req without following redirects and reads the answer.
func (s *testServer) send(t *testing.T, req *http.Request) response {
	t.Helper()
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// login posts the login form with token.
func (s *testServer) login(t *testing.T, token string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/login",
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(t, req)
}

func TestDashboardServesAssets(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/", "text/html; charset=utf-8", `<script src="/assets/app.js"`},
		{"/assets/app.js", "text/javascript; charset=utf-8", "new EventSource('/api/events')"},
		{"/assets/app.css", "text/css; charset=utf-8", ".dag .node"},
	} {
		r := s.get(t, tc.path)
		require.Equal(t, http.StatusOK, r.status, tc.path)
		require.Equal(t, tc.contentType, r.header.Get("Content-Type"), tc.path)
		require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), tc.path)
		body := string(r.body)
		require.Contains(t, body, tc.contains, tc.path)
		// Nothing is fetched from elsewhere: no absolute URL at all.
		require.NotContains(t, body, "http://", tc.path)
		require.NotContains(t, body, "https://", tc.path)
		require.NotContains(t, body, "//cdn", tc.path)
	}
	r := s.get(t, "/")
	require.Contains(t, r.header.Get("Content-Security-Policy"), "default-src 'none'")
	require.NotContains(t, string(r.body), "Log out", "no logout without a token")

	// An asset is revalidated by its ETag.
	js := s.get(t, "/assets/app.js")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/assets/app.js", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", js.header.Get("ETag"))
	require.Equal(t, http.StatusNotModified, s.send(t, req).status)

	require.Equal(t, http.StatusNotFound, s.get(t, "/assets/index.html").status, "templates are not assets")
	require.Equal(t, http.StatusNotFound, s.get(t, "/assets/nothing.js").status)
	require.Equal(t, http.StatusNotFound, s.get(t, "/nothing").status)
	s.do(t, http.MethodPost, "/", nil).requireError(t, http.StatusMethodNotAllowed, "GET")
	// Without a token there is nothing to log in to.
	r = s.get(t, "/login")
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/", r.header.Get("Location"))
}

func TestDashboardLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{Token: testToken})
	s.token = "" // the browser has no bearer token

	// Without a session, / sends the browser to the login form.
	r := s.get(t, "/")
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/login", r.header.Get("Location"))
	r = s.get(t, "/login")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	require.Contains(t, string(r.body), `<form class="card login-form" method="post" action="/login">`)
	require.Contains(t, string(r.body), `name="token" type="password"`)
	require.NotContains(t, string(r.body), "role=\"alert\"")
	// The static files are open: the login form uses the style sheet.
	require.Equal(t, http.StatusOK, s.get(t, "/assets/app.css").status)

	for _, tc := range []struct{ token, msg string }{
		{"nope", "Wrong token"},
		{testToken[:len(testToken)-1], "Wrong token"},
		{"", "Enter the token"},
	} {
		r := s.login(t, tc.token)
		require.Equal(t, http.StatusUnauthorized, r.status, tc.token)
		require.Contains(t, string(r.body), tc.msg, tc.token)
		require.Contains(t, string(r.body), `role="alert"`, tc.token)
		require.Empty(t, r.header.Values("Set-Cookie"), tc.token)
	}

	r = s.login(t, testToken)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/", r.header.Get("Location"))
	cookies := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.Equal(t, "gigq_session", c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.NotContains(t, c.Value, testToken, "the cookie is not the token")

	// The cookie alone opens the dashboard and the API.
	r = s.get(t, "/", c)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, string(r.body), "Log out")
	r = s.get(t, "/api/stats", c)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Contains(t, string(r.body), `"total":0`)
	r = s.get(t, "/login", c)
	require.Equal(t, http.StatusSeeOther, r.status, "logged in already")

	// A forged or stale cookie does not.
	last := "x"
	if strings.HasSuffix(c.Value, last) {
		last = "y"
	}
	for _, v := range []string{testToken, c.Value[:len(c.Value)-1] + last} {
		bad := &http.Cookie{Name: "gigq_session", Value: v}
		require.Equal(t, http.StatusSeeOther, s.get(t, "/", bad).status, v)
		s.get(t, "/api/stats", bad).requireError(t, http.StatusUnauthorized, "invalid token")
	}

	// Log out deletes the cookie.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/logout", nil)
	require.NoError(t, err)
	req.AddCookie(c)
	r = s.send(t, req)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/login", r.header.Get("Location"))
	out := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, out, 1)
	require.Equal(t, "gigq_session", out[0].Name)
	require.Empty(t, out[0].Value)
	require.Negative(t, out[0].MaxAge)
}
