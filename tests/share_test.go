//go:build !js

package tests

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shareServer streams a tick every 50 ms with a global id, and records the
// connections it got and the X-User header of each; /elsewhere.html is a
// page to navigate away to.
type shareServer struct {
	*server
	conns  atomic.Int32
	active atomic.Int32
	mu     sync.Mutex
	users  []string
	leids  []string // each connection's Last-Event-ID
}

func newShareServer(t *testing.T) *shareServer {
	s := &shareServer{server: newServer(t)}
	var tick atomic.Int64
	s.mux.HandleFunc("/shared", func(w http.ResponseWriter, r *http.Request) {
		s.conns.Add(1)
		s.active.Add(1)
		defer s.active.Add(-1)
		s.mu.Lock()
		s.users = append(s.users, r.Header.Get("X-User"))
		s.leids = append(s.leids, r.Header.Get("Last-Event-ID"))
		s.mu.Unlock()
		f := sseStart(w)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tk.C:
				n := tick.Add(1)
				fmt.Fprintf(w, "id: %d\ndata: tick %d\n\n", n, n)
				f.Flush()
			}
		}
	})
	s.mux.HandleFunc("/elsewhere.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><p>elsewhere</p>`)
	})
	s.mux.HandleFunc("/share.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
window.open = (init) => {
  const r = { ids: [], errors: [] };
  const es = new sseshim.EventSource('/shared', init);
  es.onmessage = (e) => r.ids.push(Number(e.lastEventId));
  es.onerror = (e) => r.errors.push(e.kind + ' ' + e.message);
  r.es = es;
  return r;
};
</script>`)
	})
	return s
}

// newFlakyServer serves /flaky, a stream that sends one event with the next
// id and ends (retry: 100), so that every reconnect runs the group's headers
// function again, and /group.html, a page whose go(me) opens it in group g
// with a headers function naming me (counting events in seen, retrying
// reasons in reasons); its ?worker= is the query of the shared worker's URL,
// and ?nolocks hides Web Locks. users returns each request's X-User header
// in order.
func newFlakyServer(t *testing.T) (s *server, users func() []string) {
	s = newServer(t)
	var mu sync.Mutex
	var got []string
	var n atomic.Int32
	s.mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-User"))
		mu.Unlock()
		f := sseStart(w)
		fmt.Fprintf(w, "retry: 100\nid: %d\ndata: x\n\n", n.Add(1))
		f.Flush()
	})
	s.mux.HandleFunc("/group.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">`)
		if r.URL.Query().Has("nolocks") {
			fmt.Fprint(w, `<script>Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });</script>`)
		}
		fmt.Fprintf(w, `<script src="/dist/sseshim.js" data-polyfill="off" data-share-worker="/dist/sseshim-share.js?%s"></script>
<script>window.seen = 0; window.reasons = [];
window.go = (me) => {
  window.es = new sseshim.EventSource('/flaky', { share: 'g', headers: () => ({ 'X-User': me }) });
  es.onmessage = () => seen++;
  es.addEventListener('retrying', (e) => e.reason && reasons.push(e.reason));
};</script>`, html.EscapeString(r.URL.Query().Get("worker")))
	})
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// inOrder reports whether ids run consecutively.
func inOrder(ids []any) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i].(float64) != ids[i-1].(float64)+1 {
			return false
		}
	}
	return len(ids) > 0
}

