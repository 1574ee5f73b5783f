package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/web"
)

func TestToken(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "gigq_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Inc()
	s := newServer(t, false, web.Options{Token: testToken, Gatherer: reg})

	get := func(path, auth string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := s.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"prefix of the token", "Bearer " + testToken[:len(testToken)-1], http.StatusUnauthorized},
		{"other scheme", "Basic czNjcmV0", http.StatusUnauthorized},
		{"right token", "Bearer " + testToken, http.StatusOK},
	} {
		for _, path := range []string{"/api/stats", "/api/jobs", "/api/nothing"} {
			resp := get(path, tc.auth)
			want := tc.status
			if want == http.StatusOK && path == "/api/nothing" {
				want = http.StatusNotFound
			}
			require.Equal(t, want, resp.StatusCode, "%s %s", tc.name, path)
			if want == http.StatusUnauthorized {
				require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
				require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			}
		}
	}
	// Even the method check comes after the token.
	s.token = ""
	s.do(t, http.MethodDelete, "/api/jobs", nil).requireError(t, http.StatusUnauthorized, "token")

	require.Equal(t, http.StatusOK, get("/healthz", "").StatusCode)
	resp := get("/metrics", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.True(t, strings.Contains(string(body), "gigq_test_total 1"), "%s", body)
}

func TestNoMetricsWithoutGatherer(t *testing.T) {
	t.Parallel()
	s := newServer(t, false, web.Options{})
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/metrics", nil).status)
}
