package main

import (
	"encoding/json"

	"github.com/spf13/pflag"

	"github.com/gigq-go/gigq"
)

// jobFlags are the flags that describe a job, shared by submit and
// schedule add (a schedule's job template).
type jobFlags struct {
	name        string
	params      []string
	priority    int
	maxAttempts int
	timeout     float64
	retryDelay  float64
	description string
}

// register adds the flags; nameHelp describes --name's default.
func (jf *jobFlags) register(f *pflag.FlagSet, nameHelp string) {
	f.StringVar(&jf.name, "name", "", nameHelp)
	f.StringArrayVarP(&jf.params, "param", "p", nil, "job parameter key=value, repeatable; the value is JSON when valid, else a string")
	f.IntVar(&jf.priority, "priority", 0, "priority: higher runs first")
	f.IntVar(&jf.maxAttempts, "max-attempts", gigq.DefaultMaxAttempts, "attempts before the job fails for good")
	f.Float64Var(&jf.timeout, "timeout", gigq.DefaultTimeout.Seconds(), "timeout of one attempt, in seconds")
	f.Float64Var(&jf.retryDelay, "retry-delay", 0, "delay before a failed attempt is retried, in seconds")
	f.StringVar(&jf.description, "description", "", "free text")
}

// parse checks the flags and returns the params and the job's options
// (usage errors for bad values).
func (jf *jobFlags) parse() (map[string]json.RawMessage, *gigq.SubmitOpts, error) {
	p, err := parseParams(jf.params)
	if err != nil {
		return nil, nil, err
	}
	if jf.maxAttempts < 1 {
		return nil, nil, usageErrorf("invalid --max-attempts %d: must be at least 1", jf.maxAttempts)
	}
	to, err := secondsFlag("timeout", jf.timeout, false)
	if err != nil {
		return nil, nil, err
	}
	rd, err := secondsFlag("retry-delay", jf.retryDelay, true)
	if err != nil {
		return nil, nil, err
	}
	return p, &gigq.SubmitOpts{Name: jf.name, Priority: jf.priority, MaxAttempts: jf.maxAttempts, Timeout: to,
		RetryDelay: rd, Description: jf.description}, nil
}
