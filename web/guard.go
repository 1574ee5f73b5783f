package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// hostGuard answers only requests whose Host header names this node: a
// loopback name, an IP address, or one of Options.AllowedHosts. It is what
// stops DNS rebinding: a page on evil.example whose name is made to
// resolve to 127.0.0.1 talks to the node from the browser's point of
// view as the same origin, so neither CORS nor CrossOriginProtection
// stops it reading /api/jobs; but its requests carry "Host:
// evil.example", which is refused here.
type hostGuard struct {
	names map[string]bool // normalised (see hostName), from Options.AllowedHosts
}

func newHostGuard(allowed []string) *hostGuard {
	g := &hostGuard{names: map[string]bool{}}
	for _, h := range allowed {
		if n := hostName(h); n != "" {
			g.names[n] = true
		}
	}
	return g
}

// hostName is the name of a Host header or AllowedHosts entry, for
// comparison: the port left out, lower case, without a final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimPrefix(strings.TrimSuffix(host, "]"), "[") // "[::1]" without a port
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// allowed reports whether a request with this Host header is answered.
//
// Any IP address is: a browser sends an IP literal as Host only when the
// page's own URL named that address, and an IP never resolves to
// something else, so a page whose origin is an IP literal is the node's
// own origin (or another server's, which cannot reach this node under
// that name): IP literals cannot be a rebinding attack. Loopback names
// ("localhost" and "*.localhost", which browsers and resolvers keep on
// the loopback interface) are answered too; any other name only when it
// is in Options.AllowedHosts.
func (g *hostGuard) allowed(host string) bool {
	name := hostName(host)
	if name == "" {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	return name == "localhost" || strings.HasSuffix(name, ".localhost") || g.names[name]
}

// wrap refuses, with 421 Misdirected Request, every request whose Host is
// not allowed.
func (g *hostGuard) wrap(s *server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allowed(r.Host) {
			s.log.Debug().Str("host", r.Host).Str("remote", r.RemoteAddr).Msg("request for another host refused")
			if hostName(r.Host) == "" {
				s.fail(w, r, errorf(http.StatusMisdirectedRequest, "", "the request has no Host: send the node's "+
					"address or one of its names (--http-host, web.Options.AllowedHosts) as Host"))
				return
			}
			s.fail(w, r, errorf(http.StatusMisdirectedRequest, "",
				"Host %q is not a name of this node: it answers to localhost, IP addresses and the names given with "+
					"--http-host (web.Options.AllowedHosts); if clients reach it as %q (a reverse proxy, a DNS name), "+
					"start it with --http-host %s", r.Host, hostName(r.Host), hostName(r.Host)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin wraps next in net/http's CrossOriginProtection: a browser
// request with an unsafe method (POST, PUT, DELETE, ...) from another
// origin is refused with 403, whether or not it carries credentials;
// GET, HEAD and OPTIONS pass, and so do clients that are not browsers
// (curl, gigq), which send neither Sec-Fetch-Site nor Origin.
func (s *server) crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Str("origin", r.Header.Get("Origin")).
			Str("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")).Msg("cross-origin request refused")
		s.fail(w, r, errorf(http.StatusForbidden, "", "cross-origin request refused: %s; %s %s changes state and is taken "+
			"only from the node's own pages or from clients that are not browsers (curl, gigq)", crossOriginReason(r), r.Method, r.URL.Path))
	}))
	return p.Handler(next)
}

// crossOriginReason says what made CrossOriginProtection refuse r.
func crossOriginReason(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return fmt.Sprintf("the browser says it comes from another origin (Sec-Fetch-Site: %s)", site)
	}
	return fmt.Sprintf("its Origin %s is not this node (Host %s)", r.Header.Get("Origin"), r.Host)
}
