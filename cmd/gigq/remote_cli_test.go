//go:build unix

package main

// Worker nodes through the real binary: a primary "gigq node
// --remote-listen" on 127.0.0.1 and "gigq worker --join" processes, each
// its own process so a test can kill one.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// startPrimary starts "gigq node --remote-listen listen" on db (its HTTP
// server on a free port) and returns it with the address worker nodes
// join, read from its log.
func startPrimary(t *testing.T, bin, db, listen string, args ...string) (*proc, string) {
	t.Helper()
	p := startProc(t, bin, append([]string{"node", "--db", db, "--http", "127.0.0.1:0", "--log-format", "json",
		"--log-level", "info", "--remote-listen", listen}, args...)...)
	var join string
	waitLogLine(t, p, testTimeout, "the primary's remote address", func(l logLine) bool {
		join, _ = l["join"].(string)
		return strings.HasPrefix(l.msg(), "accepting worker nodes") && join != ""
	})
	return p, join
}

// startWorkerNode starts "gigq worker --join join --worker-id id" (info
// logs, so "joined primary" shows).
func startWorkerNode(t *testing.T, bin, join, id string, args ...string) *proc {
	t.Helper()
	return startProc(t, bin, append([]string{"worker", "--join", join, "--worker-id", id, "--log-format", "json",
		"--log-level", "info"}, args...)...)
}

// logLine is one JSON log line.
type logLine map[string]any

func (l logLine) msg() string { s, _ := l["message"].(string); return s }

