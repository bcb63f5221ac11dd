//go:build !js

package bench

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// TestSoak streams Losant-style events with ids through sseshim with
// dedupe and json on, and samples the JavaScript heap (after a collection)
// and the wasm memory at regular intervals: after a warm-up neither may
// grow. make bench runs a million events (SSESHIM_BENCH=full); make test
// runs a smaller soak with the same assertions.
func TestSoak(t *testing.T) {
	mode := currentBenchMode()
	total, every := 60_000, 10_000
	if mode.name == "full" {
		total, every = 1_000_000, 100_000
	}
	s := browsertest.NewServer(t)
	s.Mux.HandleFunc("/soak", func(w http.ResponseWriter, r *http.Request) {
		f := browsertest.SSEStart(w)
		var b strings.Builder
		for i := 1; i <= total; i++ {
			msg := fmt.Sprintf(`{\"time\":\"2026-12-01T10:00:%02d.000Z\",\"data\":{\"temperature\":%d.5,\"unit\":\"°C\",\"name\":\"Kühlhaus Süd ❄ %d\"}}`, i%60, i%40, i%7)
			fmt.Fprintf(&b, "id: %d\nevent: mqttMessage\ndata: {\"topic\":\"losant/gen-1/state\",\"message\":\"%s\",\"time\":%d}\n\n", i, msg, i)
			if i%500 == 0 || i == total {
				if _, err := w.Write([]byte(b.String())); err != nil {
					return
				}
				f.Flush()
				b.Reset()
			}
		}
		fmt.Fprint(w, "event: done\ndata: .\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	tb := browsertest.OpenHarness(t, s)
	got := browsertest.Eval[map[string]any](tb, fmt.Sprintf(`new Promise((resolve) => {
  const total = %d, every = %d;
  const samples = [];
  let n = 0, sum = 0, bad = 0;
  const es = new sseshim.EventSource('/soak', { dedupe: true, json: true });
  es.addEventListener('mqttMessage', (e) => {
    n++;
    const m = e.json;
    if (m.message.data.unit !== '°C' || String(m.time) !== e.lastEventId) bad++;
    sum += m.message.data.temperature;
    if (n %% every === 0) {
      gc();
      samples.push({ n, heap: performance.memory.usedJSHeapSize, wasm: __sseshim.instance.exports.mem.buffer.byteLength });
    }
  });
  es.addEventListener('done', () => { es.close(); resolve({ n, bad, samples, stats: es.stats }); });
})`, total, every))
	samples := got["samples"].([]any)
	var md strings.Builder
	fmt.Fprintf(&md, "Soak (%s mode), %s, %s: %d Losant-style events with ids through sseshim with `dedupe` and `json`; "+
		"the JS heap read after a collection, and the engine's wasm memory.\n\n| events | JS heap | wasm memory |\n|---|---|---|\n",
		mode.name, time.Now().UTC().Format("2006-01-02"), machine(), total)
	for _, s := range samples {
		m := s.(map[string]any)
		fmt.Fprintf(&md, "| %.0f | %.2f MB | %.2f MB |\n", m["n"], m["heap"].(float64)/1e6, m["wasm"].(float64)/1e6)
	}
	t.Log("\n" + md.String())
	if mode.name == "full" {
		readmeSection(t, "soak", mode.name, "TestSoak", md.String())
	}
	assert.Equal(t, float64(total), got["n"])
	assert.Equal(t, float64(0), got["bad"])
	warm := samples[1].(map[string]any)
	last := samples[len(samples)-1].(map[string]any)
	assert.LessOrEqual(t, last["wasm"].(float64)-warm["wasm"].(float64), float64(1<<20), "wasm memory after warm-up")
	assert.Less(t, last["heap"].(float64)-warm["heap"].(float64), float64(2<<20), "JS heap after warm-up")
}
