//go:build !js

package engines

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The last event ID reaches the server as its UTF-8 bytes
// (#reestablish-the-connection: the header's value is the last event ID
// string, encoded as UTF-8), whatever its characters, in every engine.
// WebKit's fetch() cannot send them in a header (it re-encodes U+0080–U+00FF
// as UTF-8 and refuses anything above), so there sseshim sends a non-ASCII
// ID in the query parameter lastEventId instead: the test says so.
var _ = scenario("last-event-id-bytes", func(t *testing.T, b *browser) {
	ids := []string{"…", "é", "Überweisung 😀", "plain-ascii"}
	var list []stream
	for i, id := range ids {
		list = append(list, stream{name: fmt.Sprintf("id%d", i), conns: []conn{
			{chunks: []string{fastRetry + "id: " + id + "\ndata: x\n\n"}},
			{chunks: []string{done}},
		}})
	}
	h := newStreams(list)
	b.mux.Handle("/leid/", h)
	js, _ := json.Marshal(ids)
	eval[any](t, b, `
const ids = %s, runs = [];
ids.forEach((id, i) => {
  runs.push(record('native', '/leid/id' + i + '?run=native'));
  runs.push(record('shim', '/leid/id' + i + '?run=shim'));
  // The first request of a source given the ID (the lastEventId option).
  runs.push(record('shim', '/leid/id' + i + '?run=option', {init: {lastEventId: id}}));
  // A reconnect from a dedicated worker, whose navigator differs.
  runs.push(new Promise((resolve) => {
    const src = 'importScripts(' + JSON.stringify(location.origin + '/dist/sseshim.js') + ');' +
      'const es = new sseshim.EventSource(' + JSON.stringify(location.origin + '/leid/id' + i + '?run=worker') + ');' +
      'es.addEventListener("done", () => { es.close(); postMessage("done"); });';
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    w.onmessage = () => { w.terminate(); resolve(); };
    w.onerror = (e) => { w.terminate(); resolve(); };
  }));
});
return Promise.all(runs);`, js)
	for i, id := range ids {
		name := fmt.Sprintf("id%d", i)
		t.Run(id, func(t *testing.T) {
			native := h.requests(name, "native")
			require.Len(t, native, 2)
			assert.Equal(t, []byte(id), []byte(native[1].Header.Get("Last-Event-ID")), "%s's own EventSource", b.engine)
			shim := h.requests(name, "shim")
			require.Len(t, shim, 2)
			option := h.requests(name, "option")
			require.NotEmpty(t, option)
			worker := h.requests(name, "worker")
			require.Len(t, worker, 2)
			for what, r := range map[string]*http.Request{"reconnect": shim[1], "lastEventId option": option[0], "worker's reconnect": worker[1]} {
				header, query := r.Header.Get("Last-Event-ID"), r.URL.Query().Get("lastEventId")
				if b.engine == "webkit" && !isASCII(id) {
					t.Logf("webkit: the %s sends the ID in the query (its fetch cannot send these bytes in a header)", what)
					assert.Equal(t, "", header, what)
					assert.Equal(t, []byte(id), []byte(query), what)
					continue
				}
				assert.Equal(t, []byte(id), []byte(header), what)
				assert.Equal(t, "", query, what)
			}
		})
	}
})

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
