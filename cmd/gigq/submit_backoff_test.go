package main

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// runBackoffFlags runs a command with submit's --retry-delay and the backoff
// flags on args and returns the policy the command saw.
func runBackoffFlags(t *testing.T, args ...string) (*gigq.Backoff, error) {
	t.Helper()
	var (
		b     backoffFlags
		seen  *gigq.Backoff
		delay float64
	)
	cmd := &cobra.Command{Use: "submit", RunE: func(*cobra.Command, []string) error { seen = b.policy; return nil }}
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.Flags().Float64Var(&delay, "retry-delay", 0, "")
	b.register(cmd)
	require.Contains(t, cmd.Long, "--backoff-base 1s")
	return seen, cmd.Execute()
}

func TestSubmitBackoffFlags(t *testing.T) {
	t.Parallel()
	p, err := runBackoffFlags(t)
	require.NoError(t, err)
	require.Nil(t, p, "no --backoff-base: no policy (the fixed retry delay)")

	p, err = runBackoffFlags(t, "--backoff-base", "500ms")
	require.NoError(t, err)
	require.Equal(t, &gigq.Backoff{Base: 500 * time.Millisecond, Factor: 2}, p)

	p, err = runBackoffFlags(t, "--backoff-base", "1s", "--backoff-factor", "3", "--backoff-max", "1m", "--backoff-jitter", "0.25", "--retry-delay", "0")
	require.NoError(t, err)
	require.Equal(t, &gigq.Backoff{Base: time.Second, Factor: 3, Max: time.Minute, Jitter: 0.25}, p)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--backoff-factor", "3"}, "--backoff-factor needs --backoff-base"},
		{[]string{"--backoff-jitter", "0.1"}, "--backoff-jitter needs --backoff-base"},
		{[]string{"--backoff-base", "0s"}, "invalid --backoff-base"},
		{[]string{"--backoff-base", "-1s"}, "invalid --backoff-base"},
		{[]string{"--backoff-base", "1s", "--backoff-factor", "0.5"}, "invalid --backoff-factor"},
		{[]string{"--backoff-base", "1s", "--backoff-max", "10ms"}, "must not be below --backoff-base"},
		{[]string{"--backoff-base", "1s", "--backoff-jitter", "2"}, "invalid --backoff-jitter"},
		{[]string{"--backoff-base", "1s", "--retry-delay", "1.5"}, "do not go together"},
	} {
		_, err := runBackoffFlags(t, tc.args...)
		var ee *exitError
		require.True(t, errors.As(err, &ee), "%v: %v", tc.args, err)
		require.Equal(t, exitUsage, ee.code, "%v", tc.args)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
}
