//go:build js && wasm

package jsbridge

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/protocol"
)

// Sink forwards what the engine does to the shim's callbacks object, one
// function per kind of message (protocol.Callback*; shim/connection.js):
//
//	open(url, status, format)
//	events(at, length)           the chunk's events, UTF-8 in the engine's memory
//	error(readyState, kind, status, code, message)
//	retrying(delayMs, attempt, reason)
//
// All events parsed from one chunk cross the boundary in a single call as one
// UTF-8 text of records, each field ended by CR (protocol.Record*,
// protocol.Separator):
//
//	m CR type CR data CR    a message
//	i CR id CR              the last event ID is now id, for the messages after it
//	r CR ms CR              the reconnection time is now ms milliseconds
//	p CR                    a ping
//
// The last event ID persists from event to event (#dispatchMessage), so it
// is sent only when it changes: an event costs the same however long the id.
// CR cannot occur inside any field: the text/event-stream format has no way
// to carry it (it ends lines), and NDJSON data has raw CRs (JSON white space)
// turned into spaces. JavaScript splits the text with one
// String.prototype.split: far cheaper than a call per event.
type Sink struct {
	onOpen, onEvents, onError, onRetrying safejs.Value

	sentID    string        // the last event ID the shim has been told
	sentRetry time.Duration // the reconnection time the shim has been told (0: none yet)

	buf []byte
}

// NewSink returns a Sink calling the functions of callbacks.
func NewSink(callbacks safejs.Value) (*Sink, error) {
	s := &Sink{}
	for _, m := range []struct {
		name string
		dst  *safejs.Value
	}{
		{protocol.CallbackOpen, &s.onOpen}, {protocol.CallbackEvents, &s.onEvents},
		{protocol.CallbackError, &s.onError}, {protocol.CallbackRetrying, &s.onRetrying},
	} {
		v, err := callbacks.Get(m.name)
		if err != nil {
			return nil, err
		}
		if v.Type() != safejs.TypeFunction {
			return nil, errors.New("sseshim: the callbacks object has no function " + m.name)
		}
		*m.dst = v
	}
	return s, nil
}

// call invokes one callback. An exception thrown by a listener must not kill
// the engine; the shim reports listener exceptions itself.
func call(fn safejs.Value, args ...any) {
	_, _ = fn.Invoke(args...)
}

func (s *Sink) Opened(i eventsource.OpenInfo) {
	call(s.onOpen, i.URL, i.Status, string(i.Format))
}

// Event appends one event to the chunk's batch. Its data is borrowed from
// the decoder and may hold invalid UTF-8: it is copied here, and the
// TextDecoder that turns the batch into a JavaScript string replaces invalid
// sequences exactly as #parsing-an-event-stream asks. The CRs between fields end any
// sequence, so decoding the batch at once equals decoding each field.
func (s *Sink) Event(e eventsource.Event) {
	if e.Ping {
		s.buf = append(s.buf, protocol.RecordPing, protocol.Separator)
		return
	}
	if !sameString(e.LastEventID, s.sentID) {
		s.sendID(e.LastEventID)
	}
	s.buf = append(s.buf, protocol.RecordMessage, protocol.Separator)
	s.buf = appendField(s.buf, e.Type, "\uFFFD")
	// Data never holds a CR: text/event-stream ends lines at CRs, and the
	// engine turns NDJSON's (JSON white space) into spaces. Skipping the
	// scan saves a pass over every payload.
	s.buf = append(s.buf, e.Data...)
	s.buf = append(s.buf, protocol.Separator)
}

// writeState appends the state the shim mirrors (its lastEventId and
// reconnectionTime getters) where it changed since the shim was last told:
// an id field or a retry field can change it without an event.
func (s *Sink) writeState(lastEventID string, reconnectionTime time.Duration) {
	if !sameString(lastEventID, s.sentID) {
		s.sendID(lastEventID)
	}
	if reconnectionTime != s.sentRetry {
		s.buf = append(s.buf, protocol.RecordRetry, protocol.Separator)
		s.buf = strconv.AppendInt(s.buf, reconnectionTime.Milliseconds(), 10)
		s.buf = append(s.buf, protocol.Separator)
		s.sentRetry = reconnectionTime
	}
}

// sendID appends an id record: the last event ID is now id.
func (s *Sink) sendID(id string) {
	s.buf = append(s.buf, protocol.RecordID, protocol.Separator)
	s.buf = appendField(s.buf, id, "\uFFFD")
	s.sentID = id
}

// sameString compares the id the engine hands over, usually the very string
// it handed over before, without reading a long one byte by byte.
func sameString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b) || a == b
}

// Flush ends a chunk: it appends the state records, then hands the batch,
// if any, to JavaScript in one call: where its UTF-8 bytes are in the
// engine's memory, and how many. The shim decodes them
// there at once, before any listener runs (and so before anything could
// change the buffer or grow the memory). No copy to a JavaScript array, no
// JavaScript object per source to keep it in, and no JavaScript string made
// on the Go side, which would stay referenced until Go's collector finalizes
// its js.Value.
func (s *Sink) Flush(lastEventID string, reconnectionTime time.Duration) {
	s.writeState(lastEventID, reconnectionTime)
	b := s.buf
	if len(b) > 0 {
		call(s.onEvents, float64(uintptr(unsafe.Pointer(&b[0]))), len(b))
	}
	s.buf = b[:0]
	if cap(s.buf) > 1<<20 {
		s.buf = nil // do not pin a buffer grown by one giant chunk
	}
}

// Discard drops the batch of a chunk that arrived as the source closed.
func (s *Sink) Discard() {
	s.buf = s.buf[:0]
	s.sentID, s.sentRetry = unsentID, 0
}

// unsentID is never an event's last event ID (an id with NUL is ignored,
// #event-stream-interpretation): after a batch that did not reach the shim,
// the next event sends its id again.
const unsentID = "\x00unsent"

// appendField appends v and the CR that ends it. A CR inside v would break
// the framing; text/event-stream cannot produce one, but NDJSON can, as an
// escaped \r decoded into an event type or id (replaced by U+FFFD).
func appendField(b []byte, v, repl string) []byte {
	for {
		i := strings.IndexByte(v, protocol.Separator)
		if i < 0 {
			b = append(b, v...)
			return append(b, protocol.Separator)
		}
		b = append(b, v[:i]...)
		b = append(b, repl...)
		v = v[i+1:]
	}
}

func (s *Sink) Failed(err *eventsource.Error, st eventsource.ReadyState) {
	msg := err.Message
	if err.Err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += err.Err.Error()
	}
	call(s.onError, int(st), string(err.Kind), err.Status, err.Code, msg)
}

func (s *Sink) Retrying(d time.Duration, attempt int, reason string) {
	call(s.onRetrying, float64(d.Milliseconds()), attempt, reason)
}
