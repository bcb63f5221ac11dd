// Package sse implements the text/event-stream wire format exactly as the
// WHATWG HTML standard specifies it ("Server-sent events", #server-sent-events, in particular
// #parsing-an-event-stream and #event-stream-interpretation),
// plus a newline-delimited JSON decoder with the same push-style interface.
//
// The decoders are incremental: feed them byte chunks as they arrive, split
// anywhere, and they emit every complete event. Chunking never changes the
// result.
package sse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
	"unsafe"
)

// DefaultMaxEventSize is the default cap on the size of one event (or one
// NDJSON line): large enough for any real payload, small enough that a hostile
// or broken server cannot make the client grow without bound.
const DefaultMaxEventSize = 16 << 20

// shrinkAbove is the buffer capacity above which a buffer is dropped after use
// instead of being kept for the next event, so that one giant event does not
// pin its memory for the life of the stream.
const shrinkAbove = 64 << 10

// Event is one dispatched event (#dispatchMessage, "dispatch the event").
type Event struct {
	// Type is the event type; "message" when the stream named none.
	Type string
	// Data is the data buffer with its final LF removed.
	Data string
	// ID is the source's last event ID string at the moment of dispatch: it
	// persists across events until the stream sets another.
	ID string
}

// ErrTooLarge is returned (wrapped in a *LimitError) when an event or a line
// exceeds the configured cap.
var ErrTooLarge = errors.New("sse: event too large")

// LimitError reports that an event or line exceeded the cap. The stream cannot
// continue: the decoder stays in the error state until Reset.
type LimitError struct {
	Limit int // the cap in bytes
	What  string
}

func (e *LimitError) Error() string {
	return "sse: " + e.What + " exceeds the limit of " + strconv.Itoa(e.Limit) + " bytes"
}

func (e *LimitError) Unwrap() error { return ErrTooLarge }

var bom = [3]byte{0xEF, 0xBB, 0xBF}

// Decoder is an incremental text/event-stream decoder. The zero value is
// ready to use with DefaultMaxEventSize. A Decoder is not safe for concurrent
// use.
type Decoder struct {
	// MaxEventSize caps the bytes buffered for one event: the data buffer,
	// the event type, the last event ID buffer and the current unterminated
	// line. Zero means
	// DefaultMaxEventSize; a negative value means no cap.
	MaxEventSize int
	// Borrow makes Event.Data point into the decoder's own buffer instead
	// of a new string: no allocation per event. The string is valid only
	// until emit returns, and its bytes are not checked for UTF-8: the
	// caller must decode them as the WHATWG UTF-8 decoder does (JavaScript's
	// TextDecoder does), which gives the same text. Type and ID are always
	// proper strings.
	Borrow bool

	bomDone bool // the stream's first bytes have been checked for a BOM
	bomN    int  // how many BOM bytes have been matched so far

	skipLF    bool    // the previous byte was CR: an LF now belongs to the same line end
	inComment bool    // discarding the rest of a comment line
	line      lineBuf // an unterminated line carried over from earlier chunks
	data      []byte  // the data buffer
	eventType []byte  // the event type buffer
	idBuf     []byte  // the last event ID buffer
	idDirty   bool    // idBuf may differ from lastID
	lastID    string  // the last event ID string (committed at dispatch)
	typeCache string  // the last non-default type, reused to avoid allocating
	retry     int64
	retrySet  bool
	err       error
}

// Reset prepares the decoder for a new stream (a reconnection): buffers are
// emptied and any error is cleared, but the last event ID is kept. Like
// Chromium, the new stream's last event ID buffer starts from the source's
// last event ID string, so an event without an id field keeps it.
func (d *Decoder) Reset() {
	d.bomDone, d.bomN = false, 0
	d.skipLF, d.inComment = false, false
	d.line.reset()
	d.data = resetBuf(d.data)
	d.eventType = d.eventType[:0]
	d.idBuf = append(d.idBuf[:0], d.lastID...)
	d.idDirty = false
	d.retrySet = false
	d.err = nil
}

// SetLastEventID sets the last event ID string, as when a source is created
// for a stream that should resume from a known id.
func (d *Decoder) SetLastEventID(id string) {
	d.lastID = id
	d.idBuf = append(d.idBuf[:0], id...)
	d.idDirty = false
}

