//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Batch mode: one batch event per delivery, the events in order as plain
// records, no message events; 'frame' coalesces deliveries per animation
// frame; pings, errors and stats are unchanged.
func TestBatchMode(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/points", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		for c := 0; c < 20; c++ {
			var b strings.Builder
			for i := 0; i < 50; i++ {
				n := c*50 + i
				fmt.Fprintf(&b, "id: %d\nevent: point\ndata: {\"n\":%d,\"label\":\"Süd ❄\"}\n\n", n, n)
			}
			if c == 10 {
				b.WriteString("event: ping\ndata: \n\n")
			}
			w.Write([]byte(b.String()))
			f.Flush()
		}
		fmt.Fprint(w, "event: done\ndata: .\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	tb := openHarness(t, s)
	for _, mode := range []string{"true", "'frame'"} {
		got := eval[map[string]any](tb, `new Promise((resolve) => {
  const r = { batches: 0, n: 0, ordered: true, messages: 0, pings: 0, lazy: true, cls: true };
  const es = new sseshim.EventSource('/points', { batch: `+mode+`, json: true, ping: 60000 });
  es.onmessage = () => r.messages++;
  es.addEventListener('point', () => r.messages++);
  es.addEventListener('ping', () => r.pings++);
  es.addEventListener('batch', (e) => {
    r.batches++;
    r.cls = r.cls && e instanceof sseshim.BatchEvent;
    for (const ev of e.events) {
      if (ev.type === 'done') { es.close(); r.stats = es.stats.events; resolve(r); return; }
      if (ev.type !== 'point' || ev.json.n !== r.n || ev.lastEventId !== String(r.n) || ev.json.label !== 'Süd ❄') r.ordered = false;
      if (Object.keys(ev).join() !== 'type,data,lastEventId') r.lazy = false;
      r.n++;
    }
  });
})`)
		t.Logf("batch %s: %v", mode, got)
		assert.Equal(t, float64(1000), got["n"], mode)
		assert.Equal(t, true, got["ordered"], mode)
		assert.Equal(t, true, got["lazy"], "records are plain: json is a lazy getter")
		assert.Equal(t, true, got["cls"])
		assert.Equal(t, float64(0), got["messages"], "no message events in batch mode")
		assert.Equal(t, float64(1), got["pings"])
		assert.Equal(t, float64(1001), got["stats"], "stats count events")
		assert.LessOrEqual(t, got["batches"], float64(21), "at most one batch per chunk")
	}
}
