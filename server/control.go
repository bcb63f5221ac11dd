package main

import (
	"net/http"
	"sync"
)

// streamCtl lets the demo controls stall or kill an open stream.
type streamCtl struct {
	stall, kill chan struct{}
	stallOnce   sync.Once
	killOnce    sync.Once
}

func (s *server) registerStream() *streamCtl {
	c := &streamCtl{stall: make(chan struct{}), kill: make(chan struct{})}
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
	writeJSON(w, map[string]any{"streams": s.controlStreams(false)})
}

// killStreams: every open stream is dropped.
func (s *server) killStreams(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"streams": s.controlStreams(true)})
}
