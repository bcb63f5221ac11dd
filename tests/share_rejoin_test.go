//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// drivenStream is a stream the test drives: each connection gets what emit sends; gate
// holds new connections (no response) while closed is set.
type drivenStream struct {
	mu    sync.Mutex
	conns []chan string
	hold  chan struct{}
	leids []string
}

func (h *drivenStream) emit(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c <- s
	}
}

// drop ends every connection and holds the next ones until release.
func (h *drivenStream) drop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = make(chan struct{})
	for _, c := range h.conns {
		close(c)
	}
	h.conns = nil
}

func (h *drivenStream) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.hold)
	h.hold = nil
}

func newDrivenServer(t *testing.T) (*server, *drivenStream) {
	s := newServer(t)
	h := &drivenStream{}
	s.mux.HandleFunc("/hub", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		hold := h.hold
		h.leids = append(h.leids, r.Header.Get("Last-Event-ID"))
		h.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		f := sseStart(w)
		fmt.Fprint(w, "retry: 100\n\n")
		f.Flush()
		c := make(chan string, 16)
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
		for {
			select {
			case <-r.Context().Done():
				return
			case s, ok := <-c:
				if !ok {
					return
				}
				fmt.Fprint(w, s)
				f.Flush()
			}
		}
	})
	s.mux.HandleFunc("/nolocks.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script>Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });
window.dropBeats = false;
const orig = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (m, ...rest) { if (window.dropBeats && m && m.t === 'beat') return; return orig.call(this, m, ...rest); };
</script>
<script src="/dist/sseshim.js" data-polyfill="off" data-share-worker="/dist/sseshim-share.js?beat=200"></script>
<script>
window.open = (name) => {
  const r = { data: [], opens: 0, retrying: [] };
  const es = new sseshim.EventSource('/hub', { share: name || true });
  es.onmessage = (e) => r.data.push(e.data);
  es.onopen = () => r.opens++;
  es.addEventListener('retrying', (e) => r.retrying.push(e.reason || ''));
  r.es = es;
  return r;
};
window.until = (f) => new Promise((res) => { const c = () => (f() ? res(true) : setTimeout(c, 20)); c(); });
</script>`)
	})
	return s, h
}

func rejoinSetup(t *testing.T) (*server, *drivenStream, *tab, *tab) {
	s, h := newDrivenServer(t)
	a, b := newTab(t), newTab(t)
	a.navigate(s.URL + "/nolocks.html")
	b.navigate(s.URL + "/nolocks.html")
	eval[bool](a, `(window.src = open(), true)`)
	eval[bool](a, `until(() => src.es.readyState === 1)`)
	eval[bool](b, `(window.src = open(), true)`)
	eval[bool](b, `until(() => src.es.readyState === 1)`)
	h.emit("id: 1\ndata: a\n\n")
	eval[bool](a, `until(() => src.data.length === 1)`)
	eval[bool](b, `until(() => src.data.length === 1)`)
	t.Logf("visibility a=%s", eval[string](a, `document.visibilityState`))
	return s, h, a, b
}

// sweep makes the worker take tab a for gone: its beats are dropped for
// longer than three beats (the tab is visible).
func sweep(t *testing.T, a *tab) {
	eval[bool](a, `(dropBeats = true, true)`)
	time.Sleep(1500 * time.Millisecond)
}

// Two beats reach the worker before the resumed tab's join (the overdue
// interval beat and the visibilitychange beat): the tab joins once, and gets
// each event once.
func TestShareRejoinsOnce(t *testing.T) {
	_, h, a, b := rejoinSetup(t)
	sweep(t, a)
	eval[bool](a, `(dropBeats = false, document.dispatchEvent(new Event('visibilitychange')), document.dispatchEvent(new Event('visibilitychange')), true)`)
	eval[bool](a, `until(() => src.es.readyState === 1 && src.retrying.length >= 1)`)
	time.Sleep(500 * time.Millisecond)
	h.emit("id: 2\ndata: b\n\n")
	eval[bool](b, `until(() => src.data.length === 2)`)
	time.Sleep(500 * time.Millisecond)
	got := eval[map[string]any](a, `({ data: src.data, opens: src.opens, retrying: src.retrying, tabs: src.es.stats.tabs })`)
	t.Logf("a: %v", got)
	assert.Equal(t, []any{"a", "b"}, got["data"], "each event once")
}

// A tab taken for gone that makes a new shared source before its next beat
// is known again by that join: its other sources are still told to rejoin.
func TestShareNewSourceDoesNotOrphanTheOld(t *testing.T) {
	_, h, a, b := rejoinSetup(t)
	sweep(t, a)
	eval[bool](a, `(window.other = open('other'), true)`)
	eval[bool](a, `until(() => other.es.readyState === 1)`)
	eval[bool](a, `(dropBeats = false, true)`)
	time.Sleep(1000 * time.Millisecond)
	h.emit("id: 2\ndata: b\n\n")
	eval[bool](b, `until(() => src.data.length === 2)`)
	eval[bool](a, `until(() => other.data.length >= 1)`)
	time.Sleep(300 * time.Millisecond)
	got := eval[map[string]any](a, `({ data: src.data, rs: src.es.readyState, retrying: src.retrying, other: other.data })`)
	t.Logf("a: %v", got)
	assert.Equal(t, []any{"a", "b"}, got["data"], "the first source still gets events")
}

// A rejoining tab gets what it missed, events without an id field included
// (the worker counts events; ids are optional and may repeat).
func TestShareRejoinGetsEventsWithoutIDs(t *testing.T) {
	_, h, a, b := rejoinSetup(t)
	sweep(t, a)
	h.emit("data: b\n\n")
	eval[bool](b, `until(() => src.data.length === 2)`)
	eval[bool](a, `(dropBeats = false, true)`)
	eval[bool](a, `until(() => src.retrying.length >= 1 && src.es.readyState === 1)`)
	h.emit("id: 3\ndata: c\n\n")
	eval[bool](a, `until(() => src.data.includes('c'))`)
	got := eval[[]any](a, `src.data`)
	assert.Equal(t, []any{"a", "b", "c"}, got, "nothing lost")
}

// A tab that rejoins while the group is reconnecting gets what it missed
// when the group is open again.
func TestShareRejoinWhileReconnecting(t *testing.T) {
	_, h, a, b := rejoinSetup(t)
	sweep(t, a)
	h.emit("id: 2\ndata: b\n\n")
	eval[bool](b, `until(() => src.data.length === 2)`)
	h.drop()
	eval[bool](b, `until(() => src.es.readyState === 0)`)
	eval[bool](a, `(dropBeats = false, true)`)
	eval[bool](a, `until(() => src.retrying.length >= 1)`)
	time.Sleep(500 * time.Millisecond)
	h.release()
	eval[bool](a, `until(() => src.es.readyState === 1)`)
	time.Sleep(300 * time.Millisecond)
	h.emit("id: 3\ndata: c\n\n")
	eval[bool](a, `until(() => src.data.includes('c'))`)
	got := eval[[]any](a, `src.data`)
	h.mu.Lock()
	t.Logf("Last-Event-IDs: %q", h.leids)
	h.mu.Unlock()
	assert.Equal(t, []any{"a", "b", "c"}, got, "nothing lost")
}

// await sseshim.ready loads the engine, as .then does (await on a plain
// Promise never looks up an own then).
func TestAwaitReadyLoadsTheEngine(t *testing.T) {
	s, _ := newDrivenServer(t)
	s.mux.HandleFunc("/await.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
window.es = new sseshim.EventSource('/hub', { share: true });
window.result = 'pending';
(async () => { await sseshim.ready; result = 'resolved'; })();
</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/await.html")
	time.Sleep(2 * time.Second)
	got := eval[string](tb, `result`)
	then := eval[string](tb, `new Promise((r) => { sseshim.ready.then(() => r('then resolved')); setTimeout(() => r('then pending'), 5000); })`)
	after := eval[string](tb, `new Promise((r) => setTimeout(() => r(result), 50))`)
	t.Logf("await: %s; then: %s; await after then: %s", got, then, after)
	assert.Equal(t, "resolved", got, "await sseshim.ready loads the engine (index.d.ts)")
}

// A tab that joins after every tab of the group was asked a headers call,
// and none has answered, is asked at the next call timeout.
func TestShareLateTabIsAsked(t *testing.T) {
	s, _ := newDrivenServer(t)
	s.mux.HandleFunc("/calls.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-polyfill="off" data-share-worker="/dist/sseshim-share.js?callTimeout=300"></script>
<script>
window.go = (stuck) => {
  window.es = new sseshim.EventSource('/hub', { share: 'g', headers: () => (stuck ? new Promise(() => {}) : { 'X-User': 'b' }) });
};
</script>`)
	})
	a, b := newTab(t), newTab(t)
	a.navigate(s.URL + "/calls.html")
	b.navigate(s.URL + "/calls.html")
	eval[bool](a, `(go(true), true)`)
	time.Sleep(time.Second) // > callTimeout: a was asked, no one else to ask
	eval[bool](b, `(go(false), true)`)
	got := eval[string](b, `new Promise((r) => { es.onopen = () => r('open'); setTimeout(() => r('still connecting after 5 s'), 5000); })`)
	assert.Equal(t, "open", got)
}
