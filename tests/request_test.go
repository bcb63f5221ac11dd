//go:build !js

package tests

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Requests beyond GET: the method and body go with every attempt, and a
// reconnect resends the body with Last-Event-ID.
func TestMethodAndBody(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	var seen []string
	s.mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		line := fmt.Sprintf("%s %s|%s|leid=%s", r.Method, r.Header.Get("Content-Type"), b, r.Header.Get("Last-Event-ID"))
		mu.Lock()
		seen = append(seen, line)
		n := len(seen)
		mu.Unlock()
		f := sseStart(w)
		if r.Header.Get("Last-Event-ID") == "" {
			fmt.Fprintf(w, "retry: 1\nid: %d\ndata: first\n\n", n)
		} else {
			fmt.Fprint(w, "data: resumed\n\nevent: done\ndata: .\n\n")
		}
		f.Flush()
		if r.Header.Get("Last-Event-ID") != "" {
			<-r.Context().Done()
		}
	})
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const run = (init) => new Promise((resolve) => {
    const log = [];
    const es = new sseshim.EventSource('/echo', init);
    es.onmessage = (e) => log.push(e.data);
    es.addEventListener('done', () => { es.close(); resolve(log.join()); });
    es.onerror = (e) => { if (es.readyState === 2) resolve('error ' + e.kind + ' ' + e.message); };
  });
  const r = {};
  r.json = await run({ method: 'post', body: JSON.stringify({ prompt: 'héllo' }), headers: { 'Content-Type': 'application/json' } });
  r.params = await run({ method: 'PUT', body: new URLSearchParams({ q: 'a b' }) });
  let n = 0;
  r.fn = await run({ method: 'POST', body: async () => 'attempt ' + (++n) });
  r.bytes = await run({ method: 'POST', body: new TextEncoder().encode('bytes') });
  for (const [k, init] of Object.entries({ getBody: { body: 'x' }, headBody: { method: 'HEAD', body: 'x' },
      trace: { method: 'TRACE' }, stream: { method: 'POST', body: new ReadableStream() }, badMethod: { method: 'GE T' } })) {
    try { new sseshim.EventSource('/echo', init).close(); r[k] = 'accepted'; } catch (e) { r[k] = e.name + ': ' + e.message; }
  }
  return r;
})()`)
	for _, k := range []string{"json", "params", "fn", "bytes"} {
		assert.Equal(t, "first,resumed", got[k], k)
	}
	for _, k := range []string{"getBody", "headBody", "trace", "stream", "badMethod"} {
		assert.Regexp(t, "^TypeError: sseshim: option (body|method)", got[k], k)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		`POST application/json|{"prompt":"héllo"}|leid=`, `POST application/json|{"prompt":"héllo"}|leid=1`,
		`PUT application/x-www-form-urlencoded;charset=UTF-8|q=a+b|leid=`, `PUT application/x-www-form-urlencoded;charset=UTF-8|q=a+b|leid=3`,
		`POST text/plain;charset=UTF-8|attempt 1|leid=`, `POST text/plain;charset=UTF-8|attempt 2|leid=5`,
		`POST |bytes|leid=`, `POST |bytes|leid=7`,
	}, seen)
}
