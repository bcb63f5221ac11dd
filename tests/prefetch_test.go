//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prefetchServer serves a page that makes one source as soon as sseshim.js
// has run, and a stream that records each request: when it arrived, its
// Accept header, and whether the client went away before the stream ended.
// The engine's module is held back until the test releases it, so that the
// engine is surely still loading meanwhile.
type prefetchServer struct {
	*server
	mu      sync.Mutex
	reqs    []prefetchReq
	release chan struct{}
	once    sync.Once
}

type prefetchReq struct {
	at     time.Time
	accept string
	token  string
	gone   chan struct{} // closed when the client goes away
}

func newPrefetchServer(t *testing.T) *prefetchServer {
	s := &prefetchServer{server: newServer(t), release: make(chan struct{})}
	t.Cleanup(s.releaseEngine)
	s.mux.HandleFunc("/pf/engine.wasm", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, filepath.Join(distDir, "sseshim.wasm"))
	})
	s.mux.HandleFunc("/pf/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off" data-wasm="/pf/engine.wasm"></script>
<script>
window.log = [];
const es = new sseshim.EventSource('/pf/stream', %s);
es.onmessage = (e) => {
  const ready = performance.getEntriesByName('sseshim:ready')[0];
  log.push({ data: e.data, ready: performance.timeOrigin + ready.startTime });
  es.close();
};
es.onerror = (e) => log.push({ error: e.kind + ' ' + e.message });
</script>`, r.URL.Query().Get("opts"))
	})
	s.mux.HandleFunc("/pf/stream", func(w http.ResponseWriter, r *http.Request) {
		q := prefetchReq{at: time.Now(), accept: r.Header.Get("Accept"), token: r.Header.Get("X-Token"), gone: make(chan struct{})}
		s.mu.Lock()
		s.reqs = append(s.reqs, q)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: hello\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(q.gone)
	})
	return s
}

func (s *prefetchServer) releaseEngine() { s.once.Do(func() { close(s.release) }) }

// firstRequest waits for the stream's first request.
func (s *prefetchServer) firstRequest(t *testing.T) prefetchReq {
	var reqs []prefetchReq
	require.Eventually(t, func() bool { reqs = s.requests(); return len(reqs) > 0 }, 5*time.Second, 10*time.Millisecond,
		"no request while the engine loads")
	return reqs[0]
}

func (s *prefetchServer) requests() []prefetchReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]prefetchReq(nil), s.reqs...)
}

// firstMessage waits for the page's first message and returns its data and
// when the engine was ready (Unix ms).
func firstMessage(t *testing.T, tb *tab) (string, float64) {
	got := eval[[]map[string]any](tb, `new Promise((r) => { const c = () => log.length ? r(log) : setTimeout(c, 10); c(); setTimeout(() => r([{ error: 'timeout' }]), 10000); })`)
	require.Len(t, got, 1)
	require.Nil(t, got[0]["error"], "%v", got[0]["error"])
	return got[0]["data"].(string), got[0]["ready"].(float64)
}

// A source made while the engine loads sends its first request at once, and
// the engine takes that response once it is ready: one request, the one the
// engine would have made, which reached the server before the engine was
// ready.
func TestFirstRequestWhileTheEngineLoads(t *testing.T) {
	s := newPrefetchServer(t)
	tb := newTab(t)
	tb.navigate(s.URL + "/pf/page.html?opts={headers: {'X-Token': 'abc'}}")
	s.firstRequest(t)
	s.releaseEngine()
	data, ready := firstMessage(t, tb)
	assert.Equal(t, "hello", data)
	reqs := s.requests()
	require.Len(t, reqs, 1, "one request: the engine took the one the shim began")
	assert.Equal(t, "text/event-stream", reqs[0].accept)
	assert.Equal(t, "abc", reqs[0].token)
	assert.Less(t, float64(reqs[0].at.UnixMicro())/1000, ready, "the request reached the server before the engine was ready")
}

// A request the shim cannot tell for sure (here: headers from a function,
// called before every attempt) waits for the engine.
func TestFirstRequestWaitsForTheEngineWhenUnsure(t *testing.T) {
	s := newPrefetchServer(t)
	s.releaseEngine()
	tb := newTab(t)
	tb.navigate(s.URL + "/pf/page.html?opts={headers: () => ({'X-Token': 'fn'})}")
	data, ready := firstMessage(t, tb)
	assert.Equal(t, "hello", data)
	reqs := s.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "fn", reqs[0].token)
	assert.GreaterOrEqual(t, float64(reqs[0].at.UnixMicro())/1000, ready, "the engine made the request")
}

// close() before the engine is ready aborts the first request.
func TestFirstRequestAbortedByClose(t *testing.T) {
	s := newPrefetchServer(t)
	tb := newTab(t)
	tb.navigate(s.URL + "/pf/page.html?opts={}")
	req := s.firstRequest(t)
	require.True(t, eval[bool](tb, `es.close(); !(window.__sseshim && __sseshim.engine)`), "closed while the engine loads")
	select {
	case <-req.gone:
	case <-time.After(5 * time.Second):
		t.Fatal("close() left the first request open")
	}
	s.releaseEngine()
	assert.True(t, eval[bool](tb, `sseshim.ready.then(() => new Promise((r) => setTimeout(() => r(true), 100)))`))
	assert.Len(t, s.requests(), 1, "the engine made no request of its own")
	assert.Empty(t, eval[[]any](tb, `log`), "a closed source fires nothing")
}

// On HTTP/1.1 a browser opens at most six connections to a host, and a
// stream holds its connection for good. Eight sources made while the engine
// loads must not take every connection before the engine's own module is
// requested: the module would wait behind streams that wait for it, and the
// page would never get an event.
func TestFirstRequestsLeaveTheEngineAConnection(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/pf/stream", holdStream("data: hello\n\n"))
	s.mux.HandleFunc("/pf/many.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
window.got = 0;
window.sources = [];
for (let i = 0; i < 8; i++) {
  const es = new sseshim.EventSource('/pf/stream?n=' + i);
  es.onmessage = () => { got++; };
  sources.push(es);
}
</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/pf/many.html")
	got := eval[float64](tb, `new Promise((r) => { const c = () => got >= 5 ? r(got) : setTimeout(c, 20); c(); setTimeout(() => r(got), 10000); })`)
	assert.GreaterOrEqual(t, got, float64(5), "the engine loaded and the streams that have a connection deliver")
	eval[bool](tb, `(sources.forEach((es) => es.close()), true)`)
}
