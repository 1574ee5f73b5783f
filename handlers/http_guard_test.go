package handlers_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
)

// countingServer starts a test server on loopback that answers "hello
// from NAME" and counts its requests.
func countingServer(t testing.TB, name string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "hello from "+name)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// hostPort is the address a test server listens on.
func hostPort(srv *httptest.Server) string { return srv.Listener.Addr().String() }

// port is the port a test server listens on.
func port(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return u.Port()
}

func TestHTTPBlockedRanges(t *testing.T) {
	t.Parallel()
	// A fake net with no routes: an address the guard lets through fails
	// with "no route", so nothing here leaves the machine.
	opts := handlers.WithFakeNet(handlers.HTTPOptions{}, handlers.FakeNet{})
	for _, tc := range []struct{ addr, reason, allow string }{
		{"127.0.0.1", "loopback address", "127.0.0.1/32"},
		{"127.8.9.10", "loopback address", "127.8.9.10/32"},
		{"10.1.2.3", "private address", "10.1.2.3/32"},
		{"172.16.0.1", "private address", "172.16.0.1/32"},
		{"172.31.255.255", "private address", "172.31.255.255/32"},
		{"192.168.1.1", "private address", "192.168.1.1/32"},
		{"169.254.169.254", "link-local address, cloud metadata", "169.254.169.254/32"},
		{"169.254.1.1", "link-local address", "169.254.1.1/32"},
		{"0.0.0.0", "unspecified address", "0.0.0.0/32"},
		{"0.1.2.3", "unspecified address", "0.1.2.3/32"},
		{"100.64.0.1", "shared address, carrier-grade NAT", "100.64.0.1/32"},
		{"192.0.0.170", "reserved address", "192.0.0.170/32"},
		{"198.18.0.1", "benchmarking address", "198.18.0.1/32"},
		{"224.0.0.1", "multicast address", "224.0.0.1/32"},
		{"239.255.255.250", "multicast address", "239.255.255.250/32"},
		{"255.255.255.255", "broadcast address", "255.255.255.255/32"},
		{"240.0.0.1", "reserved address", "240.0.0.1/32"},
		{"::1", "loopback address", "::1/128"},
		{"::", "unspecified address", "::/128"},
		{"::ffff:127.0.0.1", "loopback address", "127.0.0.1/32"},
		{"::ffff:169.254.169.254", "cloud metadata", "169.254.169.254/32"},
		{"::ffff:10.0.0.1", "private address", "10.0.0.1/32"},
		{"64:ff9b::7f00:1", "NAT64 form of a loopback address", "64:ff9b::7f00:1/128"},
		{"64:ff9b::a9fe:a9fe", "NAT64 form of a link-local address, cloud metadata", "64:ff9b::a9fe:a9fe/128"},
		{"64:ff9b:1::1", "local-use NAT64 address", "64:ff9b:1::1/128"},
		{"2002:7f00:1::1", "6to4 form of a loopback address", "2002:7f00:1::1/128"},
		{"2002:c0a8:101::1", "6to4 form of a private address", "2002:c0a8:101::1/128"},
		{"fc00::1", "private address, unique local", "fc00::1/128"},
		{"fd00:ec2::254", "private address, unique local", "fd00:ec2::254/128"},
		{"fe80::1", "link-local address", "fe80::1/128"},
		{"fec0::1", "site-local address", "fec0::1/128"},
		{"ff02::1", "multicast address", "ff02::1/128"},
		{"100::1", "discard-only address", "100::1/128"},
		{"2001::1", "Teredo", "2001::1/128"},
		{"::127.0.0.1", "outside global unicast", "::7f00:1/128"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			u := "http://" + net.JoinHostPort(tc.addr, "8080") + "/x"
			_, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: u})
			var be *handlers.BlockedAddressError
			require.ErrorAs(t, err, &be, "%s is refused", tc.addr)
			require.Contains(t, be.Reason, tc.reason)
			require.ErrorIs(t, err, gigq.ErrSkipRetry)
			require.Contains(t, err.Error(), "http: refusing to connect to ")
			require.Contains(t, err.Error(), "; to allow it, start the node with --http-allow "+tc.allow)

			// What the message says to allow opens it: the fake net is
			// reached, and has no route there.
			open := handlers.WithFakeNet(handlers.HTTPOptions{Allow: []string{tc.allow}}, handlers.FakeNet{})
			_, err = handlers.RunHTTP(testCtx(t), open, handlers.HTTPArgs{URL: u})
			require.ErrorContains(t, err, "fake net: no route to")
			require.NotErrorIs(t, err, gigq.ErrSkipRetry, "a transport error may pass on retry")
		})
	}
	for _, addr := range []string{
		"8.8.8.8", "203.0.113.7", "192.0.2.1", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.255.0.1",
		"2606:4700::1111", "2001:db8::7", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			_, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: "http://" + net.JoinHostPort(addr, "80")})
			require.ErrorContains(t, err, "fake net: no route to", "%s is public: it is dialed", addr)
		})
	}
}