// Seven tabs — more than the six connections a browser allows an origin over
// HTTP/1.1 — share one connection: every tab gets every event in order; the
// first tab leaves and the others go on; stats say so.
func TestShareAcrossTabs(t *testing.T) {
	s := newShareServer(t)
	var tabs []*tab
	for i := 0; i < 7; i++ {
		tb := newTab(t)
		tb.navigate(s.URL + "/share.html")
		eval[bool](tb, `(window.src = open({ share: true }), true)`)
		tabs = append(tabs, tb)
	}
	wait := `new Promise((resolve) => { const check = () => (src.ids.length >= 10 ? resolve(true) : setTimeout(check, 20)); check(); })`
	for _, tb := range tabs {
		eval[bool](tb, wait)
	}
	assert.Equal(t, int32(1), s.conns.Load(), "one connection for seven tabs")
	for i, tb := range tabs {
		got := eval[map[string]any](tb, `({ ids: src.ids, shared: src.es.stats.shared, tabs: src.es.stats.tabs, errors: src.errors })`)
		assert.True(t, inOrder(got["ids"].([]any)), "tab %d: %v", i, got["ids"])
		assert.Equal(t, true, got["shared"])
		assert.Equal(t, float64(7), got["tabs"])
		assert.Empty(t, got["errors"])
	}
	// The first tab goes away; the others continue on the same connection.
	first := eval[float64](tabs[1], `src.ids.length`)
	ctx, cancel := context.WithTimeout(tabs[0].ctx, 5*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	cancel()
	eval[bool](tabs[1], `new Promise((resolve) => { const n = src.ids.length; const check = () => (src.ids.length >= n + 10 ? resolve(true) : setTimeout(check, 20)); check(); })`)
	assert.Greater(t, eval[float64](tabs[1], `src.ids.length`), first)
	assert.True(t, inOrder(eval[[]any](tabs[1], `src.ids`)))
	assert.Equal(t, int32(1), s.conns.Load())
}

// Requests that differ never share; a headers function shares only under a
// group name, and then runs in a live tab.
func TestShareOnlyIdenticalRequests(t *testing.T) {
	s := newShareServer(t)
	a, b := newTab(t), newTab(t)
	for _, tb := range []*tab{a, b} {
		tb.navigate(s.URL + "/share.html")
	}
	eval[bool](a, `(window.x = open({ share: true, headers: { 'X-User': 'alice' } }), true)`)
	eval[bool](b, `(window.x = open({ share: true, headers: { 'X-User': 'bob' } }), true)`)
	eval[bool](a, `(window.f = open({ share: true, headers: () => ({ 'X-User': 'fn' }) }), true)`)
	eval[bool](a, `(window.g = open({ share: 'feed', headers: () => ({ 'X-User': 'group' }) }), true)`)
	eval[bool](b, `(window.g = open({ share: 'feed', headers: () => ({ 'X-User': 'group' }) }), true)`)
	// The same request written differently: header names in other case and
	// order, a value with spaces around it, options in another order.
	eval[bool](a, `(window.c = open({ share: true, dedupe: true, maxEventSize: 100000, headers: { 'X-User': 'carol', 'Accept-Language': 'fr' } }), true)`)
	eval[bool](b, `(window.c = open({ maxEventSize: 100000, headers: { 'accept-language': ' fr', 'x-user': 'carol\t' }, share: true, dedupe: true }), true)`)
	for _, tb := range []*tab{a, b} {
		eval[bool](tb, `new Promise((resolve) => { const check = () => ((x.ids.length > 3 && g.ids.length > 3 && c.ids.length > 3) ? resolve(true) : setTimeout(check, 20)); check(); })`)
	}
	assert.Equal(t, float64(2), eval[float64](b, `c.es.stats.tabs`), "carol's requests are one")
	notShared := eval[string](a, `String(f.es.stats.shared) + ': ' + f.es.stats.notShared`)
	assert.Contains(t, notShared, "false: a headers or body function")
	assert.Equal(t, true, eval[bool](a, `g.es.stats.shared`))
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, u := range s.users {
		counts[u]++
	}
	assert.Equal(t, map[string]int{"alice": 1, "bob": 1, "fn": 1, "group": 1, "carol": 1}, counts, "alice and bob apart, the group once: "+strconv.Itoa(len(s.users)))
}

// A group's headers function runs in a live tab: when the tab that served it
// goes away, the next reconnect asks another tab of the group.
func TestShareHeadersFunctionMovesToALiveTab(t *testing.T) {
	s, users := newFlakyServer(t)
	a, b := newTab(t), newTab(t)
	a.navigate(s.URL + "/group.html")
	b.navigate(s.URL + "/group.html")
	eval[bool](a, `(go('a'), true)`)
	eval[bool](a, `new Promise((r) => { const c = () => (seen >= 2 ? r(true) : setTimeout(c, 20)); c(); })`)
	eval[bool](b, `(go('b'), true)`)
	eval[bool](b, `new Promise((r) => { const c = () => (seen >= 2 ? r(true) : setTimeout(c, 20)); c(); })`)
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	cancel()
	before := eval[float64](b, `seen`)
	eval[bool](b, `new Promise((r) => { const n = seen; const c = () => (seen >= n + 3 ? r(true) : setTimeout(c, 20)); c(); })`)
	assert.Greater(t, eval[float64](b, `seen`), before)
	got := users()
	assert.Equal(t, "a", got[0], "the first tab's function served first")
	assert.Equal(t, "b", got[len(got)-1], "after it left, the live tab's: %v", got)
	assert.Equal(t, "b", got[len(got)-2])
}

// A page with a shared source stays eligible for the back/forward cache: it
// leaves its group on pagehide (a message from the worker would evict it)
// and joins again, reason restored, when the page comes back.
func TestShareBackForwardCache(t *testing.T) {
	s := newShareServer(t)
	tb := newTab(t)
	tb.navigate(s.URL + "/share.html")
	eval[bool](tb, `(window.src = open({ share: true }), window.shows = [], addEventListener('pageshow', (e) => shows.push(e.persisted)),
  src.es.addEventListener('retrying', (e) => shows.push(e.reason)), src.es.addEventListener('open', () => { if (src.es.stats.reconnectReason) shows.push(src.es.stats.reconnectReason); }), true)`)
	eval[bool](tb, `new Promise((r) => { const c = () => (src.ids.length >= 3 ? r(true) : setTimeout(c, 20)); c(); })`)
	tb.navigate(s.URL + "/elsewhere.html")
	eval[bool](tb, `(setTimeout(() => history.back(), 0), true)`)
	assert.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.src ? src.ids.length : 0`))
		return err == nil && n >= 6
	}, 10*time.Second, 100*time.Millisecond, "events again after the restore")
	t.Logf("%v", eval[map[string]any](tb, `({ shows, n: window.src ? src.ids.length : -1, rs: window.src ? src.es.readyState : -1, nav: performance.getEntriesByType("navigation")[0].type })`))
	got := eval[[]any](tb, `shows`)
	assert.Equal(t, []any{true, "restored"}, got, "restored from the cache (not reloaded), the source rejoined, with no retrying event")
}

// A tab that joins again and finds its connection gone (closed after the
// grace period) opens one from the last event ID it saw. (A second tab, on
// a connection of its own, keeps the worker running: Chromium runs no task
// of a shared worker whose only tab is in the back/forward cache, so the
// first tab's connection would stay, paused, until the tab comes back.)
func TestShareRejoinResumesFromTheLastEventID(t *testing.T) {
	s := newShareServer(t)
	tb := newTab(t)
	tb.navigate(s.URL + "/share.html")
	eval[bool](tb, `(window.src = open({ share: true }), true)`)
	eval[bool](tb, `new Promise((r) => { const c = () => (src.ids.length >= 3 ? r(true) : setTimeout(c, 20)); c(); })`)
	other := newTab(t)
	other.navigate(s.URL + "/share.html")
	eval[bool](other, `(window.src = open({ share: 'other' }), true)`)
	eval[bool](other, `new Promise((r) => { const c = () => (src.ids.length >= 1 ? r(true) : setTimeout(c, 20)); c(); })`)
	before := eval[int](tb, `src.ids.length`)
	tb.navigate(s.URL + "/elsewhere.html")
	require.Eventually(t, func() bool { return s.active.Load() == 1 }, 10*time.Second, 50*time.Millisecond, "the connection closes after the grace period")
	eval[bool](tb, `(setTimeout(() => history.back(), 0), true)`)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.src ? src.ids.length : 0`))
		return err == nil && n >= before+3
	}, 10*time.Second, 100*time.Millisecond, "events again after the restore")
	ids := eval[[]any](tb, `src.ids`)
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(t, s.leids, 3)
	assert.Equal(t, []string{"", ""}, s.leids[:2])
	// The ids are one counter for both tabs' connections: the widest gap
	// in this tab's ids is its time in the cache.
	last, gap := -1.0, 0.0
	for i := 1; i < len(ids); i++ {
		if d := ids[i].(float64) - ids[i-1].(float64); d > gap {
			last, gap = ids[i-1].(float64), d
		}
	}
	assert.Equal(t, strconv.Itoa(int(last)), s.leids[2], "resumed from the last event the tab saw: %v", ids)
}