// LastEventID returns the last event ID string: what a reconnecting client
// sends as Last-Event-ID.
func (d *Decoder) LastEventID() string { return d.lastID }

// Retry returns the reconnection time set by the most recent retry field since
// the last call, and whether there was one.
func (d *Decoder) Retry() (time.Duration, bool) {
	if !d.retrySet {
		return 0, false
	}
	d.retrySet = false
	// A value too large for a Duration means "practically never": clamp it
	// rather than let the multiplication wrap to a negative delay.
	const maxMS = int64(math.MaxInt64 / int64(time.Millisecond))
	return time.Duration(min(d.retry, maxMS)) * time.Millisecond, true
}

// Err returns the error that stopped the decoder, if any.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) limit() int {
	switch {
	case d.MaxEventSize == 0:
		return DefaultMaxEventSize
	case d.MaxEventSize < 0:
		return int(^uint(0) >> 1)
	}
	return d.MaxEventSize
}

// Decode feeds the next chunk of the stream. emit is called synchronously for
// every event completed by this chunk; the Event's strings are the caller's to
// keep. After an error (an event over the cap) every further call returns the
// same error; the events completed before it have been emitted.
func (d *Decoder) Decode(p []byte, emit func(Event)) error {
	if d.err != nil {
		return d.err
	}
	// #parsing-an-event-stream: one leading U+FEFF BYTE ORDER MARK is ignored. It may arrive
	// split across chunks.
	for !d.bomDone && len(p) > 0 {
		if p[0] == bom[d.bomN] {
			d.bomN++
			p = p[1:]
			if d.bomN == len(bom) {
				d.bomDone = true
			}
			continue
		}
		d.bomDone = true
		if n := d.bomN; n > 0 {
			d.bomN = 0
			if err := d.lines(bom[:n], emit); err != nil {
				return err
			}
		}
	}
	return d.lines(p, emit)
}