func TestHTTPRefusesLoopbackOnRealSockets(t *testing.T) {
	t.Parallel()
	srv, hits := countingServer(t, "loopback")
	// The system's sockets (the URL names an address, so no DNS): the
	// Control hook refuses the address before the connection is made.
	_, err := handlers.RunHTTP(testCtx(t), handlers.HTTPOptions{}, handlers.HTTPArgs{URL: srv.URL})
	var be *handlers.BlockedAddressError
	require.ErrorAs(t, err, &be)
	require.Equal(t, "loopback address", be.Reason)
	require.Equal(t, hostPort(srv), be.Addr.String())
	require.ErrorIs(t, err, gigq.ErrSkipRetry)
	require.Contains(t, err.Error(), "--http-allow")
	require.Zero(t, hits.Load(), "the server got no request")

	// Opened by a CIDR, and by the address.
	for _, allow := range [][]string{{"127.0.0.0/8", "::1/128"}, {"127.0.0.1", "::1"}} {
		res, err := handlers.RunHTTP(testCtx(t), handlers.HTTPOptions{Allow: allow}, handlers.HTTPArgs{URL: srv.URL})
		require.NoError(t, err, "allow %v", allow)
		require.Equal(t, "hello from loopback", res.Body)
	}
}

func TestHTTPRefusedJobsFailAtOnce(t *testing.T) {
	t.Parallel()
	inside, insideHits := countingServer(t, "inside")
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-loopback":
			http.Redirect(w, r, "http://127.0.0.1:"+port(t, inside)+"/", http.StatusFound)
		case "/to-name":
			http.Redirect(w, r, "http://internal.example.test/", http.StatusFound)
		case "/to-public":
			http.Redirect(w, r, "http://api.example.test/", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "public")
		}
	}))
	t.Cleanup(public.Close)
	// Every address the jobs could reach routes to a local server: the
	// guard alone keeps them from the inside one.
	fake := handlers.FakeNet{
		Names: map[string]string{
			"api.example.test":      "203.0.113.7",
			"internal.example.test": "127.0.0.1",
			"db.example.test":       "10.0.0.5",
			"metadata.example.test": "169.254.169.254",
		},
		Routes: map[string]string{
			"203.0.113.7:80":                  hostPort(public),
			"127.0.0.1:80":                    hostPort(inside),
			"127.0.0.1:" + port(t, inside):    hostPort(inside),
			"10.0.0.5:80":                     hostPort(inside),
			"10.0.0.5:5432":                   hostPort(inside),
			"169.254.169.254:80":              hostPort(inside),
			net.JoinHostPort("fd00::5", "80"): hostPort(inside),
		},
	}
	task := handlers.HTTPTask(t, handlers.WithFakeNet(handlers.HTTPOptions{}, fake))
	n := openNode(t, task)
	ctx := testCtx(t)

	for _, tc := range []struct{ name, url, want string }{
		{"loopback", "http://127.0.0.1:" + port(t, inside) + "/api/clear",
			"http: refusing to connect to 127.0.0.1:" + port(t, inside) + " (loopback address); to allow it, start the node with --http-allow 127.0.0.1/32"},
		{"private", "http://10.0.0.5:5432/",
			"http: refusing to connect to 10.0.0.5:5432 (private address); to allow it, start the node with --http-allow 10.0.0.5/32"},
		{"private v6", "http://[fd00::5]/", "(private address, unique local); to allow it, start the node with --http-allow fd00::5/128"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/",
			"http: refusing to connect to 169.254.169.254:80 (link-local address, cloud metadata); to allow it, start the node with --http-allow 169.254.169.254/32"},
		{"name of a loopback address", "http://internal.example.test/",
			"http: refusing to connect to 127.0.0.1:80 (loopback address), the address of internal.example.test; to allow it, start the node with --http-allow 127.0.0.1/32 (or --http-allow internal.example.test)"},
		{"name of cloud metadata", "http://metadata.example.test/", "(link-local address, cloud metadata), the address of metadata.example.test"},
		{"redirect to loopback", "http://api.example.test/to-loopback",
			"http: refusing to connect to 127.0.0.1:" + port(t, inside) + " (loopback address), after a redirect to http://127.0.0.1:" + port(t, inside) + "/; to allow it, start the node with --http-allow 127.0.0.1/32"},
		{"redirect to a name of loopback", "http://api.example.test/to-name",
			"(loopback address), the address of internal.example.test, after a redirect to http://internal.example.test/; to allow it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := task.Submit(ctx, n, handlers.HTTPArgs{URL: tc.url}, &gigq.SubmitOpts{MaxAttempts: 3})
			require.NoError(t, err)
			j := waitJob(t, n, id)
			require.Equal(t, gigq.StatusFailed, j.Status)
			require.Equal(t, 1, j.Attempts, "a refused address fails the job on its first attempt")
			require.Contains(t, j.Error, tc.want)
		})
	}
	require.Zero(t, insideHits.Load(), "no job reached the inside server")

	// A public-looking address works through the same task, also after a
	// redirect.
	for _, u := range []string{"http://api.example.test/", "http://api.example.test/to-public"} {
		id, err := task.Submit(ctx, n, handlers.HTTPArgs{URL: u}, nil)
		require.NoError(t, err)
		require.Equal(t, gigq.StatusCompleted, waitJob(t, n, id).Status, u)
		res, err := task.Result(ctx, n, id)
		require.NoError(t, err)
		require.Equal(t, "public", res.Body)
	}
}

