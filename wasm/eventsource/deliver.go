package eventsource

import "github.com/sseshim/sseshim/wasm/sse"

// outbox counts what one chunk's events change in the stats; the events
// themselves go to the sink as they are parsed (Sink.Event).
type outbox struct {
	_             noCompare
	queued, pings int // events (pings included) and pings queued from the current chunk
	dropped       int64
	bytes         int64
	activity      Instant

	// De-duplication (Config.Dedupe): the ids seen, and the fate of the
	// current id, which the events without an id of their own share.
	seen    *idSet
	prevID  string
	prevDup bool
}

func (o *outbox) resetDedupe() { o.prevID, o.prevDup = "", false }

// flush publishes the chunk's stats and ends the chunk for the sink, then
// reports an in-band stop, if any.
func (s *Source) flush() *outcome {
	o := &s.out
	n := o.queued
	if n > 0 {
		s.conn.carried = true
		s.checkHealthy()
	}
	s.life.mu.Lock()
	st := &s.life.stats
	st.Bytes += o.bytes
	if !o.activity.IsZero() {
		st.LastActivity = o.activity
	}
	st.Events += int64(n - o.pings)
	st.Pings += int64(o.pings)
	st.Dropped += o.dropped
	st.Failures = s.failures
	st.ReconnectionTime = s.reconnectionTime
	s.life.mu.Unlock()
	o.bytes, o.activity, o.dropped = 0, Instant{}, 0
	o.queued, o.pings = 0, 0
	if s.mayDeliver(noState, false) {
		s.sink.Flush(s.lastID, s.reconnectionTime)
	} else {
		s.sink.Discard()
	}
	return s.conn.stop
}

func (s *Source) emitSSE(e sse.Event) {
	ev := Event{Type: e.Type, Data: e.Data, LastEventID: e.ID}
	if s.conn.pingType != "" && e.Type == "message" && s.isEnvelopePing(e.Data) {
		ev.Type = s.conn.pingType
	}
	s.add(ev)
}

// add applies ping handling and de-duplication, then queues the event.
func (s *Source) add(ev Event) {
	if p := s.conn.pingType; p != "" && ev.Type == p {
		if s.conn.wd != nil {
			s.conn.wd.feed(s.clock.Now())
		}
		if !s.cfg.Ping.Dispatch {
			ev.Ping, ev.Data = true, ""
			s.queue(ev)
			return
		}
	}
	o := &s.out
	if o.seen != nil && ev.LastEventID != "" {
		// An event inherits the last id when it has none of its own, so a
		// new id marks an event that carried one; the events that follow it
		// without an id share its fate.
		if ev.LastEventID != o.prevID {
			o.prevID = ev.LastEventID
			o.prevDup = !o.seen.add(ev.LastEventID)
		}
		if o.prevDup {
			o.dropped++
			return
		}
	}
	s.queue(ev)
}

// queue counts an event and hands it to the sink.
func (s *Source) queue(ev Event) {
	o := &s.out
	o.queued++
	if ev.Ping {
		o.pings++
	}
	s.sink.Event(ev)
}

// idSet remembers the last n ids.
type idSet struct {
	ring []string
	next int
	set  map[string]struct{}
}

func newIDSet(n int) *idSet {
	return &idSet{ring: make([]string, n), set: make(map[string]struct{}, n)}
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if _, ok := s.set[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.set[id] = struct{}{}
	return true
}
