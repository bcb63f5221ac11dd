package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sseshim/sseshim/wasm/sse"
)

// format is how a stream is written.
type format int

const (
	formatSSE format = iota
	formatNDJSON
)

// frame is one event, encoded once for every subscriber.
type frame struct {
	id    string // "" for none
	event string // SSE event type ("" = message)
	data  string // SSE data, or the NDJSON line without its LF
	state string // Losant: the device state JSON inside an mqttMessage
	dt    *dtEvent
}

func (f frame) encode(dst []byte, fm format) []byte {
	if fm == formatNDJSON {
		dst = append(dst, f.data...)
		return append(dst, '\n')
	}
	out, err := sse.AppendMessage(dst, sse.Message{ID: f.id, Type: f.event, Data: f.data})
	if err != nil {
		// Ids and types come from this server: a bad one is a bug here.
		panic("server: " + err.Error())
	}
	return out
}

// faults are the fault-injection query parameters every stream honours.
type faults struct {
	closeAfter  int // end the response after N events (0: never)
	stallAfter  int // stop sending after N events, keep the socket (-1: never)
	drip        bool
	status      int
	contentType string
	inject      string
	retryMS     int // send a retry field first (-1: none)
}

// parseFaults reads the fault parameters; malformed values are an error.
// Unknown parameters are ignored.
func parseFaults(r *http.Request) (faults, error) {
	q := r.URL.Query()
	f := faults{stallAfter: -1, retryMS: -1}
	num := func(name string, min, max int) (int, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return 0, false, errors.New(name + " must be an integer from " + strconv.Itoa(min) + " to " + strconv.Itoa(max))
		}
		return n, true, nil
	}
	var err error
	var ok bool
	if f.closeAfter, _, err = num("close_after", 1, 1<<30); err != nil {
		return f, err
	}
	var n int
	if n, ok, err = num("stall_after", 0, 1<<30); err != nil {
		return f, err
	} else if ok {
		f.stallAfter = n
	}
	if n, ok, err = num("retry", 0, 1<<30); err != nil {
		return f, err
	} else if ok {
		f.retryMS = n
	}
	if f.status, _, err = num("status", 200, 599); err != nil {
		return f, err
	}
	switch v := q.Get("drip"); v {
	case "", "0", "false":
	case "1", "true":
		f.drip = true
	default:
		return f, errors.New("drip must be 1 or 0")
	}
	switch v := q.Get("inject"); v {
	case "", "malformed", "invalid-utf8", "oversized":
		f.inject = v
	default:
		return f, errors.New("inject must be malformed, invalid-utf8 or oversized")
	}
	if ct := q.Get("content_type"); ct != "" {
		if strings.ContainsAny(ct, "\r\n") {
			return f, errors.New("content_type must be one line")
		}
		f.contentType = ct
	}
	return f, nil
}

// oversizedBytes is the size of an injected oversized event: over the 16 MiB
// that clients (sseshim's default among them) accept for one event.
const oversizedBytes = sse.DefaultMaxEventSize + 1024

// injection returns the bytes of an injected fault for the format.
func injection(kind string, fm format) []byte {
	switch kind {
	case "malformed":
		if fm == formatNDJSON {
			return []byte("{\"result\": {\"event\": broken\n")
		}
		// Lines without a colon, a non-numeric retry, a stray CR: all
		// dispatch nothing under the spec's rules.
		return []byte("event mqttMessage\ndata {broken\nretry: soon\r\n\n")
	case "invalid-utf8":
		if fm == formatNDJSON {
			return []byte("{\"result\":{\"event\":{\"eventType\":\"invalid\",\"data\":\"\xff\xfe \xc3\x28\"}}}\n")
		}
		return []byte("event: invalid\ndata: \xff\xfe bad \xc3\x28 bytes\n\n")
	case "oversized":
		if fm == formatNDJSON {
			b := append([]byte(`{"oversized":"`), bytes.Repeat([]byte("x"), oversizedBytes)...)
			return append(b, "\"}\n"...)
		}
		b := append([]byte("event: oversized\ndata: "), bytes.Repeat([]byte("x"), oversizedBytes)...)
		return append(b, "\n\n"...)
	}
	return nil
}

// writeJSONError answers with a status and a JSON body {"error", "code"}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": status})
}