func TestHTTPAllowOpensWhatItNames(t *testing.T) {
	t.Parallel()
	inside, _ := countingServer(t, "inside")
	fake := handlers.FakeNet{
		Names: map[string]string{
			"internal.example.test": "127.0.0.1",
			"other.example.test":    "127.0.0.1",
			"db.example.test":       "10.0.0.5",
		},
		Routes: map[string]string{"127.0.0.1:80": hostPort(inside), "10.0.0.5:80": hostPort(inside)},
	}
	opts := handlers.WithFakeNet(handlers.HTTPOptions{Allow: []string{"10.0.0.0/8", "Internal.Example.Test"}}, fake)
	for _, u := range []string{"http://internal.example.test/", "http://INTERNAL.example.test./", "http://db.example.test/", "http://10.0.0.5/"} {
		res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: u})
		require.NoError(t, err, u)
		require.Equal(t, "hello from inside", res.Body)
	}
	// The name is allowed, not the address it has: another name of it,
	// or the address itself, is still refused; so is a Host header that
	// names the allowed name.
	for _, a := range []handlers.HTTPArgs{
		{URL: "http://other.example.test/"},
		{URL: "http://127.0.0.1/"},
		{URL: "http://other.example.test/", Headers: map[string]string{"Host": "internal.example.test"}},
	} {
		_, err := handlers.RunHTTP(testCtx(t), opts, a)
		var be *handlers.BlockedAddressError
		require.ErrorAs(t, err, &be, a.URL)
	}
}

func TestHTTPIgnoresProxyEnvironment(t *testing.T) {
	// Not parallel: it sets the environment. The proxy would be reached
	// through the fake net, were the task to use one.
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		proxied.Add(1)
		_, _ = io.WriteString(w, "proxied")
	}))
	t.Cleanup(proxy.Close)
	direct, directHits := countingServer(t, "direct")
	t.Setenv("HTTP_PROXY", "http://proxy.example.test:3128")
	t.Setenv("http_proxy", "http://proxy.example.test:3128")
	fake := handlers.FakeNet{
		Names:  map[string]string{"proxy.example.test": "203.0.113.9", "api.example.test": "203.0.113.7"},
		Routes: map[string]string{"203.0.113.9:3128": hostPort(proxy), "203.0.113.7:80": hostPort(direct)},
	}
	opts := handlers.WithFakeNet(handlers.HTTPOptions{}, fake)
	require.False(t, handlers.UsesProxy(opts), "the task's transport has no proxy")
	res, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: "http://api.example.test/"})
	require.NoError(t, err)
	require.Equal(t, "hello from direct", res.Body)
	require.EqualValues(t, 1, directHits.Load())
	require.Zero(t, proxied.Load(), "HTTP_PROXY is not used")
}

func TestHTTPTooManyRedirects(t *testing.T) {
	t.Parallel()
	srv, opts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	_, err := handlers.RunHTTP(testCtx(t), opts, handlers.HTTPArgs{URL: srv.URL})
	require.ErrorContains(t, err, "http: stopped after 10 redirects, the last to "+srv.URL+"/again")
}

func TestCheckAllow(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"10.0.0.0/8", "10.1.2.3/8", "127.0.0.1", "::1", "fd00::/8", "::ffff:10.0.0.0/104",
		"api.internal", "API.Internal.", "localhost", "my_host-1.example.com"} {
		require.NoError(t, handlers.CheckAllow(ok), ok)
	}
	for _, bad := range []string{"", "http://api.internal", "api.internal:8080", "10.0.0.0/33", "10.0.0.1-10.0.0.9",
		"*.internal", "a..b", "fe80::1%eth0/64", "two words", strings.Repeat("a", 64) + ".com"} {
		err := handlers.CheckAllow(bad)
		require.ErrorContains(t, err, "is not a CIDR (e.g. 10.0.0.0/8), an IP address (e.g. 10.1.2.3) or a host name", bad)
	}
	require.PanicsWithValue(t,
		`handlers.HTTP: HTTPOptions.Allow: "10.0.0.0/33" is not a CIDR (e.g. 10.0.0.0/8), an IP address (e.g. 10.1.2.3) or a host name without scheme or port (e.g. api.internal)`,
		func() { handlers.HTTP(handlers.HTTPOptions{Allow: []string{"10.0.0.0/33"}}) })
}
