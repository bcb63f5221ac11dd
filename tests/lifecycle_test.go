//go:build !js

package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifecycleServer serves a stream that sends one event with the next id
// per connection and holds it open, and counts its connections.
func lifecycleServer(t *testing.T) (*server, *atomic.Int32) {
	s := newServer(t)
	var n atomic.Int32
	s.mux.HandleFunc("/life", func(w http.ResponseWriter, r *http.Request) {
		c := n.Add(1)
		holdStream(fmt.Sprintf("id: %d\ndata: conn %d leid=%s\n\n", c, c, r.Header.Get("Last-Event-ID")))(w, r)
	})
	return s, &n
}

const lifecycleLog = `
window.log = [];
window.es = new sseshim.EventSource('/life', INIT);
es.onmessage = (e) => log.push(e.data);
es.onerror = (e) => log.push('error ' + e.kind + ' rs=' + es.readyState);
es.addEventListener('retrying', (e) => log.push('retrying ' + e.delay + ' ' + (e.reason || '-')));
`

func waitLog(tb *tab, n int) []string {
	return eval[[]string](tb, fmt.Sprintf(`new Promise((resolve) => {
  const check = () => (log.length >= %d ? resolve(log) : setTimeout(check, 20));
  check();
  setTimeout(() => resolve(log.concat('timeout')), 8000);
})`, n))
}

// Offline: the connection is paused with no attempt and no failure counted;
// online: it reconnects at once with Last-Event-ID.
func TestLifecycleOfflineOnline(t *testing.T) {
	s, conns := lifecycleServer(t)
	tb := openHarness(t, s)
	eval[bool](tb, "(() => {"+strings.Replace(lifecycleLog, "INIT", "{}", 1)+"; return true; })()")
	waitLog(tb, 1)
	emulate := func(offline bool) {
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		defer cancel()
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.OverrideNetworkState,
				network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	emulate(true)
	got := waitLog(tb, 2)
	assert.Equal(t, []string{"conn 1 leid=", "error lifecycle rs=0"}, got)
	time.Sleep(500 * time.Millisecond) // no attempt meanwhile (a wall-clock wait: offline is the browser's state)
	assert.Equal(t, int32(1), conns.Load())
	assert.Equal(t, float64(0), eval[float64](tb, `es.stats.failures`))
	emulate(false)
	got = waitLog(tb, 4)
	assert.Equal(t, []string{"conn 1 leid=", "error lifecycle rs=0", "retrying 0 online", "conn 2 leid=1"}, got)
}

// A wake from sleep (the page's clock jumps: a timer fired far too late) and
// a tab made visible after a long silence replace the connection at once;
// with lifecycle: false nothing happens.
func TestLifecycleWakeAndVisible(t *testing.T) {
	s, _ := lifecycleServer(t)
	tb := openHarness(t, s)
	eval[bool](tb, "(() => {"+strings.Replace(lifecycleLog, "INIT", "{ staleAfter: 100 }", 1)+`
window.quiet = new sseshim.EventSource('/life', { lifecycle: false, staleAfter: 100 });
quiet.addEventListener('retrying', () => log.push('quiet retried'));
return true; })()`)
	waitLog(tb, 1)
	// Sleep: Date.now() jumps a minute ahead of the 5 s timer.
	eval[bool](tb, `(() => { const real = Date.now; const skew = 60000; Date.now = () => real() + skew; return true; })()`)
	got := waitLog(tb, 4)
	// (Which of the two sources' requests reaches the server first, and so
	// which connection number this source gets, is the network's choice.)
	require.GreaterOrEqual(t, len(got), 4, "%q", got)
	var first int
	_, err := fmt.Sscanf(got[0], "conn %d leid=", &first)
	require.NoError(t, err, "%q", got[0])
	assert.Equal(t, []string{"error lifecycle rs=0", "retrying 0 wake"}, got[1:3])
	assert.Regexp(t, fmt.Sprintf(`^conn \d leid=%d$`, first), got[3], "reconnected with the first connection's id")
	// Visible after a silence longer than staleAfter.
	eval[bool](tb, `(async () => {
  await new Promise((r) => setTimeout(r, 300));
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
  document.dispatchEvent(new Event('visibilitychange'));
  return true;
})()`)
	got = waitLog(tb, 7)
	assert.Equal(t, []string{"error lifecycle rs=0", "retrying 0 visible"}, got[4:6])
	assert.NotContains(t, got, "quiet retried", "lifecycle: false opts out")
}

// The back/forward cache: entering it pauses the connection (the fetch is
// aborted, so the page stays eligible), and a restore reconnects with
// Last-Event-ID, with no error or retrying event (whatwg/html PR #12381;
// bfcache_test.go). Chromium keeps a page with a fetch in flight out of
// the cache.
func TestLifecycleBackForwardCache(t *testing.T) {
	s, conns := lifecycleServer(t)
	s.mux.HandleFunc("/bf.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>`+strings.Replace(lifecycleLog, "INIT", "{}", 1)+`
addEventListener('pageshow', (e) => log.push('pageshow persisted=' + e.persisted));
</script>`)
	})
	s.mux.HandleFunc("/elsewhere.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><p>elsewhere</p>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/bf.html")
	waitLog(tb, 2) // pageshow, then the first event
	tb.navigate(s.URL + "/elsewhere.html")
	eval[bool](tb, `(setTimeout(() => history.back(), 0), true)`)
	var got []string
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.log ? log.length : 0`))
		return err == nil && n >= 4
	}, 10*time.Second, 100*time.Millisecond, "the restored page's log")
	got = waitLog(tb, 4)
	t.Logf("%q, %d connections", got, conns.Load())
	// sseshim's pageshow listener was added before the page's.
	assert.Equal(t, []string{"pageshow persisted=false", "conn 1 leid=", "pageshow persisted=true", "conn 2 leid=1"}, got,
		"restored from the cache, not reloaded")
	assert.Equal(t, int32(2), conns.Load())
}

