package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/gigq-go/gigq"
)

// backoffFlags are submit's retry backoff flags:
//
//	--backoff-base 1s [--backoff-factor 2] [--backoff-max 5m] [--backoff-jitter 0.1]
//
// register adds them to a command and checks them before it runs (usage
// errors exit 2); policy is then the job's *gigq.Backoff (nil when
// --backoff-base is not given). submit.go uses it in three places: a
// `backoff backoffFlags` variable, `backoff.register(cmd)` after the
// flags, and `Backoff: backoff.policy` in the SubmitOpts.
type backoffFlags struct {
	base, max      time.Duration
	factor, jitter float64
	policy         *gigq.Backoff
}

const backoffHelp = `

With --backoff-base 1s the retries of a failed attempt wait an exponential
backoff instead of --retry-delay: base, then base*factor, base*factor^2 …
(--backoff-factor, default 2), at most --backoff-max (default: no cap),
with up to --backoff-jitter (0 to 1, default 0) of each delay taken off at
random so that jobs that failed together do not retry together.`

// register adds the flags to cmd, its help to cmd's Long text, and a check
// before cmd runs that sets b.policy.
func (b *backoffFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.DurationVar(&b.base, "backoff-base", 0, "retry with an exponential backoff starting at this delay, e.g. 1s (instead of --retry-delay)")
	f.Float64Var(&b.factor, "backoff-factor", gigq.DefaultBackoffFactor, "with --backoff-base: each retry's delay is the last one's times this (at least 1)")
	f.DurationVar(&b.max, "backoff-max", 0, "with --backoff-base: the longest delay, e.g. 10m (default: no cap)")
	f.Float64Var(&b.jitter, "backoff-jitter", 0, "with --backoff-base: the fraction of each delay taken off at random, 0 to 1")
	cmd.Long += backoffHelp
	next := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := b.check(cmd); err != nil {
			return err
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

// check validates the flags, as usage errors, and sets b.policy.
func (b *backoffFlags) check(cmd *cobra.Command) error {
	f := cmd.Flags()
	b.policy = nil
	if !f.Changed("backoff-base") {
		for _, name := range []string{"backoff-factor", "backoff-max", "backoff-jitter"} {
			if f.Changed(name) {
				return usageErrorf("--%s needs --backoff-base", name)
			}
		}
		return nil
	}
	switch {
	case b.base <= 0:
		return usageErrorf("invalid --backoff-base %s: must be positive, e.g. 1s", b.base)
	case b.factor < 1 || b.factor != b.factor || b.factor > 1e6:
		return usageErrorf("invalid --backoff-factor %v: must be at least 1 (1: a constant delay)", b.factor)
	case b.max < 0:
		return usageErrorf("invalid --backoff-max %s: must not be negative", b.max)
	case b.max > 0 && b.max < b.base:
		return usageErrorf("invalid --backoff-max %s: must not be below --backoff-base %s", b.max, b.base)
	case b.jitter < 0 || b.jitter > 1 || b.jitter != b.jitter:
		return usageErrorf("invalid --backoff-jitter %v: must be between 0 and 1", b.jitter)
	}
	if rd := f.Lookup("retry-delay"); rd != nil && rd.Changed && rd.Value.String() != "0" {
		return usageErrorf("--backoff-base and --retry-delay do not go together: give one")
	}
	p := gigq.Backoff{Base: b.base, Factor: b.factor, Max: b.max, Jitter: b.jitter}
	if err := p.Validate(); err != nil {
		return usageErrorf("invalid backoff: %v", err)
	}
	b.policy = &p
	return nil
}