func (d *Decoder) lines(p []byte, emit func(Event)) error {
	for len(p) > 0 {
		if d.skipLF {
			d.skipLF = false
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		if d.line.empty() && !d.inComment && (p[0] == '\n' || p[0] == '\r') && d.idle() {
			// A blank line with nothing buffered dispatches nothing, and
			// neither does a run of them: skip the run at once instead of
			// line by line (a flood of line ends is cheap).
			p = p[blankRun(p):]
			d.skipLF = false // an LF that follows would only be one more blank line
			continue
		}
		if d.line.empty() && p[0] == ':' {
			// A comment: skipped to its line end, never buffered, so that
			// no cap applies to it however it is cut.
			d.inComment = true
		}
		i := lineEnd(p)
		if d.inComment {
			if i < 0 {
				return nil
			}
			d.inComment = false
			d.skipLF = p[i] == '\r'
			p = p[i+1:]
			continue
		}
		if i < 0 {
			// An unterminated line: keep it for the next chunk.
			if !d.line.hold(p, d.lineRoom()) {
				return d.fail()
			}
			return nil
		}
		line, ok := d.line.join(p[:i], d.lineRoom())
		if !ok {
			return d.fail()
		}
		if p[i] == '\r' {
			if i+1 < len(p) {
				if p[i+1] == '\n' {
					i++
				}
			} else {
				d.skipLF = true
			}
		}
		p = p[i+1:]
		if err := d.processLine(line, emit); err != nil {
			return err
		}
	}
	return nil
}

// idle reports whether a blank line now would do nothing: no data, no event
// type, no id waiting to be committed (#dispatchMessage).
func (d *Decoder) idle() bool {
	return len(d.data) == 0 && len(d.eventType) == 0 && !d.idDirty
}

// blankRun returns the length of the run of CR and LF bytes that p starts
// with, eight bytes at a time through runs of LF.
func blankRun(p []byte) int {
	const lfs = 0x0a0a0a0a0a0a0a0a
	i := 0
	for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:]) == lfs {
		i += 8
	}
	for i < len(p) && (p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// lineEnd returns the index of the first CR or LF in p, or -1. Two passes
// of bytes.IndexByte beat a single byte loop: IndexByte is vectorised natively
// and written in assembly for WebAssembly too, where a plain Go loop is
// slower.
func lineEnd(p []byte) int {
	n := bytes.IndexByte(p, '\n')
	if n < 0 {
		return bytes.IndexByte(p, '\r')
	}
	if r := bytes.IndexByte(p[:n], '\r'); r >= 0 {
		return r
	}
	return n
}

// room is what is left of the cap for the current event: the data and event
// type buffers and the last event ID buffer all count, since the id travels
// with every event until it changes.
func (d *Decoder) room() int {
	return d.limit() - len(d.data) - len(d.eventType) - len(d.idBuf)
}

// lineRoom caps a line before it is known what field it holds: an id line
// replaces the last event ID buffer, so the buffer does not count here;
// processLine then checks the line against what it will be stored in. The
// same cap for a line carried across chunks and for one read whole keeps
// the chunking from changing the result.
func (d *Decoder) lineRoom() int {
	return d.limit() - len(d.data) - len(d.eventType)
}

// fail stops the decoder: the event is over the cap. It is the one copy of
// the error path for the decoder's three checks.
//
//go:noinline
func (d *Decoder) fail() error {
	d.err = &LimitError{Limit: d.limit(), What: "event"}
	d.line.drop()
	d.data = nil
	return d.err
}

// processLine interprets one line (#event-stream-interpretation).
func (d *Decoder) processLine(line []byte, emit func(Event)) error {
	if len(line) == 0 {
		d.dispatch(emit)
		return nil
	}
	if line[0] == ':' {
		return nil // a comment
	}
	name, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		name, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	room := d.room()
	if string(name) == "id" {
		room += len(d.idBuf) // a new id replaces the old one
	}
	if len(line)+1 > room {
		return d.fail()
	}
	// Field names are compared on raw bytes: an ill-formed sequence would
	// decode to U+FFFD, which matches no known name either. (Comparing the
	// bytes as a string allocates nothing.)
	switch string(name) {
	case "data":
		d.data = append(d.data, value...)
		d.data = append(d.data, '\n')
	case "event":
		d.eventType = append(d.eventType[:0], value...)
	case "id":
		// An id containing U+0000 is ignored entirely.
		if bytes.IndexByte(value, 0) < 0 {
			d.idBuf = append(d.idBuf[:0], value...)
			d.idDirty = true
		}
	case "retry":
		if n, ok := parseDigits(value); ok {
			d.retry, d.retrySet = n, true
		}
	}
	return nil
}

// parseDigits accepts only a non-empty run of ASCII digits
// (#event-stream-interpretation: "If the field value consists of only ASCII
// digits"). Any such value is valid; one too large to represent saturates
// at math.MaxInt64, which Retry then clamps as it clamps every large value.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64 // saturated; the remaining bytes must still be digits
			continue
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// dispatch implements #dispatchMessage, "dispatch the event".
func (d *Decoder) dispatch(emit func(Event)) {
	newID := d.idDirty && string(d.idBuf) != d.lastID
	d.idDirty = false
	// A copied event's data and new id share one allocation (below).
	shared := newID && len(d.data) > 0 && !d.Borrow
	if newID && !shared {
		// Step 1: the last event ID string is set from the buffer even
		// when no event is dispatched.
		d.lastID = string(ToValidUTF8(d.idBuf))
	}
	if len(d.data) == 0 {
		d.eventType = d.eventType[:0]
		return
	}
	ev := Event{Type: "message"}
	if len(d.eventType) > 0 {
		if string(d.eventType) != d.typeCache {
			d.typeCache = string(ToValidUTF8(d.eventType))
		}
		ev.Type = d.typeCache
		d.eventType = d.eventType[:0]
	}
	data := d.data[:len(d.data)-1] // drop the final LF
	switch {
	case d.Borrow:
		ev.Data = unsafe.String(unsafe.SliceData(data), len(data))
	case shared:
		data = ToValidUTF8(data)
		n := len(data)
		s := string(append(data, ToValidUTF8(d.idBuf)...))
		ev.Data, d.lastID = s[:n], s[n:]
	default:
		ev.Data = string(ToValidUTF8(data))
	}
	ev.ID = d.lastID
	emit(ev)
	d.data = resetBuf(d.data)
}

func resetBuf(b []byte) []byte {
	if cap(b) > shrinkAbove {
		return nil
	}
	return b[:0]
}