// A wake is the wall clock running ahead of the monotonic one (the machine
// was suspended): found in a hidden tab too. A page that was only blocked
// (both clocks ran on: an alert, a debugger) is no wake.
func TestLifecycleWakeIsClockDrift(t *testing.T) {
	s, _ := lifecycleServer(t)
	tb := openHarness(t, s)
	eval[bool](tb, "(() => {"+strings.Replace(lifecycleLog, "INIT", "{}", 1)+`
window.skew = (wall, mono) => {
  const d = Date.now, p = performance.now.bind(performance);
  Date.now = () => d() + wall;
  performance.now = () => p() + mono;
};
return true; })()`)
	waitLog(tb, 1)
	// Blocked for a minute: both clocks moved. Wait out a tick of the 5 s
	// detector (a wall-clock wait: the shim's timer is the browser's).
	eval[bool](tb, `(skew(60000, 60000), true)`)
	time.Sleep(5500 * time.Millisecond)
	assert.Equal(t, []string{"conn 1 leid="}, eval[[]string](tb, `log`), "a blocked page is no wake")
	// Hidden, then suspended: only the wall clock moved.
	eval[bool](tb, `(Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }), skew(60000, 0), true)`)
	got := waitLog(tb, 4)
	assert.Equal(t, []string{"conn 1 leid=", "error lifecycle rs=0", "retrying 0 wake"}, got[:3])
	assert.Regexp(t, `^conn \d leid=1$`, got[3])
}

// A real back/forward navigation on the dev server's stock-prices stream,
// which replays after Last-Event-ID: nothing is lost or duplicated across
// the page's time in the cache, on the page's own engine and shared.
func TestLifecycleBackForwardCacheLosesNothing(t *testing.T) {
	base := startDevServer(t)
	for _, init := range []string{"{}", "{ share: true }"} {
		t.Run(init, func(t *testing.T) {
			tb := newTab(t)
			tb.navigate(base + "/")
			eval[bool](tb, `new Promise((resolve) => {
  const s = document.createElement('script');
  s.src = '/dist/sseshim.js';
  s.dataset.polyfill = 'off';
  s.onload = () => {
    window.ids = [];
    window.reasons = [];
    const es = new sseshim.EventSource('/stock-prices/ACME', `+init+`);
    // Counted from the first live trade on: the first chunk is the latest
    // record of each key, whose ids are older.
    es.onopen = () => setTimeout(() => { window.counting = true; }, 300);
    const keep = (e) => { if (window.counting) ids.push(Number(e.lastEventId)); };
    es.onmessage = keep;
    es.addEventListener('delete', keep); // a removed record: an id of the same sequence
    es.addEventListener('retrying', (e) => reasons.push(e.reason || '-'));
    // A restore fires no retrying: its reason is in stats.
    es.addEventListener('open', () => { if (es.stats.reconnectReason === 'restored') reasons.push('restored'); });
    resolve(true);
  };
  document.head.appendChild(s);
})`)
			waitFor(tb, `window.ids && ids.length >= 3`, 15*time.Second)
			tb.navigate(base + "/favicon.svg")
			time.Sleep(1500 * time.Millisecond) // trades go on while the page is in the cache (wall clock: the simulation's)
			eval[bool](tb, `(setTimeout(() => history.back(), 0), true)`)
			require.Eventually(t, func() bool {
				ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
				defer cancel()
				ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!window.reasons && reasons.includes('restored') && ids.length >= 8`))
				return err == nil && ok
			}, 20*time.Second, 100*time.Millisecond, "events again after the restore: %v", eval[any](tb, `({ ids: window.ids, reasons: window.reasons, nav: performance.getEntriesByType('navigation')[0].type, url: location.href })`))
			got := eval[map[string]any](tb, `({ ids, reasons, nav: performance.getEntriesByType('navigation')[0].type })`)
			ids := got["ids"].([]any)
			for i := 1; i < len(ids); i++ {
				require.Equal(t, ids[i-1].(float64)+1, ids[i].(float64), "ids in order, none lost or repeated: %v", ids)
			}
			assert.Contains(t, got["reasons"], "restored", "restored from the cache, not reloaded: %v", got)
		})
	}
}
