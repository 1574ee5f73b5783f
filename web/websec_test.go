package web_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

// unsafeRoute is one state-changing request of the API or the dashboard,
// as a client that means it would send it.
type unsafeRoute struct {
	path, contentType, body string
}

// unsafeRoutes are every state-changing route: pending is a pending job
// (to cancel), cancelled a cancelled one (to requeue, or to clear).
func unsafeRoutes(pending, cancelled gigq.JobID, token string) []unsafeRoute {
	return []unsafeRoute{
		{"/api/jobs", "application/json", `{"function":"echo"}`},
		{"/api/jobs/" + string(pending) + "/cancel", "", ""},
		{"/api/jobs/" + string(cancelled) + "/requeue", "", ""},
		{"/api/clear?before=now", "", ""},
		{"/api/workflows", "application/yaml", "name: w\njobs:\n  - key: a\n    function: echo\n"},
		{"/login", "application/x-www-form-urlencoded", url.Values{"token": {token}}.Encode()},
		{"/logout", "application/x-www-form-urlencoded", ""},
	}
}

// stateOf is what a refused request must leave as it was: the counts by
// state, and the two jobs' states.
func stateOf(t *testing.T, s *testServer, ids ...gigq.JobID) []any {
	t.Helper()
	st, err := s.node.Stats(t.Context())
	require.NoError(t, err)
	out := []any{st}
	for _, id := range ids {
		j, err := s.node.Status(t.Context(), id)
		require.NoError(t, err)
		out = append(out, j.Status)
	}
	return out
}

// TestCrossOriginRefused: a browser request from another origin (a forged
// Origin, or Sec-Fetch-Site: cross-site) to any state-changing route is
// refused with 403 and a JSON error saying why, with and without a token
// (and with the right token sent), and nothing is written, no session
// made or ended. The same requests from the node's own origin, or from a
// client that is not a browser, go through.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", testToken} {
		name := "no token"
		if token != "" {
			name = "token"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, false, web.Options{Token: token})
			pending := s.submit(t, map[string]any{"function": "echo"})
			cancelled := s.submit(t, map[string]any{"function": "echo"})
			s.do(t, http.MethodPost, "/api/jobs/"+string(cancelled)+"/cancel", nil).decode(t, http.StatusOK, new(gigq.Job))
			var session *http.Cookie
			if token != "" {
				cookies := (&http.Response{Header: s.login(t, token).header}).Cookies()
				require.Len(t, cookies, 1)
				session = cookies[0]
			}
			before := stateOf(t, s, pending, cancelled)

			forgeries := map[string]func(*http.Request){
				"Origin": func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") },
				"Origin of another port": func(r *http.Request) {
					r.Header.Set("Origin", "http://127.0.0.1:1")
				},
				"Sec-Fetch-Site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
				"Sec-Fetch-Site same-site": func(r *http.Request) {
					r.Header.Set("Sec-Fetch-Site", "same-site")
					r.Header.Set("Origin", s.URL) // Sec-Fetch-Site wins
				},
			}
			for _, rt := range unsafeRoutes(pending, cancelled, token) {
				for how, forge := range forgeries {
					r := s.doWith(t, http.MethodPost, rt.path, rt.contentType, rt.body, func(r *http.Request) {
						forge(r)
						if session != nil {
							r.AddCookie(session)
						}
					})
					msg := r.requireError(t, http.StatusForbidden, "cross-origin request refused",
						"POST "+strings.Split(rt.path, "?")[0])["error"]
					if strings.HasPrefix(how, "Origin") {
						require.Contains(t, msg, "Origin", how)
					}
					require.Empty(t, r.header.Values("Set-Cookie"), "%s %s", how, rt.path)
					require.Equal(t, before, stateOf(t, s, pending, cancelled), "%s %s wrote", how, rt.path)
				}
			}
			if session != nil {
				r := s.get(t, "/api/stats", session)
				require.Equal(t, http.StatusOK, r.status, "a refused logout ends no session: %s", r.body)
			}

			// From the node's own page, and from curl, the same requests work.
			sameOrigin := func(r *http.Request) {
				r.Header.Set("Origin", s.URL)
				r.Header.Set("Sec-Fetch-Site", "same-origin")
			}
			s.doWith(t, http.MethodPost, "/api/jobs", "application/json", `{"function":"echo"}`, sameOrigin).
				decode(t, http.StatusCreated, new(map[string]string))
			s.doWith(t, http.MethodPost, "/api/jobs/"+string(pending)+"/cancel", "", nil, sameOrigin).
				decode(t, http.StatusOK, new(gigq.Job))
			s.do(t, http.MethodPost, "/api/clear?before=now", nil).decode(t, http.StatusOK, new(map[string]int))
			st, err := s.node.Stats(t.Context())
			require.NoError(t, err)
			require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
		})
	}
}

