package eventsource

import (
	"bytes"
	"strings"
	"unsafe"

	"github.com/sseshim/sseshim/wasm/internal/jsonscan"
)

// ndjsonState is what reading NDJSON events keeps between lines.
type ndjsonState struct {
	_         noCompare
	typeCache string    // the last event type decoded, reused while it repeats
	keys      [2]string // the type and id members, for one-level paths
}

// envelopeKeys are the members of an envelope: {"error"} or {"result"}.
var envelopeKeys = []string{"error", "result"}

// emitLine unwraps one NDJSON line: {"result":{"event":E}} delivers E typed by
// its eventType; {"error":{"code","message"}} ends the attempt; any other JSON
// value is delivered as a "message" whose data is the line.
func (s *Source) emitLine(line []byte) {
	if s.conn.stop != nil {
		return // the stream reported an error: nothing after it counts
	}
	// One pass validates the line and finds its envelope members.
	var top [2][]byte
	if !jsonscan.Scan(line, envelopeKeys, top[:]) {
		s.out.dropped++
		return
	}
	if top[0] != nil && top[1] == nil {
		s.conn.stop = s.inbandError(top[0])
		return
	}
	ev := line
	if top[1] != nil {
		if inner, ok := jsonscan.Member(top[1], "event"); ok {
			ev = inner
		}
	}
	t, v := s.typeAndID(ev)
	typ := "message"
	if t != nil {
		typ = s.eventType(t)
	}
	if v != nil {
		id, isStr := jsonscan.String(v)
		if !isStr && v[0] != '{' && v[0] != '[' {
			id = string(v) // a number or literal, as written
		}
		if strings.IndexByte(id, 0) < 0 { // #event-stream-interpretation: an id with NUL is ignored
			s.lastID = id
		}
	}
	if bytes.IndexByte(ev, '\r') >= 0 {
		// A raw CR in valid JSON is white space between tokens (inside a
		// string it would be invalid): a space means the same, and keeps
		// data free of CRs, as text/event-stream data always is.
		// (A loop: bytes.ReplaceAll would grow the wasm binary for this.)
		b := make([]byte, len(ev))
		for i, c := range ev {
			if c == '\r' {
				c = ' '
			}
			b[i] = c
		}
		ev = b
	}
	// Borrowed, as the decoder's data is: the sink copies and decodes it.
	data := unsafe.String(unsafe.SliceData(ev), len(ev))
	s.add(Event{Type: typ, Data: data, LastEventID: s.lastID})
}

// eventType decodes the raw type token t: a non-empty JSON string names the
// type, anything else means "message". A type that repeats the previous one
// costs no allocation; the shortcut compares raw bytes, so it applies only to
// a string token without escapes, whose raw inner bytes are its value.
func (s *Source) eventType(t []byte) string {
	nd := &s.nd
	if len(t) > 2 && t[0] == '"' && string(t[1:len(t)-1]) == nd.typeCache && bytes.IndexByte(t, '\\') < 0 {
		return nd.typeCache
	}
	if str, ok := jsonscan.String(t); ok && str != "" {
		nd.typeCache = str
		return str
	}
	return "message"
}

// typeAndID finds an event's type and id: in one pass over the event when
// both paths are one member deep (the default), else path by path.
func (s *Source) typeAndID(ev []byte) (typ, id []byte) {
	tp, ip := s.cfg.EventTypePath, s.cfg.IDPath
	if len(tp) == 1 && len(ip) == 1 {
		var out [2][]byte
		jsonscan.Scan(ev, s.nd.keys[:], out[:])
		return out[0], out[1]
	}
	typ, _ = jsonscan.Path(ev, tp...)
	id, _ = jsonscan.Path(ev, ip...)
	return typ, id
}

// isEnvelopePing reports whether an SSE message's data is the envelope of a
// ping event, {"result":{"event":{"eventType":"ping",…}}}: how Disruptive
// Technologies sends pings over text/event-stream, where frames carry only
// data. A quick search for the quoted type spares the scan for other events.
func (s *Source) isEnvelopePing(data string) bool {
	p := s.conn.pingType
	i := 0
	for i < len(data) && isHTTPSpace(data[i]) { // JSON's whitespace too
		i++
	}
	if i == len(data) || data[i] != '{' || !hasQuoted(data, p) {
		return false
	}
	b := unsafe.Slice(unsafe.StringData(data), len(data)) // read only
	var top [2][]byte
	if !jsonscan.Scan(b, envelopeKeys, top[:]) || top[1] == nil {
		return false
	}
	ev, ok := jsonscan.Member(top[1], "event")
	if !ok {
		return false
	}
	t, _ := s.typeAndID(ev)
	if t == nil {
		return false
	}
	typ, ok := jsonscan.String(t)
	return ok && typ == p
}

// hasQuoted reports whether p (not empty) occurs in data right after a
// quote, as a JSON string "p" does. (strings.Index would bring its
// Rabin-Karp search into the wasm binary.)
func hasQuoted(data, p string) bool {
	for i := 1; i < len(data); i++ {
		j := strings.IndexByte(data[i:], p[0])
		if j < 0 {
			return false
		}
		i += j
		if data[i-1] == '"' && strings.HasPrefix(data[i:], p) {
			return true
		}
	}
	return false
}

// inbandError decides what an {"error":{...}} object means: 401 and 403
// stop for good, 408 reconnects at once (an idle stream's scheduled end),
// 429 and 5xx retry with backoff, anything else stops.
func (s *Source) inbandError(obj []byte) *outcome {
	e := &Error{Kind: KindServer}
	if v, ok := jsonscan.Member(obj, "code"); ok {
		if n, ok := jsonscan.Int32(v); ok {
			e.Code = int(n)
		}
	}
	if v, ok := jsonscan.Member(obj, "message"); ok {
		e.Message, _ = jsonscan.String(v)
	}
	switch {
	case e.Code == 408:
		return &outcome{err: e, immediate: true}
	case e.Code == 429 || (e.Code >= 500 && e.Code <= 599):
		return &outcome{err: e, count: true}
	}
	return &outcome{err: e, fatal: true}
}
