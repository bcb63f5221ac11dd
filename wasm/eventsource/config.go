package eventsource

import (
	"math"
	"strconv"
	"time"

	"github.com/sseshim/sseshim/wasm/sse"
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

// The defaults, defined once. Every zero value in Config, Ping and Retry
// means the default below (or, for MaxEventSize, the wire format's own,
// sse.DefaultMaxEventSize); resolve applies them, and the JavaScript shim
// sends only what its user set, so both languages share these.
const (
	// DefaultReconnectionTime is the reconnection time before a server sets
	// one with a retry field. The spec leaves it to the user agent
	// (#concept-event-stream-reconnection-time); Chromium uses three seconds.
	DefaultReconnectionTime = 3 * time.Second
	// DefaultPingLeeway is added to the ping interval before the watchdog
	// gives up: what Disruptive Technologies' own client allows.
	DefaultPingLeeway = 2 * time.Second
	// DefaultPingParam is the query parameter that asks the server to ping.
	DefaultPingParam = "ping_interval"
	// DefaultPingEventType is the type of ping events.
	DefaultPingEventType = "ping"
	// MinReconnectDelay is the least wait before a reconnect without a Retry
	// policy, whatever the server's retry field says: a server that sends
	// "retry: 0" and closes must not get a tight loop. The spec lets a user
	// agent wait longer than the reconnection time (#sse-processing-model).
	MinReconnectDelay = 250 * time.Millisecond
	// DefaultRetryInitial is a Retry policy's floor under the delay.
	DefaultRetryInitial = time.Second
	// DefaultRetryMax caps the backoff delay.
	DefaultRetryMax = time.Minute
	// DefaultRetryFactor grows the delay after each consecutive failure.
	DefaultRetryFactor = 2.0
	// DefaultHealthyAfter: a connection that carried an event and stayed
	// open this long was healthy, and resets the count of failed attempts.
	DefaultHealthyAfter = 30 * time.Second
	// DefaultConnectTimeout bounds the connection phase (the headers
	// function, the request, the response's headers) when a Ping or Retry
	// policy is set.
	DefaultConnectTimeout = 30 * time.Second
	// DefaultImmediateAfter: a connection that lasted this long and then
	// ended cleanly was a scheduled disconnect (an hourly token expiry), not
	// a failure.
	DefaultImmediateAfter = 10 * time.Minute
	// DefaultLastEventIDParam is the query parameter that carries the last
	// event ID when a cross-origin server refuses the Last-Event-ID header.
	DefaultLastEventIDParam = "lastEventId"
	// DefaultDedupe is how many ids de-duplication remembers when asked for
	// without a count (JavaScript's dedupe: true).
	DefaultDedupe = 1000
	// MaxDedupe and MaxDuration bound what a configuration may ask for.
	MaxDedupe   = 1 << 20
	MaxDuration = 365 * 24 * time.Hour
	// Off, for a duration option whose zero value is a default, turns it off.
	Off time.Duration = -1
)

// DefaultEventTypePath and DefaultIDPath are where an NDJSON event carries
// its type and id, as Disruptive Technologies' events do.
var (
	DefaultEventTypePath = []string{"eventType"}
	DefaultIDPath        = []string{"eventId"}
)

// Config describes one event source. The zero value of every field but URL
// means its default, and with all extensions at their zero values the source
// behaves exactly as the spec's processing model says (#sse-processing-model).
type Config struct {
	// URL is the absolute URL of the stream.
	URL string
	// WithCredentials asks the transport to send credentials cross-origin
	// (the fetch transport's credentials mode "include").
	WithCredentials bool
	// LastEventID is the last event ID to resume from on the first request.
	LastEventID string
	// LastEventIDParam is the fallback for cross-origin servers whose CORS
	// policy does not allow the Last-Event-ID header (the browser's own
	// EventSource sends it without asking; a fetch must ask first). When a
	// reconnect that sends the header is refused as futile (ErrFutile) and
	// an earlier request of the source was allowed, the source retries at
	// once without the header and with the id in this query parameter, and
	// keeps doing so. Empty means DefaultLastEventIDParam; "-" turns the
	// fallback off.
	LastEventIDParam string
	// HeaderBytesAsUTF8 says that the transport sends a header value's
	// characters U+0080–U+00FF as UTF-8 rather than as the bytes they
	// stand for (WebKit's fetch), so that no header can carry a non-ASCII
	// last event ID's UTF-8 bytes as they are. Such an ID then goes in the
	// LastEventIDParam query parameter instead, unless that is "-".
	HeaderBytesAsUTF8 bool

	// Method is the request method; empty means GET. Any other method needs
	// a server that answers it with a stream (a chat completion, a query).
	Method string
	// Body is the request body sent with every attempt (and again with each
	// reconnect, with Last-Event-ID); nil for none. The net/http transport
	// takes a []byte or a string; the fetch transport whatever fetch()
	// takes. A body with GET or HEAD is a configuration error.
	Body any
	// BodyFunc, when set, is called before every attempt; what it returns
	// replaces Body. An error counts as a failed attempt.
	BodyFunc func(ctx Ctx) (any, error)

	// Header holds extra request headers sent with every attempt.
	Header map[string]string
	// HeaderFunc, when set, is called before every attempt (token refresh);
	// what it returns is added over Header. An error counts as a failed
	// attempt. It must return promptly once ctx is done.
	HeaderFunc func(ctx Ctx) (map[string]string, error)

	// Format is how the body is read; zero means FormatSSE.
	Format Format
	// EventTypePath is where an NDJSON event carries its type, relative to
	// the unwrapped event; nil means DefaultEventTypePath.
	EventTypePath []string
	// IDPath is where an NDJSON event carries its id; nil means DefaultIDPath.
	IDPath []string

	// Ping configures the dead-connection watchdog; off unless Ping.Interval
	// is set.
	Ping Ping
	// Retry is the reconnection policy. Nil follows the spec: wait the
	// reconnection time before every reconnect, forever. A non-nil Retry,
	// even &Retry{}, turns on backoff with the defaults documented there.
	Retry *Retry
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
	// MaxEventSize caps one event or NDJSON line in bytes, its event type
	// and last event ID included; zero means sse.DefaultMaxEventSize. An event
	// over the cap closes the source with an error.
	MaxEventSize int
	// ConnectTimeout bounds the connection phase: from the start of an
	// attempt (the header function included) to the response's headers. A
	// timeout is a failed attempt. Zero means DefaultConnectTimeout when Ping
	// or Retry is set, and none otherwise (the spec's behaviour); Off turns
	// it off.
	ConnectTimeout time.Duration

	// Once reads one stream and never reconnects: its end, or its failure,
	// fails the connection. With a Transport that hands over a stream that
	// is already open (EventSource.fromReadableStream), URL need not be an
	// http(s) URL ("about:event-stream").
	Once bool

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
	// zero means DefaultPingLeeway, Off none.
	Leeway time.Duration
	// Param is the query parameter that asks for pings; empty means
	// DefaultPingParam, "-" sends none. Its value is the interval as "10s".
	Param string
	// EventType is the type of ping events; empty means DefaultPingEventType.
	// A message whose data is an envelope of an event of this type (as
	// Disruptive Technologies sends pings over text/event-stream) is a ping
	// too.
	EventType string
	// RequireEvent makes only ping events (not any bytes) keep the
	// connection alive.
	RequireEvent bool
	// Dispatch also delivers ping events as ordinary events.
	Dispatch bool
}

// Retry is a reconnection policy: exponential backoff from the reconnection
// time, between a floor and a ceiling whatever the server's retry field
// says, reset by a healthy connection.
type Retry struct {
	// Initial is the floor under every delay; zero means
	// DefaultRetryInitial. When set, it is also the initial reconnection
	// time (until the server's retry field replaces it).
	Initial time.Duration
	// Max caps the delay; zero means DefaultRetryMax. (A Retry-After header
	// on a retryable status is still honoured.)
	Max time.Duration
	// Factor multiplies the delay after each consecutive failure; zero means
	// DefaultRetryFactor.
	Factor float64
	// Jitter is the fraction of each delay that is randomised away (0–1);
	// zero means none.
	Jitter float64
	// MaxAttempts closes the source with an error after this many consecutive
	// failed attempts; zero means no limit.
	MaxAttempts int
	// HealthyAfter: a connection that carried an event and stayed open this
	// long was healthy and resets the count of failed attempts (and so the
	// backoff); zero means DefaultHealthyAfter. A server that connects,
	// sends a little and closes is failing, not healthy.
	HealthyAfter time.Duration
	// ImmediateAfter: a connection that was open at least this long and then
	// ended cleanly (a service's scheduled disconnect) reconnects at once and
	// does not count as a failure. Zero means DefaultImmediateAfter; Off
	// turns it off.
	ImmediateAfter time.Duration
	// Random returns numbers in [0, 1) for jitter; nil means math/rand/v2.
	Random func() float64
}

// resolve validates c and returns it with every default applied: the one
// place where a zero value becomes its meaning.
func (c Config) resolve() (Config, error) {
	if msg := c.apply(); msg != "" {
		return c, &Error{Kind: KindConfig, Message: msg}
	}
	return c, nil
}

// apply validates c and applies the defaults, in place; it returns what is
// wrong with c, or "".
func (c *Config) apply() string {
	if !isHTTPURL(c.URL) && !(c.Once && c.Transport != nil) {
		return "URL must be an absolute http or https URL: " + quote(c.URL)
	}
	c.Method = asciiCase(c.Method, 'a', 'z') // a method is a token: ASCII only
	switch c.Method {
	case "":
		c.Method = "GET"
	case "CONNECT", "TRACE", "TRACK":
		return "method " + c.Method + " is forbidden"
	}
	if (c.Body != nil || c.BodyFunc != nil) && (c.Method == "GET" || c.Method == "HEAD") {
		return "a body needs a method other than GET or HEAD"
	}
	switch c.Format {
	case "":
		c.Format = FormatSSE
	case FormatSSE, FormatNDJSON, FormatAuto:
	default:
		return "unknown format " + quote(string(c.Format))
	}
	switch {
	case c.ReconnectionTime < 0:
		return "ReconnectionTime must not be negative"
	case c.MaxEventSize < 0 || c.Dedupe < 0:
		return "MaxEventSize and Dedupe must not be negative"
	case c.ConnectTimeout < 0 && c.ConnectTimeout != Off:
		return "ConnectTimeout must not be negative"
	case c.Ping.Interval < 0 || (c.Ping.Leeway < 0 && c.Ping.Leeway != Off):
		return "Ping durations must not be negative"
	case c.Dedupe > MaxDedupe:
		return "Dedupe must be at most " + strconv.Itoa(MaxDedupe)
	case c.ReconnectionTime > MaxDuration || c.ConnectTimeout > MaxDuration ||
		c.Ping.Interval > MaxDuration || c.Ping.Leeway > MaxDuration:
		return "durations must be at most a year"
	}
	if c.ReconnectionTime == 0 {
		c.ReconnectionTime = DefaultReconnectionTime
	}
	if c.MaxEventSize == 0 {
		c.MaxEventSize = sse.DefaultMaxEventSize
	}
	if c.EventTypePath == nil {
		c.EventTypePath = DefaultEventTypePath
	}
	if c.IDPath == nil {
		c.IDPath = DefaultIDPath
	}
	if c.ConnectTimeout == 0 && (c.Retry != nil || c.Ping.Interval > 0) {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.LastEventIDParam == "" {
		c.LastEventIDParam = DefaultLastEventIDParam
	}
	switch c.Ping.Leeway {
	case 0:
		c.Ping.Leeway = DefaultPingLeeway
	case Off:
		c.Ping.Leeway = 0
	}
	if c.Ping.Param == "" {
		c.Ping.Param = DefaultPingParam
	}
	if c.Ping.EventType == "" {
		c.Ping.EventType = DefaultPingEventType
	}
	if c.Retry != nil {
		r := *c.Retry // a copy: the caller's policy is not changed
		switch {
		case r.Initial < 0 || r.Max < 0 || r.HealthyAfter < 0 || (r.ImmediateAfter < 0 && r.ImmediateAfter != Off):
			return "Retry durations must not be negative"
		case r.Factor != 0 && (r.Factor < 1 || math.IsInf(r.Factor, 0) || math.IsNaN(r.Factor)):
			return "Retry.Factor must be at least 1"
		case r.Jitter < 0 || r.Jitter > 1 || math.IsNaN(r.Jitter):
			return "Retry.Jitter must be between 0 and 1"
		case r.MaxAttempts < 0:
			return "Retry.MaxAttempts must not be negative"
		case r.Initial > MaxDuration || r.Max > MaxDuration || r.HealthyAfter > MaxDuration || r.ImmediateAfter > MaxDuration:
			return "Retry durations must be at most a year"
		}
		if r.Initial > 0 {
			c.ReconnectionTime = r.Initial
		} else {
			r.Initial = DefaultRetryInitial
		}
		if r.Max == 0 {
			r.Max = DefaultRetryMax
		}
		if r.Max < r.Initial {
			return "Retry.Max must not be less than Retry.Initial"
		}
		if r.HealthyAfter == 0 {
			r.HealthyAfter = DefaultHealthyAfter
		}
		if r.Factor == 0 {
			r.Factor = DefaultRetryFactor
		}
		if r.ImmediateAfter == 0 {
			r.ImmediateAfter = DefaultImmediateAfter
		}
		c.Retry = &r
	}
	return ""
}

// pingType is the event type the watchdog consumes, or "" when pings are
// ordinary events: with the watchdog on, and always for NDJSON, whose
// envelopes mark pings as such.
func (c *Config) pingType(f Format) string {
	if c.Ping.Interval > 0 || f == FormatNDJSON {
		return c.Ping.EventType
	}
	return ""
}
