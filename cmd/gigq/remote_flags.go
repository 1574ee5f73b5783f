package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gigq-go/gigq"
)

// envRemoteSecret names the environment variable read when --remote-secret
// is not given.
const envRemoteSecret = "GIGQ_REMOTE_SECRET"

// remoteFlags are the flags a primary (gigq node --remote-listen) and its
// worker nodes (gigq worker --join) share: the join secret and the
// transport's TLS files. The secret is never printed.
type remoteFlags struct {
	secret  string
	tlsCert string
	tlsKey  string
	tlsCA   string
}

func (rf *remoteFlags) register(f *pflag.FlagSet) {
	f.StringVar(&rf.secret, "remote-secret", "",
		"secret shared by the primary and its worker nodes (env "+envRemoteSecret+" when --remote-secret is not given)")
	f.StringVar(&rf.tlsCert, "remote-tls-cert", "", "PEM certificate for the primary-worker node transport (with --remote-tls-key)")
	f.StringVar(&rf.tlsKey, "remote-tls-key", "", "PEM key of --remote-tls-cert")
	f.StringVar(&rf.tlsCA, "remote-tls-ca", "",
		"PEM CA that verifies the other side's certificate; also requires one from each peer (mutual TLS)")
}

// names are the flags register adds, for "only with ..." checks.
func (*remoteFlags) names() []string {
	return []string{"remote-secret", "remote-tls-cert", "remote-tls-key", "remote-tls-ca"}
}

// resolve reads the secret from the environment when --remote-secret was
// not given, and checks that the TLS flags come together.
func (rf *remoteFlags) resolve(a *app, cmd *cobra.Command) error {
	source := "--remote-secret"
	if !cmd.Flags().Changed("remote-secret") {
		rf.secret, source = a.getenv(envRemoteSecret), envRemoteSecret
	}
	if source == "--remote-secret" || rf.secret != "" {
		if err := checkSecret(source, envRemoteSecret, rf.secret); err != nil {
			return err
		}
	}
	switch {
	case rf.tlsCert != "" && rf.tlsKey == "":
		return usageErrorf("--remote-tls-cert needs --remote-tls-key")
	case rf.tlsKey != "" && rf.tlsCert == "":
		return usageErrorf("--remote-tls-key needs --remote-tls-cert")
	case rf.tlsCA != "" && rf.tlsCert == "":
		return usageErrorf("--remote-tls-ca needs --remote-tls-cert and --remote-tls-key: both sides of the link present a certificate")
	}
	return nil
}

// minSecretLen is the shortest --token or --remote-secret accepted, in
// bytes (as the root package's Remote.Secret).
const minSecretLen = 16

// checkSecret refuses a token or secret that was given (a flag given, even
// empty, or its environment variable set to something) but is empty,
// blank, or shorter than minSecretLen, saying how to make one. source
// names where it came from (the flag, or env, the environment variable).
// An environment variable set to the empty string counts as not set, as
// shells treat "VAR= cmd".
func checkSecret(source, env, v string) error {
	what := fmt.Sprintf("%d bytes long: use at least %d random bytes", len(v), minSecretLen)
	switch {
	case v == "":
		what = "empty: give at least " + strconv.Itoa(minSecretLen) + " random bytes, or leave it out"
	case strings.TrimSpace(v) == "":
		what = "blank (only spaces): use at least " + strconv.Itoa(minSecretLen) + " random bytes"
	case len(v) >= minSecretLen:
		return nil
	}
	return usageErrorf("%s is %s; make one with openssl rand -hex 32, e.g. export %s=$(openssl rand -hex 32)", source, what, env)
}

// tls is the transport's TLS configuration, or nil without --remote-tls-cert.
func (rf *remoteFlags) tls() *gigq.RemoteTLS {
	if rf.tlsCert == "" {
		return nil
	}
	return &gigq.RemoteTLS{CertFile: rf.tlsCert, KeyFile: rf.tlsKey, CAFile: rf.tlsCA}
}

// onlyWith returns a usage error naming the first of flags that was given,
// as they mean something only with the flag named by with.
func onlyWith(cmd *cobra.Command, with string, flags ...string) error {
	for _, name := range flags {
		if cmd.Flags().Changed(name) {
			return usageErrorf("--%s needs %s", name, with)
		}
	}
	return nil
}

// checkHostPort returns a usage error unless v is HOST:PORT (or empty).
func checkHostPort(flag, v string) error {
	if v == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return usageErrorf("invalid --%s %q: want HOST:PORT, e.g. 10.0.0.5:7420", flag, v)
	}
	return nil
}

// positiveDuration returns a usage error unless d is positive.
func positiveDuration(flag string, d time.Duration) error {
	if d <= 0 {
		return usageErrorf("invalid --%s %s: must be positive", flag, d)
	}
	return nil
}
