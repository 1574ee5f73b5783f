package main

import (
	"net"
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
	if !cmd.Flags().Changed("remote-secret") {
		rf.secret = a.getenv(envRemoteSecret)
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
