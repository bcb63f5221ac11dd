package main

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Kaazing-style stock prices: message events carry a record, delete
// events the key of a removed one (a tombstone); every event has an id, and
// a reconnect with Last-Event-ID resumes right after it.

var symbolRE = regexp.MustCompile(`^[A-Za-z]{1,5}$`)

// stockStream: one shared topic per symbol. A reconnect with Last-Event-ID
// resumes right after that id from the bounded history. When the id is not
// in the history (too old, or from before a restart), the stream first sends
// an event "reset" whose data is {"reason":"history-lost","lastEventId":…}, so
// that the client knows to reload its records, then continues live.
func (s *server) stockStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	sym := r.PathValue("symbol")
	if !symbolRE.MatchString(sym) {
		writeJSONError(w, http.StatusBadRequest, "a symbol is 1 to 5 letters")
		return
	}
	topic := "stock/" + strings.ToUpper(sym)
	last := r.Header.Get("Last-Event-ID")
	sub, replay, state := s.subscribe(topic, last, s.sim.stock)
	defer s.unsubscribe(topic, sub)
	if state == resumeLost {
		replay = append([]frame{{event: "reset", data: mustJSON(map[string]any{"reason": "history-lost", "lastEventId": last})}}, replay...)
	}
	s.serveStream(w, r, f, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat, initial: replay}, sub.ch, sub.kicked)
}

// stock publishes price records (message events, each with a key) and now
// and then the deletion of an older record (a delete event whose data is the
// key), with ids so that clients can resume.
func (s *simulator) stock(stop <-chan struct{}, topic string) {
	symbol := strings.TrimPrefix(topic, "stock/")
	r := rng(topic)
	price := drift{v: 50 + r.Float64()*200, mean: 0, pull: 0, noise: 0.4, min: 1, max: 10000}
	price.mean = price.v
	seq := 0
	var live []string
	s.ticker(stop, 500*time.Millisecond, func() {
		if len(live) > 5 && r.IntN(5) == 0 {
			i := r.IntN(len(live) - 1)
			key := live[i]
			live = append(live[:i], live[i+1:]...)
			s.hub.publish(topic, frame{event: "delete", data: key}, true)
			return
		}
		seq++
		key := symbol + "-" + strconv.Itoa(seq)
		live = append(live, key)
		s.hub.publish(topic, frame{data: mustJSON(map[string]any{
			"key": key, "symbol": symbol, "price": round(price.step(r), 2), "time": now(),
		})}, true)
	})
}
