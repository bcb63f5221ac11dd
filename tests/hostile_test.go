//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Streams from a hostile or broken server must not crash the engine or
// freeze the page. Sizes here are the smallest at which each point holds.

// A long id persists from event to event: an event must not cost its
// length again. 4 MB id, then 300 events in one write: before, the id was
// copied into the Go→JS batch once per event (1.2 GB).
func TestLongIDIsSentOnce(t *testing.T) {
	s := newServer(t)
	const idLen, n = 4 << 20, 300
	s.mux.HandleFunc("/long-id", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("id: " + strings.Repeat("i", idLen) + "\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "data: %d\n\n", i)
		}
		b.WriteString("event: done\ndata: .\n\n")
		holdStream(b.String())(w, r)
	})
	s.mux.HandleFunc("/steady", holdStream("data: sibling\n\nevent: done\ndata: .\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, fmt.Sprintf(`new Promise((resolve) => {
  const r = { events: 0, idLens: new Set(), sibling: 0 };
  const es = new sseshim.EventSource('/long-id', { maxEventSize: 8 << 20 });
  es.onmessage = (e) => { r.events++; r.idLens.add(e.lastEventId.length); };
  es.onerror = (e) => { r.error = e.kind + ' ' + e.message; };
  es.addEventListener('done', () => {
    r.state = es.readyState; es.close();
    const sib = new sseshim.EventSource('/steady');
    sib.onmessage = () => r.sibling++;
    sib.addEventListener('done', () => { sib.close(); r.idLens = [...r.idLens]; resolve(r); });
  });
  setTimeout(() => resolve({ timeout: true, events: r.events }), 30000);
})`))
	assert.Nil(t, got["timeout"], "%v", got)
	assert.Equal(t, float64(n), got["events"])
	assert.Equal(t, []any{float64(4 << 20)}, got["idLens"], "every event carries the whole id")
	assert.Equal(t, float64(1), got["state"])
	assert.Equal(t, float64(1), got["sibling"], "the engine still serves another source")
	assert.Nil(t, got["error"])
}

// maxEventSize bounds the id as well as the data: an id over the cap closes
// the source with kind too-large, and a sibling source keeps working.
func TestLongIDOverTheCap(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/huge-id", holdStream("data: before\n\nid: "+strings.Repeat("i", 2<<20)+"\ndata: x\n\n"))
	s.mux.HandleFunc("/steady", holdStream("data: sibling\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const r = { log: [] };
  const es = new sseshim.EventSource('/huge-id', { maxEventSize: 1 << 20 });
  es.onmessage = (e) => r.log.push(e.data);
  es.onerror = (e) => {
    r.log.push('error ' + e.kind + ' rs=' + es.readyState);
    const sib = new sseshim.EventSource('/steady');
    sib.onmessage = (e) => { r.log.push('sibling ' + e.data); sib.close(); resolve(r); };
  };
  setTimeout(() => resolve(r), 20000);
})`)
	assert.Equal(t, []any{"before", "error too-large rs=2", "sibling sibling"}, got["log"])
}
