package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gigq-go/gigq"
)

// RunExec runs the exec task's handler directly, as a node's worker would.
func RunExec(ctx context.Context, o ExecOptions, a ExecArgs) (ExecResult, error) {
	return o.run(ctx, a)
}

// RunHTTP runs the http task's handler directly, as a node's worker would,
// with o's client (the guarded one when o.Client is nil), whose idle
// connections it closes after.
func RunHTTP(ctx context.Context, o HTTPOptions, a HTTPArgs) (HTTPResult, error) {
	o, err := o.withClient()
	if err != nil {
		return HTTPResult{}, err
	}
	defer o.Client.CloseIdleConnections()
	return o.run(ctx, a)
}

// HTTPTask is HTTP(o) for a test: the task's idle connections are closed
// when the test ends, so that goleak sees none of their goroutines.
func HTTPTask(t testing.TB, o HTTPOptions) *gigq.Task[HTTPArgs, HTTPResult] {
	o, err := o.withClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Client.CloseIdleConnections)
	return HTTP(o)
}

// FakeNet is a network for tests that never leaves the machine: Names
// resolves host names to IP addresses, and Routes connects an IP:port to
// a local listener's address. The guard checks the address a name
// resolves to, as it checks a real dial; an address without a route fails
// to connect.
type FakeNet struct {
	Names  map[string]string // host name -> IP
	Routes map[string]string // IP:port -> local address (httptest.Server.Listener.Addr)
}

// WithFakeNet returns o dialing through n instead of the system's resolver
// and sockets.
func WithFakeNet(o HTTPOptions, n FakeNet) HTTPOptions {
	o.dial = n.dial
	return o
}

func (n FakeNet) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, ok := n.Names[strings.TrimSuffix(strings.ToLower(host), ".")]; ok {
		host = ip
	} else if net.ParseIP(host) == nil {
		return nil, &net.DNSError{Err: "no such host (fake net)", Name: host, IsNotFound: true}
	}
	ipPort := net.JoinHostPort(host, port)
	if d.Control != nil {
		if err := d.Control(network, ipPort, nil); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
	}
	target, ok := n.Routes[ipPort]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("fake net: no route to %s", ipPort)}
	}
	var plain net.Dialer
	return plain.DialContext(ctx, network, target)
}

// UsesProxy tells whether o's client (the guarded one when o.Client is
// nil) would send any request through a proxy.
func UsesProxy(o HTTPOptions) bool {
	o, err := o.withClient()
	if err != nil {
		panic(err)
	}
	t, ok := o.Client.Transport.(*http.Transport)
	return !ok || t.Proxy != nil
}