// setLifecycle freezes or resumes a tab (Page.setWebLifecycleState): a frozen
// tab runs no task at all, as a browser's discarded-to-save-power tabs.
func setLifecycle(t *testing.T, tb *tab, state page.SetWebLifecycleStateState) {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state})
		return err
	})))
}

// Without Web Locks (a page outside a secure context), a tab's beats say it
// lives: a frozen tab stops beating and leaves the group; a headers function
// it was asked to run and never answered is asked of the next tab after the
// call timeout; resumed, the tab joins again (reason wake) and gets events.
// The worker's URL shortens the beat and the call timeout for the test.
func TestShareWithoutWebLocks(t *testing.T) {
	s, users := newFlakyServer(t)
	waitSeen := func(tb *tab, more int) {
		eval[bool](tb, fmt.Sprintf(`new Promise((r) => { const n = seen; const c = () => (seen >= n + %d ? r(true) : setTimeout(c, 20)); c(); })`, more))
	}
	a, b := newTab(t), newTab(t)
	groupPage := s.URL + "/group.html?nolocks&worker=" + url.QueryEscape("beat=200&callTimeout=300")
	a.navigate(groupPage)
	b.navigate(groupPage)
	require.Equal(t, false, eval[bool](a, `!!navigator.locks`))
	eval[bool](a, `(go('a'), true)`)
	waitSeen(a, 2)
	eval[bool](b, `(go('b'), true)`)
	waitSeen(b, 2)
	assert.Equal(t, float64(2), eval[float64](b, `es.stats.tabs`))

	setLifecycle(t, a, page.SetWebLifecycleStateStateFrozen)
	waitSeen(b, 5) // the frozen tab's function is not answered: b's serves
	// Frozen tabs are hidden first (Chromium says so to the page): the
	// worker drops the tab after thirty silent beats.
	eval[bool](b, `new Promise((r) => { const c = () => (es.stats.tabs === 1 ? r(true) : setTimeout(c, 20)); c(); })`)
	got := users()
	assert.Equal(t, "b", got[len(got)-1], "the live tab's function serves: %v", got)

	setLifecycle(t, a, page.SetWebLifecycleStateStateActive)
	waitSeen(a, 2)
	assert.Equal(t, []any{"wake"}, eval[[]any](a, `reasons`), "the resumed tab joined again")
	eval[bool](b, `new Promise((r) => { const c = () => (es.stats.tabs === 2 ? r(true) : setTimeout(c, 20)); c(); })`)
}

