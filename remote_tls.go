package gigq

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// RemoteTLS encrypts the transport between a primary and its worker nodes.
// Both sides serve and dial (each connects to the other), so both need a
// certificate.
type RemoteTLS struct {
	// CertFile and KeyFile are this node's certificate and key (PEM). The
	// certificate must name the host (or IP) peers dial.
	CertFile, KeyFile string
	// CAFile (PEM) verifies peers' certificates. When set, the listener
	// also requires a client certificate signed by it (mutual TLS). When
	// empty, peers are verified against the system's roots and no client
	// certificate is asked for.
	CAFile string
}

// configs builds the listener's and the dialer's TLS configuration.
func (t *RemoteTLS) configs() (server, client *tls.Config, err error) {
	if t == nil {
		return nil, nil, nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, nil, errors.New("gigq: remote TLS needs both a certificate and its key (--remote-tls-cert and --remote-tls-key)")
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("gigq: remote TLS: load certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
	}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("gigq: remote TLS: read CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("gigq: remote TLS: %s holds no PEM certificate", t.CAFile)
		}
		server.ClientCAs, server.ClientAuth = pool, tls.RequireAndVerifyClientCert
		client.RootCAs = pool
	}
	return server, client, nil
}
