//go:build !js

package tests

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The back/forward cache as whatwg/html PR #12381 proposes it (and
// web-platform-tests PR #59568 tests it): entering the cache aborts the
// connection; a restore reconnects at once, with Last-Event-ID, with no
// error event and no reconnection delay (the stream asks for a minute's),
// and open fires again. stats.reconnectReason says why.
func TestBackForwardCacheReconnects(t *testing.T) {
	s := newServer(t)
	var conns atomic.Int32
	s.mux.HandleFunc("/bf-stream", func(w http.ResponseWriter, r *http.Request) {
		c := conns.Add(1)
		holdStream(fmt.Sprintf("retry: 60000\nid: %d\ndata: conn %d leid=%s\n\n", c, c, r.Header.Get("Last-Event-ID")))(w, r)
	})
	s.mux.HandleFunc("/bf.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
window.log = [];
const es = new sseshim.EventSource('/bf-stream');
es.onopen = () => log.push('open rs=' + es.readyState);
es.onmessage = (e) => log.push(e.data);
es.onerror = (e) => log.push('error ' + e.kind + ' rs=' + es.readyState);
es.addEventListener('retrying', (e) => log.push('retrying ' + e.delay + ' ' + e.reason));
addEventListener('pagehide', (e) => log.push('pagehide persisted=' + e.persisted));
addEventListener('pageshow', (e) => log.push('pageshow persisted=' + e.persisted + ' reason=' + es.stats.reconnectReason));
</script>`)
	})
	s.mux.HandleFunc("/elsewhere.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><p>elsewhere</p>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/bf.html")
	waitLog(tb, 3) // pageshow, open, the first event
	tb.navigate(s.URL + "/elsewhere.html")
	eval[bool](tb, `(setTimeout(() => history.back(), 0), true)`)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.log ? log.length : 0`))
		return err == nil && n >= 7
	}, 10*time.Second, 100*time.Millisecond, "the restored page's log")
	got := waitLog(tb, 7)
	assert.Equal(t, []string{"pageshow persisted=false reason=undefined", "open rs=1", "conn 1 leid=",
		"pagehide persisted=true", "pageshow persisted=true reason=restored", "open rs=1", "conn 2 leid=1"}, got,
		"restored from the cache (not reloaded): no error, no retrying, no delay")
	assert.Equal(t, int32(2), conns.Load())
	assert.Equal(t, "restored", eval[string](tb, `es.stats.reconnectReason`))
}

// Firefox and WebKit abort a page's fetches as a navigation away begins,
// before pagehide (tests/engines bfcache). A connection that fails between
// beforeunload and pagehide has its error and retrying held: pagehide drops
// them; a navigation that does not happen (no pagehide) delivers them, in
// order, before the next open. Here the page fires beforeunload and
// pagehide itself, and the server ends the first connection when asked.
func TestLeavingHoldsTheErrorOfAnAbortedConnection(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	conns := map[string]int{}
	ends := map[string]chan struct{}{}
	end := func(run string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if ends[run] == nil {
			ends[run] = make(chan struct{})
		}
		return ends[run]
	}
	s.mux.HandleFunc("/leave-stream", func(w http.ResponseWriter, r *http.Request) {
		run := r.URL.Query().Get("run")
		mu.Lock()
		conns[run]++
		c := conns[run]
		mu.Unlock()
		if run == "ended" && c > 1 {
			w.WriteHeader(http.StatusNoContent) // the reconnection ends the source
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "retry: 100\ndata: conn %d\n\n", c)
		w.(http.Flusher).Flush()
		if c == 1 {
			select {
			case <-end(run):
			case <-r.Context().Done():
			}
			return
		}
		<-r.Context().Done()
	})
	s.mux.HandleFunc("/leave-end", func(w http.ResponseWriter, r *http.Request) {
		close(end(r.URL.Query().Get("run")))
	})
	tb := openHarness(t, s)
	run := func(name, hide string) []string {
		return eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/leave-stream?run=`+name+`');
  es.onopen = () => log.push('open');
  es.onerror = (e) => {
    log.push('error rs=' + es.readyState);
    if (es.readyState === sseshim.CLOSED) ended.then((how) => { log.push(how); resolve(log); });
  };
  es.addEventListener('retrying', (e) => log.push('retrying ' + e.reason));
  // How an iteration of the source ends.
  const ended = (async () => {
    try { for await (const _ of es); return 'iteration done'; } catch (e) { return 'iteration threw ' + e.kind; }
  })();
  es.onmessage = async (e) => {
    log.push(e.data);
    if (e.data !== 'conn 1') { es.close(); resolve(log); return; }
    dispatchEvent(new Event('beforeunload'));
    await fetch('/leave-end?run=`+name+`');
    while (es.readyState !== sseshim.CONNECTING) await new Promise((r) => setTimeout(r, 5));
    `+hide+`
  };
})`)
	}
	// Left for good: the page is hidden, and shows nothing of the failure.
	assert.Equal(t, []string{"open", "conn 1", "open", "conn 2"},
		run("hidden", `dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));`))
	// The navigation did not happen: the failure is told before the next open.
	got := run("stayed", ``)
	require.Len(t, got, 6)
	assert.Equal(t, []string{"open", "conn 1", "error rs=0"}, got[:3])
	assert.Regexp(t, `^retrying `, got[3])
	assert.Equal(t, []string{"open", "conn 2"}, got[4:])
	// The navigation did not happen and the reconnection ends the source:
	// the held failure goes out first, in the state it came in, and the
	// end is the last failure's.
	got = run("ended", ``)
	require.Len(t, got, 6)
	assert.Equal(t, []string{"open", "conn 1", "error rs=0"}, got[:3])
	assert.Regexp(t, `^retrying `, got[3])
	assert.Equal(t, []string{"error rs=2", "iteration threw status"}, got[4:])
}