// data-share on the script tag makes share the default for the page's
// sources; share: false opts one out.
func TestShareByDefault(t *testing.T) {
	s := newShareServer(t)
	s.mux.HandleFunc("/default.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="force" data-share></script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/default.html")
	got := eval[[]any](tb, `(() => {
  const on = new EventSource('/shared');
  const off = new EventSource('/shared', { share: false });
  const r = [on.stats.shared, off.stats.shared];
  on.close(); off.close();
  return r;
})()`)
	assert.Equal(t, []any{true, false}, got)
}

// A tab whose sources all share a connection never loads its own engine
// (it would hold up the shared messages on the main thread); a source that
// needs it later loads it then.
func TestShareOnlyTabLoadsNoEngine(t *testing.T) {
	s := newShareServer(t)
	s.mux.HandleFunc("/only.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>window.ids = []; const es = new sseshim.EventSource('/shared', { share: true }); es.onmessage = (e) => ids.push(e.lastEventId);</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/only.html")
	eval[bool](tb, `new Promise((r) => { const c = () => (ids.length >= 5 && document.readyState === 'complete' ? setTimeout(() => r(true), 300) : setTimeout(c, 20)); c(); })`)
	engine := `performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length + ' ' + typeof (globalThis.__sseshim && __sseshim.engine)`
	assert.Equal(t, "0 undefined", eval[string](tb, engine), "no engine fetched or started")
	assert.Equal(t, "data 1", eval[string](tb, `new Promise((resolve) => {
  const own = new sseshim.EventSource('/shared');
  own.onmessage = () => { own.close(); resolve('data 1'); };
  own.onerror = (e) => resolve(e.kind + ': ' + e.message);
})`))
	assert.Equal(t, "1 object", eval[string](tb, engine), "loaded when a source needed it")
}

// A tab that crashes (no pagehide, no leave) leaves its group, and the
// group's headers function is asked of a live tab: noticed through the Web
// Lock it held, or — when the shared worker lived in the crashed tab's
// renderer process and died with it — by the other tabs no longer hearing
// the worker, which start a new one and join it again.
func TestShareCrashedTabLeaves(t *testing.T) {
	s, users := newFlakyServer(t)
	a, b := newTab(t), newTab(t)
	groupPage := s.URL + "/group.html?worker=beat%3D300"
	a.navigate(groupPage)
	b.navigate(groupPage)
	require.Equal(t, true, eval[bool](a, `!!navigator.locks`))
	eval[bool](a, `(go('a'), true)`)
	eval[bool](a, `new Promise((r) => { const c = () => (seen >= 2 ? r(true) : setTimeout(c, 20)); c(); })`)
	eval[bool](b, `(go('b'), true)`)
	eval[bool](b, `new Promise((r) => { const c = () => (es.stats.tabs === 2 && seen >= 2 ? r(true) : setTimeout(c, 20)); c(); })`)
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	_ = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.Crash, cdp.Empty{})
		return err
	})) // the renderer dies: the call may not answer
	cancel()
	eval[bool](b, `new Promise((r) => { const c = () => (es.stats.tabs === 1 ? r(true) : setTimeout(c, 20)); c(); })`)
	eval[bool](b, `new Promise((r) => { const n = seen; const c = () => (seen >= n + 3 ? r(true) : setTimeout(c, 20)); c(); })`)
	got := users()
	assert.Equal(t, "b", got[len(got)-1], "the live tab's function serves: %v", got)
	t.Logf("the other tab's reasons to join again: %v (wake: the worker had died with the crashed tab)", eval[[]any](b, `reasons`))
}
