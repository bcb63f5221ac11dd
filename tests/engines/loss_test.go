//go:build !js

package engines

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// flakyReplay serves events 1..total with ids, resuming after the request's
// Last-Event-ID, and cuts every connection after a few events: some in the
// middle of an event, some written byte by byte, as a flaky network would.
type flakyReplay struct {
	total int
	conns atomic.Int32
	mu    sync.Mutex
	state uint32
}

// next is a small deterministic generator: the same cuts in every engine.
func (s *flakyReplay) next(n uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = s.state*1664525 + 1013904223
	return (s.state >> 8) % n
}

func (s *flakyReplay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := s.conns.Add(1)
	from := 1
	if id, err := strconv.Atoi(lastEventID(r)); err == nil {
		from = id + 1
	}
	f := sseStart(w)
	burst := 1 + int(s.next(7))
	for i := from; i < from+burst && i <= s.total; i++ {
		// Non-ASCII, so that a cut can split a character.
		ev := fmt.Sprintf("id: %d\nevent: reading\ndata: {\"n\":%d,\"label\":\"Überweisung 🌡 %d\"}\n\n", i, i, i)
		if i == from+burst-1 && c%3 == 0 {
			ev = ev[:int(s.next(uint32(len(ev)-2)))+1] // the client must drop this part
		}
		if c%5 == 0 {
			for j := 0; j < len(ev); j++ {
				_, _ = w.Write([]byte{ev[j]})
				f.Flush()
			}
		} else {
			_, _ = w.Write([]byte(ev))
			f.Flush()
		}
	}
	if from > s.total {
		_, _ = fmt.Fprint(w, done)
		f.Flush()
		<-r.Context().Done()
	}
}

// Forced drops lose nothing and repeat nothing.
var _ = scenario("forced-drops", func(t *testing.T, b *browser) {
	rs := &flakyReplay{total: 300, state: 7}
	b.mux.Handle("/replay", rs)
	got := eval[map[string]float64](t, b, `return await new Promise((resolve) => {
  const seen = new Map();
  let bad = 0;
  // A 1 ms floor: hundreds of reconnects in a second or two.
  const es = new sseshim.EventSource('/replay', { retry: { initial: 1, factor: 1 }, json: true });
  es.addEventListener('reading', (e) => {
    const n = e.json.n;
    if (String(n) !== e.lastEventId || e.json.label !== 'Überweisung 🌡 ' + n) bad++;
    seen.set(n, (seen.get(n) || 0) + 1);
  });
  es.addEventListener('done', () => {
    es.close();
    let lost = 0, dup = 0;
    for (let i = 1; i <= 300; i++) { const c = seen.get(i) || 0; if (c === 0) lost++; if (c > 1) dup += c - 1; }
    resolve({ lost, dup, bad, reconnects: es.stats.reconnects });
  });
});`)
	t.Logf("%s: %v, %d connections", b.engine, got, rs.conns.Load())
	assert.Equal(t, float64(0), got["lost"])
	assert.Equal(t, float64(0), got["dup"])
	assert.Equal(t, float64(0), got["bad"], "every event whole, with its own id")
	assert.Greater(t, got["reconnects"], float64(60), "the drops were forced")
})
