package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// maxRedirects is how many redirects the http task follows.
const maxRedirects = 10

// BlockedAddressError is the error of an attempt of the http task that
// would have connected to an address that is not public (see the package
// doc for the ranges) and that HTTPOptions.Allow does not open. The job
// fails at once, without retries: the address will not change.
type BlockedAddressError struct {
	// Addr is the address the connection was refused to.
	Addr netip.AddrPort
	// Reason says what kind of address it is, e.g. "loopback address".
	Reason string
	// Host is the host name that resolved to Addr; "" when the URL named
	// the address itself.
	Host string
	// URL is the request that needed the connection, its password
	// redacted.
	URL string
	// Redirect is true when URL is the target of a redirect, not the
	// job's url.
	Redirect bool
}

func (e *BlockedAddressError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "http: refusing to connect to %s (%s)", e.Addr, e.Reason)
	if e.Host != "" {
		fmt.Fprintf(&b, ", the address of %s", e.Host)
	}
	if e.Redirect {
		fmt.Fprintf(&b, ", after a redirect to %s", e.URL)
	}
	bits := 32
	if e.Addr.Addr().Is6() {
		bits = 128
	}
	fmt.Fprintf(&b, "; to allow it, start the node with --http-allow %s/%d", e.Addr.Addr(), bits)
	if e.Host != "" {
		fmt.Fprintf(&b, " (or --http-allow %s)", e.Host)
	}
	return b.String()
}

// CheckAllow says what is wrong with an entry of HTTPOptions.Allow (the
// value of gigq's --http-allow): it must be a CIDR (10.0.0.0/8), an IP
// address (10.1.2.3, a single address) or a host name (api.internal); nil
// if it is one of these.
func CheckAllow(entry string) error {
	_, err := parseAllow([]string{entry})
	return err
}

// guard decides which addresses the http task may connect to: the public
// ones, and those Allow opens.
type guard struct {
	nets  []netip.Prefix
	hosts map[string]bool // lower case, no trailing dot
}

// parseAllow makes the guard of HTTPOptions.Allow.
func parseAllow(allow []string) (*guard, error) {
	g := &guard{hosts: map[string]bool{}}
	for _, entry := range allow {
		e := strings.TrimSpace(entry)
		if p, err := netip.ParsePrefix(e); err == nil && p.Addr().Zone() == "" {
			g.nets = append(g.nets, unmapPrefix(p.Masked()))
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
			a = a.Unmap()
			g.nets = append(g.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if name := hostKey(e); isHostName(name) {
			g.hosts[name] = true
			continue
		}
		return nil, fmt.Errorf("%q is not a CIDR (e.g. 10.0.0.0/8), an IP address (e.g. 10.1.2.3) or a host name without scheme or port (e.g. api.internal)", entry)
	}
	return g, nil
}

// unmapPrefix turns a prefix of IPv4-mapped IPv6 addresses into the IPv4
// prefix it stands for, since addresses are checked unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// hostKey is a host name as Allow and the check compare it.
func hostKey(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// isHostName tells whether s is a DNS name: dot-separated labels of 1 to
// 63 letters, digits, '-' or '_', at most 253 bytes in all, the last not
// all digits (so that a mistyped address such as 10.0.0.1-10.0.0.9 is not
// taken for a name).
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// check refuses the address a dial reached (address as a Dialer's Control
// hook gets it: IP:port) unless it is public or allowed. host is the name
// the request asked for; "" for an IP in the URL.
func (g *guard) check(host, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("http: cannot check the address %q dialed: %w", address, err)
	}
	addr := ap.Addr().WithZone("").Unmap()
	for _, p := range g.nets {
		if p.Contains(addr) {
			return nil
		}
	}
	reason := blockedReason(addr)
	if reason == "" {
		return nil
	}
	return &BlockedAddressError{Addr: netip.AddrPortFrom(addr, ap.Port()), Reason: reason, Host: host}
}

// dialFunc connects to addr (host:port, as http.Transport gives it) with
// d, whose Control hook checks each address tried. Tests replace it
// (HTTPOptions.dial) so that no connection leaves the machine.
type dialFunc func(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error)

// systemDial dials with d as it is: the system resolver, real sockets.
func systemDial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	return d.DialContext(ctx, network, addr)
}

// dialContext is the transport's DialContext. A host name in Allow is
// dialed unchecked; every other connection is checked on the address
// actually dialed, after DNS, so a name that resolves (or rebinds) to a
// private address is refused.
func (g *guard) dialContext(dial dialFunc) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("http: dial %q: %w", addr, err)
		}
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		if !g.hosts[hostKey(host)] {
			name := host
			if _, err := netip.ParseAddr(host); err == nil {
				name = ""
			}
			d.Control = func(_, address string, _ syscall.RawConn) error {
				return g.check(name, address)
			}
		}
		return dial(ctx, d, network, addr)
	}
}

// client is the http task's client: no proxy (HTTP_PROXY would connect on
// its behalf, out of the check's sight), every connection through the
// guard, redirects included.
func (g *guard) client(dial dialFunc) *http.Client {
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.dialContext(dial),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}
}

// checkRedirect follows up to maxRedirects redirects. The target of each
// is checked when it is dialed, like the first request.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("http: stopped after %d redirects, the last to %s", maxRedirects, req.URL.Redacted())
	}
	return nil
}
