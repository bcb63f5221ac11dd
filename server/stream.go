package main

import (
	"net/http"
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

// subscribe joins a hub topic and starts its generator (nil for a topic fed
// by publishers only) if it is not running yet.
func (s *server) subscribe(topic, lastID string, gen generator) (*subscriber, []frame, resume) {
	sub, replay, state := s.hub.subscribe(topic, lastID)
	s.sim.start(topic, gen)
	return sub, replay, state
}

// unsubscribe leaves a topic; its generator stops with the last subscriber.
func (s *server) unsubscribe(topic string, sub *subscriber) {
	s.hub.unsubscribe(topic, sub)
	s.sim.stop(topic)
}

// subscribeAndServe streams a hub topic's live frames.
func (s *server) subscribeAndServe(w http.ResponseWriter, r *http.Request, f faults, topic string, gen generator, o streamOptions) {
	sub, _, _ := s.subscribe(topic, "", gen)
	defer s.unsubscribe(topic, sub)
	s.serveStream(w, r, f, o, sub.ch, sub.kicked)
}

func (s *server) acquireStream() bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *server) releaseStream() { <-s.slots }

// serveStream writes frames from src until the client leaves, the server
// shuts down, a fault or the demo controls end it, or src closes. It applies
// the fault parameters, heartbeats and per-write deadlines, and flushes every
// frame.
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
	// A proxy must neither buffer nor transform the stream, and a stream is
	// never compressed: each frame has to reach the client when it is sent.
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
