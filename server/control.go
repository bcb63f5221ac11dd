package main

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// streamCtl lets the demo controls stall or kill an open stream, and the
// stream cap cut one whose client reads nothing.
type streamCtl struct {
	stall, kill chan struct{}
	stallOnce   sync.Once
	killOnce    sync.Once

	conn    net.Conn     // the connection (nil when unknown)
	client  string       // remote address and URL, for the log
	writing atomic.Int64 // when the write in progress began (Unix ns), 0 between writes
	evicted atomic.Bool  // its slot went to a new stream: write nothing more
	dropped sync.Once    // one log line per slow client
}

func (s *server) registerStream(r *http.Request) *streamCtl {
	c := &streamCtl{stall: make(chan struct{}), kill: make(chan struct{}), client: r.RemoteAddr + " " + loggedURL(r)}
	c.conn, _ = r.Context().Value(connKey{}).(net.Conn)
	s.mu.Lock()
	s.streams[c] = struct{}{}
	s.mu.Unlock()
	return c
}

func (s *server) unregisterStream(c *streamCtl) {
	s.mu.Lock()
	delete(s.streams, c)
	s.mu.Unlock()
}

// dropSlow logs, once, that a stream's client was dropped as too slow.
func (s *server) dropSlow(c *streamCtl, why string) {
	c.dropped.Do(func() { s.log.Printf("dropped slow client %s: %s", c.client, why) })
}

// stuckAfter is how long a write must have been blocked for its stream to
// give up its slot to a new one: by then the client has left unread all
// that its receive buffer and the send buffer hold.
const stuckAfter = time.Second

// evictStuck, when every slot is taken, drops the stream whose write has been
// blocked longest, if one has been blocked for stuckAfter: its write fails at
// once and its handler ends, freeing its slot. It reports whether it dropped
// one.
func (s *server) evictStuck() bool {
	now := time.Now().UnixNano()
	var victim *streamCtl
	var since int64
	s.mu.Lock()
	for c := range s.streams {
		w := c.writing.Load()
		if c.conn == nil || w == 0 || now-w < int64(stuckAfter) || c.evicted.Load() {
			continue
		}
		if victim == nil || w < since {
			victim, since = c, w
		}
	}
	if victim != nil {
		// Before the deadline: a write that begins after this sees the flag
		// (serveStream's write sets its own deadline, then looks).
		victim.evicted.Store(true)
	}
	s.mu.Unlock()
	if victim == nil {
		return false
	}
	s.dropSlow(victim, "a write blocked for "+time.Duration(now-since).Round(time.Millisecond).String()+
		" and a new stream needed its slot (-max-streams)")
	_ = victim.conn.SetWriteDeadline(time.Unix(1, 0))
	return true
}

// controlStreams stalls or kills every open stream; it returns how many.
func (s *server) controlStreams(kill bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.streams {
		if kill {
			c.killOnce.Do(func() { close(c.kill) })
		} else {
			c.stallOnce.Do(func() { close(c.stall) })
		}
	}
	return len(s.streams)
}

// stallStreams: every open stream goes silent but stays open, as a stream
// behind a stuck proxy does.
func (s *server) stallStreams(w http.ResponseWriter, r *http.Request) {
	if drainBody(w, r) {
		writeJSON(w, map[string]any{"streams": s.controlStreams(false)})
	}
}

// killStreams: every open stream is dropped.
func (s *server) killStreams(w http.ResponseWriter, r *http.Request) {
	if drainBody(w, r) {
		writeJSON(w, map[string]any{"streams": s.controlStreams(true)})
	}
}

// drainBody reads a control request's body (its content is not used) before
// it acts: a body that is too large or too slow is answered, and nothing is
// done. It reports whether the body was read.
func drainBody(w http.ResponseWriter, r *http.Request) bool {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		bodyError(w, err)
		return false
	}
	return true
}
