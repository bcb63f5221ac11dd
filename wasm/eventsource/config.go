package eventsource

import (
	"context"
	"time"
)

// Format selects how the response body is read.
type Format string

const (
	// FormatSSE reads text/event-stream, as the browser's EventSource does.
	FormatSSE Format = "sse"
	// FormatNDJSON reads one JSON value per line; envelopes such as
	// {"result":{"event":{...}}} and {"error":{...}} are unwrapped.
	FormatNDJSON Format = "ndjson"
	// FormatAuto asks for either and reads what the response's Content-Type says.
	FormatAuto Format = "auto"
)

// DefaultReconnectionTime is the reconnection time before a server sets one
// with a retry field. HTML §9.2.2 leaves it to the user agent; Chromium uses
// three seconds.
const DefaultReconnectionTime = 3 * time.Second

// Config describes one event source. The zero value of every field but URL
// is a documented default, and with all extensions at their zero values the
// source behaves exactly as HTML §9.2 specifies.
type Config struct {
	// URL is the absolute URL of the stream.
	URL string
	// WithCredentials asks the transport to send credentials cross-origin
	// (the fetch transport's credentials mode "include").
	WithCredentials bool
	// LastEventID is the last event ID to resume from on the first request.
	LastEventID string

	// Header holds extra request headers sent with every attempt.
	Header map[string]string
	// HeaderFunc, when set, is called before every attempt (token refresh);
	// what it returns is added over Header. An error counts as a failed attempt.
	HeaderFunc func(ctx context.Context) (map[string]string, error)

	// Format is how the body is read; empty means FormatSSE.
	Format Format
	// EventTypePath is where an NDJSON event carries its type, relative to
	// the unwrapped event; nil means {"eventType"}.
	EventTypePath []string
	// IDPath is where an NDJSON event carries its id; nil means {"eventId"}.
	IDPath []string

	// Ping configures the dead-connection watchdog; off by default.
	Ping Ping
	// Retry configures backoff; with its zero value the source waits the
	// reconnection time before every reconnect, forever, as the spec says.
	Retry Retry
	// RetryStatuses lists HTTP statuses that reconnect instead of failing the
	// connection for good (for example 429, 502, 503, 504). Retry-After is
	// honoured for them. 408 among them reconnects at once.
	RetryStatuses []int
	// Dedupe, when positive, drops events whose id was among the last Dedupe
	// ids seen, for streams that replay after a reconnect.
	Dedupe int

	// ReconnectionTime is the initial reconnection time; zero means
	// DefaultReconnectionTime. A retry field from the server replaces it.
	ReconnectionTime time.Duration
	// MaxEventSize caps one event or NDJSON line; zero means 16 MiB. An
	// event over the cap closes the source with an error.
	MaxEventSize int

	// Transport opens requests; nil means the net/http transport (not
	// available when compiled for js/wasm, where it must be set).
	Transport Transport
	// Clock is the time source; nil means the real clock.
	Clock Clock
}

// Ping configures the watchdog for streams that send keep-alive pings.
type Ping struct {
	// Interval is how often the server is asked to ping; zero turns the
	// watchdog off.
	Interval time.Duration
	// Leeway is added to Interval before the connection counts as dead;
	// zero means two seconds.
	Leeway time.Duration
	// Param is the query parameter that asks for pings; empty means
	// "ping_interval", "-" sends none. Its value is the interval as "10s".
	Param string
	// EventType is the type of ping events; empty means "ping".
	EventType string
	// RequireEvent makes only ping events (not any bytes) keep the
	// connection alive.
	RequireEvent bool
	// Dispatch also delivers ping events as ordinary events.
	Dispatch bool
}

// Retry configures reconnection backoff. Backoff is on when Max is positive.
type Retry struct {
	// Max caps the delay; zero turns backoff off.
	Max time.Duration
	// Factor multiplies the delay after each consecutive failure; zero means 2.
	Factor float64
	// Jitter is the fraction of each delay that is randomised away (0–1).
	Jitter float64
	// MaxAttempts closes the source with an error after this many consecutive
	// failed attempts; zero means no limit.
	MaxAttempts int
	// ImmediateAfter: a connection that was open at least this long and then
	// ended cleanly (a service's scheduled disconnect) reconnects at once and
	// does not count as a failure. Zero turns this off.
	ImmediateAfter time.Duration
	// Random returns numbers in [0, 1) for jitter; nil means math/rand/v2.
	Random func() float64
}

func (c *Config) pingType(f Format) string {
	switch {
	case c.Ping.EventType != "":
		return c.Ping.EventType
	case c.Ping.Interval > 0 || f == FormatNDJSON:
		return "ping"
	}
	return ""
}

func (c *Config) pingLeeway() time.Duration {
	if c.Ping.Leeway > 0 {
		return c.Ping.Leeway
	}
	return 2 * time.Second
}
