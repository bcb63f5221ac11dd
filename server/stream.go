package main

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/sseshim/sseshim/wasm/sse"
)

const sseType = "text/event-stream; charset=utf-8"

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
	// mapFrame, when set, filters and rewrites each frame from the source.
	mapFrame func(frame) (frame, bool)
	// ping, when positive, sends pingFrame() at this interval, marked as a
	// ping: it does not count as an event.
	ping      time.Duration
	pingFrame func() frame
}

// subscribeAndServe streams a hub topic: its latest state first (what a
// simulated device last reported), then its live frames. onSubscribed, when
// set, runs once the subscriber is in: it starts the topic's simulation on
// demand, whose first frame the subscriber then receives.
func (s *server) subscribeAndServe(w http.ResponseWriter, r *http.Request, f faults, topic string, o streamOptions, onSubscribed func()) {
	sub, first, _ := s.hub.subscribe(topic, "")
	defer s.hub.unsubscribe(topic, sub)
	if onSubscribed != nil {
		onSubscribed()
	}
	o.initial = append(o.initial, first...)
	s.serveStream(w, r, f, o, sub.ch, sub.kicked)
}

// acquireStream takes a stream slot. When every slot is taken, a stream stuck
// in a write (its client reads nothing) gives its slot up: clients that never
// read cannot keep new ones out.
func (s *server) acquireStream(r *http.Request) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	if !s.evictStuck() {
		return false
	}
	// The evicted stream's handler returns its slot as soon as its write
	// fails; another new stream may take it first.
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

func (s *server) releaseStream() { <-s.slots }

// writePiece is the most a stream writes under one write deadline.
const writePiece = 32 << 10

// writeFlush writes p (nothing, to send the headers) and flushes it, under a
// fresh write deadline, marking the stream as writing meanwhile.
func (s *server) writeFlush(w http.ResponseWriter, rc *http.ResponseController, ctl *streamCtl, p []byte) error {
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.writeTimeout))
	// After the deadline is set: evictStuck sets the flag, then a deadline
	// in the past, so one of the two stops this write.
	if ctl.evicted.Load() {
		return os.ErrDeadlineExceeded
	}
	ctl.writing.Store(time.Now().UnixNano())
	defer ctl.writing.Store(0)
	if len(p) > 0 {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return rc.Flush()
}

// serveStream writes frames from src until the client leaves, the server
// shuts down, a fault or the demo controls end it, or src closes. It applies
// the fault parameters, heartbeats and per-write deadlines, and flushes every
// frame.
func (s *server) serveStream(w http.ResponseWriter, r *http.Request, f faults, o streamOptions, src <-chan frame, kicked <-chan struct{}) {
	if !s.acquireStream(r) {
		w.Header().Set("Retry-After", "5")
		writeJSONError(w, http.StatusServiceUnavailable, "too many concurrent streams")
		return
	}
	defer s.releaseStream()
	ctl := s.registerStream(r)
	defer s.unregisterStream(ctl)

	h := w.Header()
	ct := o.contentType
	if f.contentType != "" {
		ct = f.contentType
	}
	h.Set("Content-Type", ct)
	// A proxy must neither buffer nor transform the stream, and a stream is
	// never compressed: each frame has to reach the client when it is sent.
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)

	// write sends b and flushes it, in pieces of writePiece bytes (one byte
	// with drip), each with its own deadline: a client must make progress
	// within the write timeout, however large the frame. (One deadline for
	// a whole server, WriteTimeout, would cut every stream: a stream lives
	// for hours.) A client that reads nothing fills the small send buffer
	// and its own receive buffer; then a write blocks until the deadline and
	// the client is dropped.
	piece := writePiece
	if f.drip {
		piece = 1
	}
	write := func(b []byte) bool {
		for first := true; first || len(b) > 0; first = false {
			n := min(piece, len(b))
			if err := s.writeFlush(w, rc, ctl, b[:n]); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) && !ctl.evicted.Load() {
					s.dropSlow(ctl, "a write made no progress for "+s.cfg.writeTimeout.String()+" (-write-timeout)")
				}
				return false
			}
			b = b[n:]
		}
		return true
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
	events := 0 // frames sent, pings not counted
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
		if !fr.ping {
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
		if fr.comment != "" {
			if o.format == formatSSE && !write(fr.encode(buf[:0], o.format)) {
				return
			}
			continue
		}
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
			s.dropSlow(ctl, "it fell "+strconv.Itoa(s.cfg.queueSize)+" frames behind (-queue)")
			return
		case <-killCh:
			return
		case <-stallCh:
			stalled, stallCh = true, nil
		case fr, ok := <-src:
			if !ok {
				return
			}
			if fr.comment != "" {
				if !stalled && o.format == formatSSE && !write(fr.encode(buf[:0], o.format)) {
					return
				}
				continue
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
			fr := o.pingFrame()
			fr.ping = true
			if !send(fr) {
				return
			}
		case <-heartbeat:
			// A comment: proxies see traffic, clients dispatch nothing.
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
