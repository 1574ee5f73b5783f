package gigq_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// testPKI writes a CA and one certificate for 127.0.0.1 signed by it (with
// keys) to a temporary directory; both sides of a test use the one leaf.
func testPKI(t testing.TB) *gigq.RemoteTLS {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gigq test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "gigq node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &leafKey.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(leafKey)
	require.NoError(t, err)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	return &gigq.RemoteTLS{CertFile: write("node.pem", "CERTIFICATE", leafDER), KeyFile: write("node-key.pem", "EC PRIVATE KEY", keyDER),
		CAFile: write("ca.pem", "CERTIFICATE", caDER)}
}

func TestRemoteMutualTLS(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	primary := openPrimary(t, gigq.Config{Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", TLS: pki}})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: "tls", Tasks: []string{"echo"}, TLS: pki})
	c.expect("joined")
	id, err := primary.Submit(testCtx(t), "echo", echoArgs{N: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, "tls", completedOnce(t, primary, id))
}

func TestRemoteTLSConfigErrors(t *testing.T) {
	t.Parallel()
	_, err := gigq.Open(t.Context(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers,
		Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", TLS: &gigq.RemoteTLS{CertFile: "x.pem"}}})
	require.ErrorContains(t, err, "both a certificate and its key")
	_, err = gigq.Open(t.Context(), gigq.Config{Path: dbPath(t), Workers: gigq.NoWorkers,
		Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0", TLS: &gigq.RemoteTLS{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent-key.pem"}}})
	require.ErrorContains(t, err, "load certificate")
}

func TestRemoteWorkerNodeWithThePrimarysIDRefused(t *testing.T) {
	t.Parallel()
	primary := openPrimary(t, gigq.Config{})
	c := startChild(t, childEnv{Join: primary.RemoteAddress(), ID: primary.WorkerID(), Tasks: []string{"echo"}})
	require.Contains(t, c.expect("refused"), "primary's own id")
}
