package eventsource

import (
	"strconv"
	"time"
)

// ReadyState is the source's state (#dom-eventsource-readystate).
type ReadyState int

const (
	Connecting ReadyState = 0
	Open       ReadyState = 1
	Closed     ReadyState = 2
)

func (s ReadyState) String() string {
	switch s {
	case Connecting:
		return "CONNECTING"
	case Open:
		return "OPEN"
	}
	return "CLOSED"
}

// Event is one event delivered to the sink.
type Event struct {
	Type        string // "message" unless the stream named another type
	Data        string
	LastEventID string
	// Ping marks a ping the watchdog consumed; it is delivered only so that
	// the sink can report it, and is not a message unless Ping.Dispatch is set.
	Ping bool
}

// OpenInfo describes an established connection.
type OpenInfo struct {
	URL    string // the final URL, after redirects
	Status int
	Format Format // how the body is being read
}

// Sink receives what the source does. Calls come from the source's own
// goroutine, one at a time; a sink may call Close from inside any of them.
type Sink interface {
	// Opened: readyState is now OPEN (fire "open").
	Opened(OpenInfo)
	// Events: the events parsed from one chunk, in order. The slice is reused
	// after the call returns.
	Events([]Event)
	// Failed: readyState is now state, CONNECTING when the source will
	// reconnect, CLOSED when it has given up (fire "error").
	Failed(err *Error, state ReadyState)
	// Retrying: the source will reconnect after delay.
	Retrying(delay time.Duration, attempt int)
}

// EventWriter is an optional extension of Sink for sinks that serialise
// events as they are parsed, as sseshim's JavaScript bridge does. When the
// sink implements it, the engine calls WriteEvent for each event of a chunk
// and FlushEvents once at the chunk's end, instead of Events, and decodes
// without allocating per event: ev.Data is borrowed, valid only during
// WriteEvent, and not checked for UTF-8 — the writer must copy it and decode
// it as the WHATWG UTF-8 decoder does (JavaScript's TextDecoder does).
// WriteEvent only collects: it may still be called for the chunk in hand
// after Close returns, and then DiscardEvents, never FlushEvents, follows.
// FlushEvents is the delivery, and obeys Close like every Sink call.
type EventWriter interface {
	WriteEvent(ev Event)
	FlushEvents()
	// DiscardEvents drops what was written since the last flush: the source
	// was closed before the chunk could be delivered.
	DiscardEvents()
}

// ReasonedSink is an optional extension of Sink: the engine calls
// RetryingFor instead of Retrying, with the reason Reconnect gave ("" for an
// ordinary reconnect).
type ReasonedSink interface {
	RetryingFor(delay time.Duration, attempt int, reason string)
}

// StateWriter is an optional extension of EventWriter for sinks that mirror
// the source's state: after each chunk is decoded, before FlushEvents, the
// engine reports the last event ID string and the reconnection time. It
// returns whether it has something to deliver, in which case FlushEvents
// follows even when the chunk held no event.
type StateWriter interface {
	WriteState(lastEventID string, reconnectionTime time.Duration) bool
}

// SinkFuncs adapts functions to a Sink; nil functions are skipped.
type SinkFuncs struct {
	OnOpen     func(OpenInfo)
	OnEvents   func([]Event)
	OnError    func(*Error, ReadyState)
	OnRetrying func(time.Duration, int)
}

func (f SinkFuncs) Opened(i OpenInfo) {
	if f.OnOpen != nil {
		f.OnOpen(i)
	}
}

func (f SinkFuncs) Events(evs []Event) {
	if f.OnEvents != nil {
		f.OnEvents(evs)
	}
}

func (f SinkFuncs) Failed(err *Error, s ReadyState) {
	if f.OnError != nil {
		f.OnError(err, s)
	}
}

func (f SinkFuncs) Retrying(d time.Duration, n int) {
	if f.OnRetrying != nil {
		f.OnRetrying(d, n)
	}
}

// Kind classifies errors.
type Kind string

const (
	KindNetwork     Kind = "network"      // the request failed or the body broke off
	KindEnd         Kind = "end"          // the server ended the stream
	KindStatus      Kind = "status"       // a status other than 200
	KindContentType Kind = "content-type" // a 200 with the wrong content type
	KindWatchdog    Kind = "watchdog"     // no ping within interval + leeway
	KindServer      Kind = "server"       // an in-band {"error":{...}} object
	KindTooLarge    Kind = "too-large"    // an event over the size cap
	KindLifecycle   Kind = "lifecycle"    // the page's lifecycle replaced or paused the connection (Reconnect, Pause)
	KindHeaders     Kind = "headers"      // the header function failed
	KindBody        Kind = "body"         // the body function failed
	KindTimeout     Kind = "timeout"      // no response within the connect timeout
	KindMaxAttempts Kind = "max-attempts" // too many consecutive failures
	KindConfig      Kind = "config"       // the configuration cannot work
)

// Error describes why an error event fired.
type Error struct {
	Kind    Kind
	Status  int    // the HTTP status, when there was one
	Code    int    // the in-band error code, for KindServer
	Message string // a human-readable description
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	s := "eventsource: " + string(e.Kind)
	if e.Status != 0 {
		s += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if e.Code != 0 {
		s += " (code " + strconv.Itoa(e.Code) + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Stats are the source's diagnostics.
type Stats struct {
	State        ReadyState
	Events       int64         // events delivered (pings excluded)
	Pings        int64         // pings received
	Bytes        int64         // body bytes received
	Reconnects   int64         // attempts after the first
	Failures     int           // consecutive failed attempts now
	Dropped      int64         // duplicates dropped and malformed NDJSON lines skipped
	LastActivity time.Time     // when the last chunk arrived
	NextRetry    time.Duration // the delay of the pending or last reconnect
	LastError    string
	// ReconnectionTime is the source's reconnection time: the initial one,
	// or what the server's retry field last set.
	ReconnectionTime time.Duration
}