// streamOptions describe one stream response.
type streamOptions struct {
	format      format
	contentType string
	heartbeat   time.Duration // SSE comment interval; 0 for none
	initial     []frame       // sent first (a resume's replay)
	lifetime    time.Duration // end the stream after this long; 0 for never
	// onLifetimeEnd, when set, returns a last frame for a stream that ends
	// by its lifetime; idle tells whether it carried no event at all.
	onLifetimeEnd func(idle bool) *frame
	// isPing tells frames that do not count as events for idleness.
	isPing func(frame) bool
	// mapFrame, when set, filters and rewrites each frame from the source.
	mapFrame func(frame) (frame, bool)
	// ping, when positive, sends pingFrame() at this interval.
	ping      time.Duration
	pingFrame func() frame
}

// serveStream writes frames from src until the client leaves, the server
// shuts down, a fault ends it, or src closes. It applies the fault
// parameters, heartbeats and per-write deadlines, and flushes every frame.
func (s *server) serveStream(w http.ResponseWriter, r *http.Request, f faults, o streamOptions, src <-chan frame, kicked <-chan struct{}) {
	if !s.acquireStream() {
		w.Header().Set("Retry-After", "5")
		writeJSONError(w, http.StatusServiceUnavailable, "too many concurrent streams")
		return
	}
	defer s.releaseStream()
	ctl := s.registerStream()
	defer s.unregisterStream(ctl)

	h := w.Header()
	ct := o.contentType
	if f.contentType != "" {
		ct = f.contentType
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)

	write := func(b []byte) bool {
		// A deadline per write instead of a server-wide WriteTimeout: a
		// stream lives for hours, one write must not hang for long.
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.writeTimeout))
		if f.drip {
			for i := range b {
				if _, err := w.Write(b[i : i+1]); err != nil {
					return false
				}
				if rc.Flush() != nil {
					return false
				}
			}
			return true
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(nil) {
		return
	}
	if f.retryMS >= 0 && o.format == formatSSE {
		if !write(sse.AppendRetry(nil, f.retryMS)) {
			return
		}
	}

	var heartbeat <-chan time.Time
	if o.heartbeat > 0 && o.format == formatSSE {
		t := time.NewTicker(o.heartbeat)
		defer t.Stop()
		heartbeat = t.C
	}
	var lifetime <-chan time.Time
	if o.lifetime > 0 {
		t := time.NewTimer(o.lifetime)
		defer t.Stop()
		lifetime = t.C
	}

	var pings <-chan time.Time
	if o.ping > 0 && o.pingFrame != nil {
		t := time.NewTicker(o.ping)
		defer t.Stop()
		pings = t.C
	}
	stallCh, killCh := ctl.stall, ctl.kill
	events := 0
	stalled := f.stallAfter == 0
	injected := false
	var buf []byte
	send := func(fr frame) bool {
		if stalled {
			return true
		}
		buf = fr.encode(buf[:0], o.format)
		if !write(buf) {
			return false
		}
		if o.isPing == nil || !o.isPing(fr) {
			events++
		}
		if f.inject != "" && !injected && events == 1 {
			injected = true
			if !write(injection(f.inject, o.format)) {
				return false
			}
		}
		if f.closeAfter > 0 && events >= f.closeAfter {
			return false
		}
		if f.stallAfter > 0 && events >= f.stallAfter {
			stalled = true
		}
		return true
	}
	for _, fr := range o.initial {
		if !send(fr) {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case <-kicked:
			return // a slow consumer: dropped by the hub
		case <-killCh:
			return
		case <-stallCh:
			stalled, stallCh = true, nil
		case fr, ok := <-src:
			if !ok {
				return
			}
			if o.mapFrame != nil {
				var keep bool
				if fr, keep = o.mapFrame(fr); !keep {
					continue
				}
			}
			if !send(fr) {
				return
			}
		case <-pings:
			if !send(o.pingFrame()) {
				return
			}
		case <-heartbeat:
			if !stalled && !write([]byte(": heartbeat\n\n")) {
				return
			}
		case <-lifetime:
			if o.onLifetimeEnd != nil && !stalled {
				if last := o.onLifetimeEnd(events == 0); last != nil {
					buf = last.encode(buf[:0], o.format)
					write(buf)
				}
			}
			return
		}
	}
}

// answerStatus applies the status fault: the stream answers with that status
// instead. It reports whether it answered.
func answerStatus(w http.ResponseWriter, f faults) bool {
	if f.status == 0 || f.status == http.StatusOK {
		return false
	}
	switch {
	case f.status == http.StatusNoContent || f.status == http.StatusNotModified:
		w.WriteHeader(f.status)
	default:
		if f.status == http.StatusServiceUnavailable || f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		if f.status >= 300 && f.status < 400 {
			w.Header().Set("Location", "/")
		}
		writeJSONError(w, f.status, "injected status "+strconv.Itoa(f.status))
	}
	return true
}
