package eventsource

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/sseshim/sseshim/wasm/sse"
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
// goroutine, or from a PushBody's chunk callback while the engine waits for
// it, one at a time; a sink may call Close from inside any of them. Once
// Close has been called nothing more is delivered: Opened, Flush, Failed
// and Retrying are not called, and Event is followed by Discard. The source
// is done with the sink when Done is closed.
type Sink interface {
	// Opened: readyState is now OPEN (fire "open", #sse-processing-model).
	Opened(OpenInfo)
	// Event collects one event of the chunk being decoded, in stream order
	// (#dispatchMessage); Flush delivers them. Events are handed over as
	// they are parsed, without an allocation per event: ev.Data is
	// borrowed, valid only during the call, and not checked for UTF-8 — the
	// sink copies it and decodes it as the WHATWG UTF-8 decoder does
	// (sse.ToValidUTF8; JavaScript's TextDecoder does the same). Type and
	// LastEventID are the sink's to keep.
	Event(ev Event)
	// Flush ends each chunk: deliver what Event collected since the last
	// Flush, if anything. lastEventID and reconnectionTime are the source's
	// state after the chunk (#concept-event-stream-last-event-id,
	// #concept-event-stream-reconnection-time), for a sink that mirrors it;
	// either may have changed without an event.
	Flush(lastEventID string, reconnectionTime time.Duration)
	// Discard replaces Flush when the source was closed before the chunk
	// could be delivered: drop what Event collected since the last Flush,
	// and anything the sink meant to send with it.
	Discard()
	// Failed: readyState is now state, CONNECTING when the source will
	// reconnect, CLOSED when it has given up (fire "error").
	Failed(err *Error, state ReadyState)
	// Retrying: the source will reconnect after delay; reason is what
	// Reconnect gave, "" for an ordinary reconnect.
	Retrying(delay time.Duration, attempt int, reason string)
}

// SinkFuncs adapts functions to a Sink; nil functions are skipped. OnEvents
// receives each chunk's events in one call, as strings of their own with
// invalid UTF-8 replaced; the slice is reused after the call returns.
type SinkFuncs struct {
	OnOpen     func(OpenInfo)
	OnEvents   func([]Event)
	OnError    func(*Error, ReadyState)
	OnRetrying func(time.Duration, int)

	// batch collects a chunk's events for OnEvents. A pointer, so that a
	// SinkFuncs value is a Sink: New gives each source's SinkFuncs a batch
	// of its own; without one (a SinkFuncs called by other code) each event
	// is delivered on its own.
	batch *[]Event
}

// ownBatch returns the sink New is given, when it is f itself (a SinkFuncs
// or a pointer to one), as f with a batch of its own for the new source.
// New finds it through an interface rather than by SinkFuncs' type, so that
// a program that never uses SinkFuncs (sseshim's engine) does not keep its
// methods; a type that embeds SinkFuncs has the method too, and is returned
// as it is, its own methods kept.
func (f SinkFuncs) ownBatch(sink Sink) Sink {
	switch sink.(type) {
	case SinkFuncs, *SinkFuncs:
		f.batch = new([]Event)
		return f
	}
	return sink
}

func (f SinkFuncs) Opened(i OpenInfo) {
	if f.OnOpen != nil {
		f.OnOpen(i)
	}
}

func (f SinkFuncs) Event(ev Event) {
	if f.OnEvents == nil {
		return
	}
	ev.Data = string(sse.ToValidUTF8(unsafe.Slice(unsafe.StringData(ev.Data), len(ev.Data))))
	if f.batch == nil {
		f.OnEvents(append([]Event(nil), ev))
		return
	}
	*f.batch = append(*f.batch, ev)
}

func (f SinkFuncs) Flush(string, time.Duration) {
	if f.batch == nil || len(*f.batch) == 0 {
		return
	}
	f.OnEvents(*f.batch)
	f.Discard()
}

func (f SinkFuncs) Discard() {
	if f.batch != nil {
		clear(*f.batch)
		*f.batch = (*f.batch)[:0]
	}
}

func (f SinkFuncs) Failed(err *Error, s ReadyState) {
	if f.OnError != nil {
		f.OnError(err, s)
	}
}

func (f SinkFuncs) Retrying(d time.Duration, n int, _ string) {
	if f.OnRetrying != nil {
		f.OnRetrying(d, n)
	}
}

// noSink is the sink of a source created without one: it drops everything.
type noSink struct{}

func (noSink) Opened(OpenInfo)                     {}
func (noSink) Event(Event)                         {}
func (noSink) Flush(string, time.Duration)         {}
func (noSink) Discard()                            {}
func (noSink) Failed(*Error, ReadyState)           {}
func (noSink) Retrying(time.Duration, int, string) {}

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
	LastActivity Instant       // when the last chunk arrived
	NextRetry    time.Duration // the delay of the pending or last reconnect
	LastError    string
	// ReconnectionTime is the source's reconnection time: the initial one,
	// or what the server's retry field last set.
	ReconnectionTime time.Duration
}
