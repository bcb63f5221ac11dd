//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fetch option: every request of the source goes through the page's
// function, with the URL and init the engine uses: the first request (here
// begun while the engine loads, prefetch.js) and a reconnection, which
// carries Last-Event-ID. The global fetch makes none of them.
func TestFetchOptionMakesEveryRequest(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	var seen []string // each request's X-Via and Last-Event-ID
	s.mux.HandleFunc("/fo/stream", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Via")+" leid="+r.Header.Get("Last-Event-ID"))
		mu.Unlock()
		f := sseStart(w)
		if r.Header.Get("Last-Event-ID") == "" {
			fmt.Fprint(w, "retry: 10\nid: 7\ndata: first\n\n") // and the stream ends: a reconnection
			f.Flush()
			return
		}
		fmt.Fprint(w, "data: second\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	s.mux.HandleFunc("/fo/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
const realFetch = fetch;
window.globalCalls = [];
window.fetch = (input, init) => { globalCalls.push(String(input instanceof Request ? input.url : input)); return realFetch(input, init); };
window.calls = [];
const mine = function (input, init) {
  calls.push({
    input: String(input),
    method: init.method,
    cache: init.cache,
    credentials: init.credentials,
    accept: new Headers(init.headers).get('accept'),
    leid: new Headers(init.headers).get('last-event-id'),
    signal: init.signal instanceof AbortSignal,
    engineLoaded: !!(window.__sseshim && __sseshim.engine),
  });
  const headers = new Headers(init.headers);
  headers.set('X-Via', 'mine');
  return realFetch(input, { ...init, headers });
};
// Made before the engine has loaded: its first request goes out at once.
window.es = new sseshim.EventSource('/fo/stream', { fetch: mine });
window.got = new Promise((res) => {
  const data = [];
  es.onmessage = (e) => { data.push(e.data); if (data.length === 2) { es.close(); res(data.join()); } };
});
</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/fo/page.html")
	got := eval[map[string]any](tb, `got.then((data) => ({ data, calls, global: globalCalls.filter((u) => u.includes('/fo/')) }))`)
	assert.Equal(t, "first,second", got["data"])
	assert.Empty(t, got["global"], "the global fetch made no request of the source")
	calls := got["calls"].([]any)
	require.Len(t, calls, 2, "%v", calls)
	first, again := calls[0].(map[string]any), calls[1].(map[string]any)
	for i, c := range []map[string]any{first, again} {
		assert.Equal(t, s.URL+"/fo/stream", c["input"], "call %d", i)
		assert.Equal(t, "GET", c["method"], "call %d", i)
		assert.Equal(t, "no-store", c["cache"], "call %d", i)
		assert.Equal(t, "same-origin", c["credentials"], "call %d", i)
		assert.Equal(t, "text/event-stream", c["accept"], "call %d", i)
		assert.Equal(t, true, c["signal"], "call %d: the engine's signal, to abort it", i)
	}
	assert.Equal(t, false, first["engineLoaded"], "the first request began while the engine loaded")
	assert.Nil(t, first["leid"])
	assert.Equal(t, "7", again["leid"], "the reconnection carries Last-Event-ID")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"mine leid=", "mine leid=7"}, seen)
}

