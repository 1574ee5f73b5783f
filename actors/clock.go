package actors

import "time"

// Clock is the time the cron actor (and the store's schedule commands)
// read and wait on; tests replace it with a fake they advance. Other
// actors use the real time.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// AfterFunc calls f on its own goroutine once d has passed, unless
	// stop is called first; stop reports whether it prevented the call.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// realClock is the Clock of the time package.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
