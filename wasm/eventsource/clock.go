package eventsource

import "time"

// Clock is the engine's only source of time, so that tests can drive it.
type Clock interface {
	Now() Instant
	// AfterFunc calls f in its own goroutine once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// Instant is a reading of a Clock (InstantOf makes one from a time.Time).
// The engine's types hold Instants rather than time.Times because every type
// reachable from an interface keeps its String and GoString methods in the
// wasm binary, and time.Time's bring time's layout formatting and time zone
// tables with them.
type Instant struct {
	mono time.Duration // since origin, monotonic where t had a monotonic reading
	wall int64         // Unix nanoseconds; 0 for the zero Instant
}

// origin is the zero of Instant's monotonic scale.
var origin = time.Now()

// InstantOf returns t as an Instant.
func InstantOf(t time.Time) Instant { return Instant{mono: t.Sub(origin), wall: t.UnixNano()} }

// Sub returns t-u, from the monotonic readings when both had one (as
// time.Time.Sub), so that wall-clock changes do not move the watchdog.
func (t Instant) Sub(u Instant) time.Duration { return t.mono - u.mono }

// IsZero reports whether t is the zero Instant, which no clock returns.
func (t Instant) IsZero() bool { return t == Instant{} }

// UnixNano returns t in nanoseconds since the Unix epoch.
func (t Instant) UnixNano() int64 { return t.wall }

// UnixMilli returns t in milliseconds since the Unix epoch.
func (t Instant) UnixMilli() int64 { return t.wall / int64(time.Millisecond) }

type realClock struct{}

func (realClock) Now() Instant { return InstantOf(time.Now()) }

// AfterFunc returns the timer's Stop alone, not the *time.Timer, whose
// channel of time.Time would bring time.Time's methods back (see Instant).
func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return stopFunc(time.AfterFunc(d, f).Stop)
}

type stopFunc func() bool

func (f stopFunc) Stop() bool { return f() }