// What the function throws or rejects with is a network error carrying its
// message, and the usual retry rules apply: here the source reconnects and
// the next attempt, which succeeds, opens it; but an AbortError closes the
// source, as the user agent's abort does (README). A function that is not
// one is a TypeError naming the option.
func TestFetchOptionFailures(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/fo/ok", holdStream("data: ok\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const run = (fetchFn) => new Promise((resolve) => {
    const log = [];
    const es = new sseshim.EventSource('/fo/ok', { fetch: fetchFn, retry: { initial: 10, max: 10 } });
    es.onerror = (e) => log.push(['error', e.kind, es.readyState, e.message].join('|'));
    es.addEventListener('retrying', () => log.push('retrying'));
    es.onmessage = (e) => { log.push('message ' + e.data); es.close(); resolve(log); };
  });
  let n = 0, m = 0, k = 0;
  const r = {};
  r.rejects = await run((input, init) => (++n === 1 ? Promise.reject(new Error('nope ' + n)) : fetch(input, init)));
  r.throws = await run((input, init) => { if (++m === 1) throw new TypeError('thrown ' + m); return fetch(input, init); });
  r.rejectsString = await run((input, init) => (++k === 1 ? Promise.reject('just a string') : fetch(input, init)));
  // An AbortError the source did not cause is the user agent's abort
  // (window.stop()) as far as the source can tell: it fails for good.
  r.abortError = await new Promise((resolve) => {
    const log = [];
    let calls = 0;
    const es = new sseshim.EventSource('/fo/ok', { fetch: () => { calls++; return Promise.reject(new DOMException('gave up', 'AbortError')); }, retry: { initial: 10, max: 10 } });
    es.addEventListener('retrying', () => log.push('retrying'));
    es.onerror = (e) => { log.push(['error', e.kind, es.readyState].join('|')); if (es.readyState === 2) resolve({ log, calls }); };
  });
  r.bad = [];
  for (const v of ['fetch', {}, 1, null]) {
    try { new sseshim.EventSource('/fo/ok', { fetch: v }).close(); r.bad.push('accepted'); } catch (e) { r.bad.push(e.name + ': ' + e.message); }
  }
  return r;
})()`)
	for k, msg := range map[string]string{"rejects": "nope 1", "throws": "thrown 1", "rejectsString": "just a string"} {
		log := got[k].([]any)
		require.Len(t, log, 3, "%s: %v", k, log)
		assert.Regexp(t, `^error\|network\|0\|.*`+msg, log[0], k)
		assert.Equal(t, "retrying", log[1], k)
		assert.Equal(t, "message ok", log[2], k)
	}
	abort := got["abortError"].(map[string]any)
	assert.Equal(t, []any{"error|network|2"}, abort["log"], "an AbortError of the fetch function's own closes the source, with no retry")
	assert.EqualValues(t, 1, abort["calls"])
	for i, b := range got["bad"].([]any) {
		assert.Regexp(t, `^TypeError: sseshim: option fetch must be a function`, b, "case %d", i)
	}
}

// With share, a fetch function shares only under a group name, as a headers
// function does. The group's request is then made in a member tab, with
// that page's function, and its body transferred to the shared worker:
// when that tab goes away, the reconnection is made in another one; when
// the last member leaves, the request is aborted.
func TestFetchOptionWithShare(t *testing.T) {
	s := newShareServer(t)
	a, b := newTab(t), newTab(t)
	mine := func(user string) string {
		return `(input, init) => { const headers = new Headers(init.headers); headers.set('X-User', '` + user + `'); return fetch(input, { ...init, headers }); }`
	}
	enough := `new Promise((res) => { const n = src.ids.length; const c = () => (src.ids.length >= n + 5 ? res(true) : setTimeout(c, 20)); c(); })`
	for i, tb := range []*tab{a, b} {
		tb.navigate(s.URL + "/share.html")
		user := string(rune('a' + i))
		eval[bool](tb, `(window.src = open({ share: 'g', fetch: `+mine(user)+` }), true)`)
		eval[bool](tb, enough)
	}
	got := eval[map[string]any](a, `({ shared: src.es.stats.shared, tabs: src.es.stats.tabs, errors: src.errors,
  ungrouped: (() => { const es = new sseshim.EventSource('/shared', { share: true, fetch: (i, o) => fetch(i, o) }); const r = es.stats; es.close(); return r.shared + ': ' + r.notShared; })() })`)
	assert.Equal(t, true, got["shared"])
	assert.Equal(t, float64(2), got["tabs"])
	assert.Empty(t, got["errors"])
	assert.Contains(t, got["ungrouped"], "false: a headers or body function, a fetch function")
	assert.Equal(t, int32(1), s.conns.Load(), "one connection for both tabs")
	assert.True(t, inOrder(eval[[]any](b, `src.ids`)))

	// The tab whose function made the request goes away: its request ends,
	// and the next one is made in the other tab.
	a.navigate(s.URL + "/elsewhere.html")
	eval[bool](b, enough)
	assert.Empty(t, eval[[]any](b, `src.errors.filter((e) => !e.startsWith('network'))`))
	s.mu.Lock()
	users := append([]string(nil), s.users...)
	s.mu.Unlock()
	require.GreaterOrEqual(t, len(users), 2)
	assert.Equal(t, "a", users[0])
	assert.Equal(t, "b", users[len(users)-1], "%v", users)

	// The last member leaves: after the group's grace, its request is
	// aborted through the transferred body.
	eval[bool](b, `(src.es.close(), true)`)
	require.Eventually(t, func() bool { return s.active.Load() == 0 }, 10*time.Second, 50*time.Millisecond, "the request is still open")
}

// A shared group's request made with a fetch function may wait on its
// server longer than the worker's call timeout: once a tab has begun it,
// no other tab is asked to make it again.
func TestFetchOptionWithShareSlowServer(t *testing.T) {
	s := newServer(t)
	var requests atomic.Int32
	s.mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select { // the response's headers come after the call timeout
		case <-time.After(time.Second):
		case <-r.Context().Done():
			return
		}
		f := sseStart(w)
		fmt.Fprint(w, "data: late\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	s.mux.HandleFunc("/slow.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-polyfill="off" data-share-worker="/dist/sseshim-share.js?callTimeout=300"></script>
<script>
window.first = new Promise((resolve) => {
  window.es = new sseshim.EventSource('/slow-headers', { share: 'slow', fetch: (input, init) => fetch(input, init) });
  es.onmessage = (e) => resolve(e.data);
});
</script>`)
	})
	a, b := newTab(t), newTab(t)
	a.navigate(s.URL + "/slow.html")
	b.navigate(s.URL + "/slow.html")
	assert.Equal(t, "late", eval[string](a, `first`))
	assert.Equal(t, "late", eval[string](b, `first`))
	assert.Equal(t, true, eval[bool](b, `es.stats.shared`))
	assert.Equal(t, int32(1), requests.Load(), "one request for the group, made once")
}