// TestForeignHostRefused: a request whose Host is not a name of the node
// (as a DNS-rebinding page sends) is refused with 421 on every route,
// saying which Host and naming --http-host; loopback names, IP addresses
// and Options.AllowedHosts (port and case aside) are answered.
func TestForeignHostRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{AllowedHosts: []string{"gigq.example.com", "Proxy.Example.org:8443"}})
	s.submit(t, map[string]any{"function": "echo"})
	before := stateOf(t, s)
	withHost := func(host string) func(*http.Request) { return func(r *http.Request) { r.Host = host } }

	for _, host := range []string{"evil.example", "evil.example:7777", "gigq.example.com.evil.example", "localhost.evil.example",
		"example.com"} {
		for _, path := range []string{"/api/jobs", "/api/stats", "/", "/healthz", "/assets/app.js", "/login"} {
			r := s.doWith(t, http.MethodGet, path, "", nil, withHost(host))
			r.requireError(t, http.StatusMisdirectedRequest, "--http-host", `Host "`+host+`"`)
		}
		r := s.doWith(t, http.MethodPost, "/api/jobs", "application/json", `{"function":"echo"}`, withHost(host))
		r.requireError(t, http.StatusMisdirectedRequest, "--http-host", `Host "`+host+`"`)
		r = s.doWith(t, http.MethodPost, "/api/clear?before=now", "", nil, withHost(host))
		r.requireError(t, http.StatusMisdirectedRequest, "--http-host")
	}
	// HTTP/1.0 has no Host: that is refused too.
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /api/stats HTTP/1.0\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "%s", raw)
	require.Contains(t, string(raw), "no Host")
	require.Equal(t, before, stateOf(t, s), "nothing written")

	for _, host := range []string{"localhost", "localhost:7777", "LOCALHOST.", "app.localhost:80", "127.0.0.1:7777",
		"10.1.2.3", "[::1]:7777", "[fe80::1%25eth0]:80", "gigq.example.com", "GIGQ.Example.com:443", "proxy.example.org"} {
		r := s.doWith(t, http.MethodGet, "/api/stats", "", nil, withHost(host))
		require.Equal(t, http.StatusOK, r.status, "Host %q: %s", host, r.body)
	}
	s.doWith(t, http.MethodPost, "/api/jobs", "application/json", `{"function":"echo"}`, withHost("gigq.example.com")).
		decode(t, http.StatusCreated, new(map[string]string))
}

// TestContentTypeRequired: a body without a Content-Type, or with another
// one than the route reads, is refused with 415 naming the type expected,
// and nothing is written; parameters such as charset are fine.
func TestContentTypeRequired(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{Token: testToken})
	before := stateOf(t, s)
	const job = `{"function":"echo"}`
	for _, tc := range []struct{ path, contentType, body, want string }{
		{"/api/jobs", "", job, `"Content-Type: application/json"`},
		{"/api/jobs", "text/plain", job, "application/json"},
		{"/api/jobs", "text/plain; charset=utf-8", job, "application/json"},
		{"/api/jobs", "application/x-www-form-urlencoded", job, "application/json"},
		{"/api/jobs", "multipart/form-data; boundary=x", job, "application/json"},
		{"/api/jobs", "application/json;;", job, "application/json"},
		{"/api/workflows", "", browserWorkflow, `"Content-Type: application/yaml" (or application/x-yaml, text/yaml, application/json)`},
		{"/api/workflows", "text/plain", browserWorkflow, "application/yaml"},
		{"/login", "", "token=" + testToken, `"Content-Type: application/x-www-form-urlencoded"`},
		{"/login", "text/plain", "token=" + testToken, "application/x-www-form-urlencoded"},
		{"/login", "application/json", `{"token":"` + testToken + `"}`, "application/x-www-form-urlencoded"},
	} {
		r := s.doWith(t, http.MethodPost, tc.path, "", tc.body, func(r *http.Request) {
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
		})
		r.requireError(t, http.StatusUnsupportedMediaType, tc.want)
		require.Empty(t, r.header.Values("Set-Cookie"), "%s %q", tc.path, tc.contentType)
	}
	require.Equal(t, before, stateOf(t, s), "nothing written")

	s.doType(t, http.MethodPost, "/api/jobs", "Application/JSON; charset=utf-8", job).decode(t, http.StatusCreated, new(map[string]string))
	s.doType(t, http.MethodPost, "/api/workflows", "text/yaml", "name: w\njobs:\n  - key: a\n    function: echo\n").
		decode(t, http.StatusCreated, new(map[string]any))
	s.token = ""
	r := s.login(t, testToken)
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
}

// TestClearNeedsBefore: POST /api/clear without before is a 400 that says
// to send one (or before=now), and deletes nothing.
func TestClearNeedsBefore(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	id := s.submit(t, map[string]any{"function": "echo"})
	s.do(t, http.MethodPost, "/api/jobs/"+string(id)+"/cancel", nil).decode(t, http.StatusOK, new(gigq.Job))
	before := stateOf(t, s, id)
	for _, path := range []string{"/api/clear", "/api/clear?before=", "/api/clear?after=now"} {
		body := s.do(t, http.MethodPost, path, nil).requireError(t, http.StatusBadRequest, `"before" is required`, "before=now", "RFC 3339")
		require.Equal(t, "before", body["field"])
	}
	s.do(t, http.MethodPost, "/api/clear?before=soon", nil).requireError(t, http.StatusBadRequest, "or now")
	require.Equal(t, before, stateOf(t, s, id), "nothing deleted")

	var out map[string]int
	s.do(t, http.MethodPost, "/api/clear?before=now", nil).decode(t, http.StatusOK, &out)
	require.Equal(t, map[string]int{"cleared": 1}, out)
}