// procLog parses the process's stderr so far (lines that are not JSON
// are skipped).
func procLog(p *proc) []logLine {
	var out []logLine
	for s := range strings.SplitSeq(p.stderr.String(), "\n") {
		var l logLine
		if json.Unmarshal([]byte(s), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// countLog counts the log lines whose message is msg.
func countLog(p *proc, msg string) int {
	n := 0
	for _, l := range procLog(p) {
		if l.msg() == msg {
			n++
		}
	}
	return n
}

// waitLogLine polls the process's log until a line satisfies ok, for at
// most d; it fails at once when the process exits.
func waitLogLine(t *testing.T, p *proc, d time.Duration, what string, ok func(logLine) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if slices.ContainsFunc(procLog(p), ok) {
			return
		}
		select {
		case <-p.done:
			if slices.ContainsFunc(procLog(p), ok) {
				return
			}
			t.Fatalf("%v exited (%v) before logging %s; stderr:\n%s", p.cmd.Args, p.err, what, p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not log %s within %s; stderr:\n%s", p.cmd.Args, what, d, p.stderr.String())
		}
	}
}

// waitJoined waits until the worker node logged "joined primary" at least
// n times.
func waitJoined(t *testing.T, p *proc, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for countLog(p, "joined primary") < n {
		select {
		case <-p.done:
			t.Fatalf("%v exited (%v) before joining %d times; stderr:\n%s", p.cmd.Args, p.err, n, p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "%v did not join %d times; stderr:\n%s", p.cmd.Args, n, p.stderr.String())
	}
}

// waitQuery polls a one-integer query on db until ok holds, for at most d,
// and returns the value.
func waitQuery(t *testing.T, db string, d time.Duration, what string, ok func(int) bool, query string, args ...any) int {
	t.Helper()
	conn := openRO(t, db)
	deadline := time.Now().Add(d)
	for {
		v := queryInt(t, conn, query, args...)
		if ok(v) {
			return v
		}
		require.True(t, time.Now().Before(deadline), "waited %s for %s; last value %d", d, what, v)
		<-time.After(10 * time.Millisecond)
	}
}

// startTwoNodes starts a primary that runs nothing itself and two worker
// nodes, wn-1 and wn-2, of the given concurrency, and waits until both
// joined.
func startTwoNodes(t *testing.T, bin, db, concurrency string) (primary *proc, join string, w1, w2 *proc) {
	t.Helper()
	primary, join = startPrimary(t, bin, db, "127.0.0.1:0", "--concurrency", "0")
	w1 = startWorkerNode(t, bin, join, "wn-1", "--concurrency", concurrency)
	w2 = startWorkerNode(t, bin, join, "wn-2", "--concurrency", concurrency)
	waitJoined(t, w1, 1)
	waitJoined(t, w2, 1)
	return primary, join, w1, w2
}

// stopProc sends SIGTERM and requires a clean exit.
func stopProc(t *testing.T, p *proc) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.Zero(t, p.wait(t, testTimeout), "stderr:\n%s", p.stderr.String())
}

// TestRemoteCLIWorkerNodesRunJobs: a primary that runs nothing itself and
// two worker nodes run 2,000 jobs, each exactly once, on both nodes.
func TestRemoteCLIWorkerNodesRunJobs(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	primary, _, w1, w2 := startTwoNodes(t, bin, db, "4")

	const n = 2000
	submitMany(t, db, n, "echo", map[string]int{"n": 1}, nil)
	waitStats(t, bin, db, 90*time.Second, "2,000 jobs", func(st gigq.Stats) bool { return st.Completed == n })
	requireExactlyOnce(t, db, n)
	conn := openRO(t, db)
	one := queryInt(t, conn, `SELECT count(*) FROM jobs WHERE worker_id = 'wn-1'`)
	two := queryInt(t, conn, `SELECT count(*) FROM jobs WHERE worker_id = 'wn-2'`)
	require.Equal(t, n, one+two, "every job ran on a worker node")
	require.Positive(t, one, "jobs ran on wn-1")
	require.Positive(t, two, "jobs ran on wn-2")

	stopProc(t, w1)
	stopProc(t, w2)
	stopProc(t, primary)
}

// TestRemoteCLIJobsGoOnlyToNodesWithTheirHandler: exec jobs run only on
// the worker node started with --allow-exec; a job of a task no node has
// stays pending, and gigq status says which nodes run what.
func TestRemoteCLIJobsGoOnlyToNodesWithTheirHandler(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	_, join := startPrimary(t, bin, db, "127.0.0.1:0", "--concurrency", "0")
	plain := startWorkerNode(t, bin, join, "wn-plain", "--concurrency", "2")
	execer := startWorkerNode(t, bin, join, "wn-exec", "--concurrency", "2", "--allow-exec")
	waitJoined(t, plain, 1)
	waitJoined(t, execer, 1)

	nobody := binSubmit(t, bin, db, "nobody")
	ids := submitMany(t, db, 6, "exec", map[string]any{"argv": []string{"sh", "-c", "echo hi"}}, nil)
	submitMany(t, db, 6, "echo", nil, nil)
	waitStats(t, bin, db, testTimeout, "the exec and echo jobs", func(st gigq.Stats) bool { return st.Completed == 12 })
	for _, id := range ids {
		j := binStatus(t, bin, db, id)
		require.Equal(t, gigq.StatusCompleted, j.Status, j.Error)
		require.Equal(t, "wn-exec", j.WorkerID, "only wn-exec has the exec handler")
	}

	require.Equal(t, gigq.StatusPending, binStatus(t, bin, db, nobody).Status)
	out := string(binOutput(t, bin, "status", string(nobody), "--db", db))
	require.Contains(t, out, `Waiting: no running worker or node has handler "nobody". Running: `)
	require.Contains(t, out, "wn-plain (echo, fail, http, sleep)")
	require.Contains(t, out, "wn-exec (echo, exec, fail, http, sleep)")
}

// TestRemoteCLIKilledWorkerNode: kill -9 of a worker node in the middle of
// a run: its attempts fail with "node <id> lost" within the heartbeat
// timeout and its jobs finish on the other node, each exactly once.
func TestRemoteCLIKilledWorkerNode(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	const heartbeatTimeout = 3 * time.Second
	_, join := startPrimary(t, bin, db, "127.0.0.1:0", "--concurrency", "0",
		"--remote-heartbeat-timeout", heartbeatTimeout.String())
	victim := startWorkerNode(t, bin, join, "wn-victim", "--concurrency", "2")
	stable := startWorkerNode(t, bin, join, "wn-stable", "--concurrency", "2")
	waitJoined(t, victim, 1)
	waitJoined(t, stable, 1)

	const n = 8
	submitMany(t, db, n, "sleep", map[string]float64{"seconds": 1}, nil)
	running := `SELECT count(*) FROM jobs WHERE worker_id = 'wn-victim' AND status = 'running'`
	waitQuery(t, db, testTimeout, "a job running on the victim", func(v int) bool { return v > 0 }, running)
	killed := victim.kill9(t)
	waitQuery(t, db, heartbeatTimeout+2*time.Second, "the victim's attempts failed", func(v int) bool { return v == 0 }, running)
	require.Less(t, time.Since(killed), heartbeatTimeout+2*time.Second)

	waitStats(t, bin, db, testTimeout, "every job", func(st gigq.Stats) bool { return st.Completed == n })
	requireExactlyOnce(t, db, n)
	conn := openRO(t, db)
	lost := queryInt(t, conn, `SELECT count(*) FROM job_executions WHERE worker_id = 'wn-victim' AND status = 'failed'
		AND error LIKE '%node wn-victim lost%'`)
	require.Positive(t, lost, "the victim's attempts show as failed executions")
	require.Equal(t, lost, queryInt(t, conn, `SELECT count(*) FROM job_executions WHERE worker_id = 'wn-victim' AND status != 'completed'`),
		"every attempt of the victim that did not complete failed with node lost")
	require.Equal(t, 0, queryInt(t, conn, `SELECT count(*) FROM jobs WHERE worker_id = 'wn-victim' AND id IN
		(SELECT job_id FROM job_executions WHERE worker_id = 'wn-victim' AND status = 'failed')`),
		"a job whose attempt was lost completed on the other node")
}

// TestRemoteCLISecret: a worker node with a wrong secret is refused and
// exits 1 saying so, one with the right secret (from the environment)
// joins, and the secret is never printed. A primary on a non-loopback
// address without a secret refuses to start.
func TestRemoteCLISecret(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	const secret = "5d2b8e0f4a6c1e3b7d9f2a4c6e8b0d1f" // openssl rand -hex 16
	primary, join := startPrimary(t, bin, db, "127.0.0.1:0", "--concurrency", "0", "--remote-secret", secret)

	bad := startWorkerNode(t, bin, join, "wn-bad", "--remote-secret", "not-the-primary-secret-0123456789")
	good := startProcWith(t, []string{envRemoteSecret + "=" + secret}, bin, "worker", "--join", join, "--worker-id", "wn-good",
		"--log-format", "json", "--log-level", "info")
	require.Equal(t, 1, bad.wait(t, testTimeout), "stderr:\n%s", bad.stderr.String())
	require.Contains(t, bad.stderr.String(), "wrong secret")
	waitJoined(t, good, 1)
	id := binSubmit(t, bin, db, "echo")
	waitStats(t, bin, db, testTimeout, "the echo job", func(st gigq.Stats) bool { return st.Completed == 1 })
	require.Equal(t, "wn-good", binStatus(t, bin, db, id).WorkerID)
	stopProc(t, good)
	stopProc(t, primary)
	for _, p := range []*proc{primary, good, bad} {
		require.NotContains(t, p.stderr.String(), secret, "%v printed the secret", p.cmd.Args)
	}

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "node", "--db", newDB(t), "--http", "127.0.0.1:0", "--concurrency", "0",
		"--remote-listen", "0.0.0.0:0", "--remote-advertise", "127.0.0.1:7420")
	cmd.Env = withoutEnv(envRemoteSecret)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "a public primary without a secret must not start: %s", out)
	require.NotZero(t, ee.ExitCode())
	require.Contains(t, string(out), "without a secret")
}

// TestRemoteCLIPrimaryRestart: the primary dies (kill -9) while worker
// nodes run its jobs and starts again on the same address and database:
// the worker nodes join again and every job completes exactly once.
func TestRemoteCLIPrimaryRestart(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	primary, join, w1, w2 := startTwoNodes(t, bin, db, "2")

	const n = 6
	submitMany(t, db, n, "sleep", map[string]float64{"seconds": 1.5}, nil)
	waitStats(t, bin, db, testTimeout, "4 jobs running", func(st gigq.Stats) bool { return st.Running == 4 })
	primary.kill9(t)
	_, again := startPrimary(t, bin, db, join, "--concurrency", "0")
	require.Equal(t, join, again)
	waitJoined(t, w1, 2)
	waitJoined(t, w2, 2)

	waitStats(t, bin, db, testTimeout, "every job", func(st gigq.Stats) bool { return st.Completed == n })
	requireExactlyOnce(t, db, n)
	conn := openRO(t, db)
	require.Equal(t, n, queryInt(t, conn, `SELECT count(*) FROM job_executions`),
		"the attempts running during the restart were kept, not run again")
}

// TestRemoteCLITLS: a primary and a worker node with TLS certificates run
// jobs; a worker node without TLS never joins.
func TestRemoteCLITLS(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	db := newDB(t)
	certs := writeTestCerts(t)
	tlsArgs := []string{"--remote-tls-cert", certs.cert, "--remote-tls-key", certs.key, "--remote-tls-ca", certs.ca}
	_, join := startPrimary(t, bin, db, "127.0.0.1:0", append([]string{"--concurrency", "0"}, tlsArgs...)...)
	plainStart := time.Now()
	plain := startWorkerNode(t, bin, join, "wn-plain")
	secure := startWorkerNode(t, bin, join, "wn-tls", append([]string{"--concurrency", "2"}, tlsArgs...)...)
	waitJoined(t, secure, 1)

	ids := submitMany(t, db, 4, "echo", nil, nil)
	waitStats(t, bin, db, testTimeout, "the jobs", func(st gigq.Stats) bool { return st.Completed == len(ids) })
	conn := openRO(t, db)
	require.Equal(t, len(ids), queryInt(t, conn, `SELECT count(*) FROM jobs WHERE worker_id = 'wn-tls'`))

	for time.Since(plainStart) < 3*time.Second {
		require.Zero(t, countLog(plain, "joined primary"), "a worker node without TLS joined a TLS primary")
		select {
		case <-plain.done:
			t.Fatalf("the worker node without TLS exited: %v; stderr:\n%s", plain.err, plain.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.Zero(t, countLog(plain, "joined primary"), "a worker node without TLS joined a TLS primary")
}

// TestRemoteCLIUsageErrors: the remote flags outside their mode are usage
// errors that name the flag.
func TestRemoteCLIUsageErrors(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "--remote-secret", "x"}, "--remote-secret needs --remote-listen"},
		{[]string{"node", "--remote-heartbeat-timeout", "3s"}, "--remote-heartbeat-timeout needs --remote-listen"},
		{[]string{"node", "--remote-advertise", "127.0.0.1:1"}, "--remote-advertise needs --remote-listen"},
		{[]string{"node", "--concurrency", "0"}, "--concurrency 0"},
		{[]string{"node", "--remote-listen", "nope"}, "--remote-listen"},
		{[]string{"node", "--remote-listen", "127.0.0.1:0", "--remote-tls-key", "k.pem"}, "--remote-tls-key needs --remote-tls-cert"},
		{[]string{"worker", "--listen", "127.0.0.1:0"}, "--listen needs --join"},
		{[]string{"worker", "--remote-tls-cert", "c.pem"}, "--remote-tls-cert needs --join"},
		{[]string{"worker", "--join", "127.0.0.1:1", "--once"}, "--once does not go with --join"},
		{[]string{"worker", "--join", "127.0.0.1:1", "--lease", "20s"}, "--lease does not go with --join"},
		{[]string{"worker", "--join", "nope"}, "--join"},
		{[]string{"worker", "--join", "127.0.0.1:1", "--grace", "0s"}, "--grace"},
	} {
		r := runCLI(t, tc.args...) // each fails before opening any database
		require.Equal(t, exitUsage, r.code, "%v: stdout %q stderr %q", tc.args, r.stdout, r.stderr)
		require.Contains(t, r.stderr, tc.want, tc.args)
	}
	r := runCLI(t, "worker", "--join", "127.0.0.1:1", "--db", db)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--db does not go with --join")
}

// withoutEnv is the environment without the variable name.
func withoutEnv(name string) []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
}

// testCerts are PEM files: a CA, and a certificate it signed for
// 127.0.0.1 (server and client use), with its key.
type testCerts struct{ ca, cert, key string }

func writeTestCerts(t *testing.T) testCerts {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gigq test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	c := testCerts{ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	for path, block := range map[string]*pem.Block{
		c.ca:   {Type: "CERTIFICATE", Bytes: caDER},
		c.cert: {Type: "CERTIFICATE", Bytes: der},
		c.key:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	}
	return c
}
