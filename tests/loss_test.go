//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// replayServer serves events 1..total with ids, resuming after the request's
// Last-Event-ID, and cuts each connection after a few events — sometimes in
// the middle of one, sometimes flushing byte by byte — as a flaky network
// would. Nothing may be lost or delivered twice.
type replayServer struct {
	total int
	conns atomic.Int32
	mu    sync.Mutex
	rnd   uint32
}

func (s *replayServer) next(n uint32) uint32 { // a small deterministic generator
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rnd = s.rnd*1664525 + 1013904223
	return (s.rnd >> 8) % n
}

func (s *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := s.conns.Add(1)
	from := 1
	if id, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil {
		from = id + 1
	}
	f := sseStart(w)
	burst := 1 + int(s.next(7))
	drip := c%5 == 0
	for i := from; i < from+burst && i <= s.total; i++ {
		// "Überweisung" and "🌡": non-ASCII, so that a cut can split a character.
		ev := fmt.Sprintf("id: %d\nevent: reading\ndata: {\"n\":%d,\"label\":\"Überweisung 🌡 %d\"}\n\n", i, i, i)
		if i == from+burst-1 && c%3 == 0 {
			ev = ev[:int(s.next(uint32(len(ev)-2)))+1] // cut mid-event: the client must drop this part
		}
		if drip {
			for j := 0; j < len(ev); j++ {
				w.Write([]byte{ev[j]})
				f.Flush()
			}
		} else {
			w.Write([]byte(ev))
			f.Flush()
		}
	}
	if from > s.total {
		fmt.Fprint(w, "event: done\ndata: .\n\n")
		f.Flush()
		<-r.Context().Done()
	}
}

func TestNothingLostOrDuplicatedAcrossForcedDrops(t *testing.T) {
	s := newServer(t)
	rs := &replayServer{total: 400, rnd: 7}
	s.mux.Handle("/replay", rs)
	tb := openHarness(t, s)
	got := eval[map[string]float64](tb, `new Promise((resolve) => {
  const seen = new Map();
  let bad = 0;
  // A policy with a 1 ms floor: hundreds of reconnects in a second or two.
  const es = new sseshim.EventSource('/replay', { retry: { initial: 1, factor: 1 }, json: true });
  es.addEventListener('reading', (e) => {
    const n = e.json.n;
    if (String(n) !== e.lastEventId || e.json.label !== 'Überweisung 🌡 ' + n) bad++;
    seen.set(n, (seen.get(n) || 0) + 1);
  });
  es.addEventListener('done', () => {
    es.close();
    let lost = 0, dup = 0;
    for (let i = 1; i <= 400; i++) { const c = seen.get(i) || 0; if (c === 0) lost++; if (c > 1) dup += c - 1; }
    resolve({ lost, dup, bad, reconnects: es.stats.reconnects });
  });
  setTimeout(() => resolve({ timeout: 1, lost: -1 }), 60000);
})`)
	t.Logf("%v, %d connections", got, rs.conns.Load())
	assert.Equal(t, float64(0), got["lost"])
	assert.Equal(t, float64(0), got["dup"])
	assert.Equal(t, float64(0), got["bad"], "every event whole, with its own id")
	assert.Greater(t, got["reconnects"], float64(90), "the drops were forced")
}
