package main

import (
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Kaazing-style stock prices: message events carry a record, delete
// events the key of a removed one (a tombstone); every event has an id, and
// a reconnect with Last-Event-ID resumes right after it. The symbols trade
// from server start whether or not anyone listens, so a client that was away
// gets what it missed from the history.

var symbolRE = regexp.MustCompile(`^[A-Za-z]{1,5}$`)

// stockFleet trades from server start; other symbols start on their first
// subscriber.
var stockFleet = []string{"ACME", "GLOBX", "GOOG", "AAPL"}

// stockAll is the topic of every simulated symbol's records together:
// GET /stock-prices, as the document's first example reads it.
const stockAll = "stock/"

func (s *simulator) startStocks() {
	for _, sym := range stockFleet {
		s.always("stock/"+sym, s.stock, "stock/"+sym, stockAll)
	}
}

// stockStream: GET /stock-prices/{symbol}, or GET /stock-prices for every
// symbol. A reconnect with Last-Event-ID resumes right after that id from the
// bounded history. When the id is not in the history (too old, or from before
// a restart), the stream first sends an event "reset" whose data is
// {"reason":"history-lost","lastEventId":…}, so that the client knows to
// reload its records, then continues live.
func (s *server) stockStream(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	topic := stockAll
	if sym := r.PathValue("symbol"); sym != "" {
		if !symbolRE.MatchString(sym) {
			writeJSONError(w, http.StatusBadRequest, "a symbol is 1 to 5 letters")
			return
		}
		topic = "stock/" + strings.ToUpper(sym)
	}
	last := r.Header.Get("Last-Event-ID")
	sub, replay, state := s.hub.subscribe(topic, last)
	defer s.hub.unsubscribe(topic, sub)
	if topic != stockAll {
		s.sim.ensure(topic, s.sim.stock, topic, stockAll)
	}
	if state == resumeLost {
		replay = append([]frame{{event: "reset", data: mustJSON(map[string]any{"reason": "history-lost", "lastEventId": last})}}, replay...)
	}
	s.serveStream(w, r, f, streamOptions{contentType: sseType, heartbeat: s.cfg.heartbeat, initial: replay}, sub.ch, sub.kicked)
}

// stock publishes a symbol's trades twice a second (message events, each a
// record with its own key) and now and then the deletion of an older record
// (a delete event whose data is the key), with ids so that clients can
// resume. The price is a geometric random walk in whole cents.
func (s *simulator) stock(stop <-chan struct{}, name string, r *rand.Rand) {
	symbol := strings.TrimPrefix(name, "stock/")
	price := round(20+r.Float64()*380, 2)
	const volatility = 0.0015 // per trade: about 3 % a day at two trades a second
	seq := 0
	var live []string
	s.ticker(stop, 500*time.Millisecond, func() {
		if len(live) > 5 && r.IntN(5) == 0 {
			i := r.IntN(len(live) - 1)
			key := live[i]
			live = append(live[:i], live[i+1:]...)
			s.publishStock(name, frame{event: "delete", data: key})
			return
		}
		seq++
		key := symbol + "-" + strconv.Itoa(seq)
		live = append(live, key)
		price = math.Max(0.01, round(price*math.Exp(r.NormFloat64()*volatility), 2))
		s.publishStock(name, frame{data: mustJSON(struct {
			Key    string  `json:"key"`
			Symbol string  `json:"symbol"`
			Price  float64 `json:"price"`
			Time   string  `json:"time"`
		}{key, symbol, price, now()})})
	})
}

// publishStock publishes to the symbol's topic and to the topic of all
// symbols, each with its own ids.
func (s *simulator) publishStock(topic string, f frame) {
	s.hub.publish(topic, f, true)
	s.hub.publish(stockAll, f, true)
}
