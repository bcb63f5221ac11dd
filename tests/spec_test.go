//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Where Chromium departs from the WHATWG text, sseshim follows the text.
// Each test below records what Chromium's own EventSource does, for the log,
// and holds sseshim to the spec.

// #dom-eventsource: "If urlRecord is failure, then throw a SyntaxError". The
// URL Standard refuses a space in a host (#forbidden-domain-code-point);
// Chromium percent-encodes it and connects.
func TestSpecInvalidHostThrows(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	got := eval[map[string]string](tb, `(() => {
  const r = {};
  for (const [name, ES] of [['native', NativeEventSource], ['shim', sseshim.EventSource]]) {
    for (const url of ['http://this is invalid/', 'http://a<b/', 'http://x%zz/']) {
      try { const es = new ES(url); r[name + ' ' + url] = 'no throw ' + es.url; es.close(); }
      catch (e) { r[name + ' ' + url] = e.name + ' ' + (e instanceof DOMException); }
    }
    try { const es = new ES('http://[::1]:1/x'); r[name + ' ipv6'] = 'ok'; es.close(); } catch (e) { r[name + ' ipv6'] = e.name; }
    try { const es = new ES('http://ex%61mple.test/'); r[name + ' pct'] = es.url; es.close(); } catch (e) { r[name + ' pct'] = e.name; }
  }
  return r;
})()`)
	t.Logf("Chromium: %q", got["native http://this is invalid/"])
	for _, u := range []string{"http://this is invalid/", "http://a<b/", "http://x%zz/"} {
		assert.Equal(t, "SyntaxError true", got["shim "+u], u)
	}
	assert.Equal(t, "ok", got["shim ipv6"], "an IPv6 host is valid")
	assert.Equal(t, "http://example.test/", got["shim pct"], "a percent-encoded valid host is decoded, as the URL Standard says")
}

// #sse-processing-model: the stream is always decoded as UTF-8
// (#parsing-an-event-stream), whatever charset the Content-Type names.
// Chromium instead fails the connection when the charset is not UTF-8.
func TestSpecCharsetIgnored(t *testing.T) {
	scs := []scenario{{name: "latin1", conns: []conn{{ct: "text/event-stream; charset=windows-1252",
		chunks: []string{"data: caf\xc3\xa9 \xe9\n\n", done}}}}}
	h := newScenarioHandler(scs)
	s := newServer(t)
	s.mux.Handle("/s/", h)
	tb := openHarness(t, s)
	native, shim := runBoth(t, tb, s.URL, scs[0])
	t.Logf("Chromium: %q", native)
	require.Len(t, shim, 3)
	assert.Equal(t, "open rs=1", shim[0])
	assert.Contains(t, shim[1], "message \"café \uFFFD\"")
	assert.Equal(t, "end done rs=2", shim[2])
}

// #sse-processing-model: "if res is an aborted network error, then fail the
// connection". A fetch the user agent aborts — window.stop() — fails it for
// good: error with readyState CLOSED and no reconnect. Chromium closes the
// source at once, inside stop(); the spec queues a task that does it.
func TestSpecUserAgentAbortFailsTheConnection(t *testing.T) {
	s := newServer(t)
	var requests atomic.Int32
	s.mux.HandleFunc("/held", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		holdStream("retry: 50\ndata: a\n\n")(w, r)
	})
	tb := openHarness(t, s)
	got := eval[map[string]string](tb, `(async () => {
  const r = {};
  for (const [name, ES] of [['native', NativeEventSource], ['shim', sseshim.EventSource]]) {
    const es = new ES('/held');
    const log = [];
    es.onopen = () => log.push('open');
    es.onmessage = (e) => { log.push('message ' + e.data); window.stop(); log.push('stopped rs=' + es.readyState); };
    es.onerror = () => log.push('error rs=' + es.readyState);
    await new Promise((res) => setTimeout(res, 1500));
    log.push('after rs=' + es.readyState);
    es.close();
    r[name] = log.join(', ');
  }
  return r;
})()`)
	t.Logf("Chromium: %s", got["native"])
	// readyState changes in the task that fires error (#fail-the-connection).
	assert.Equal(t, "open, message a, stopped rs=1, error rs=2, after rs=2", got["shim"])
	assert.Equal(t, int32(2), requests.Load(), "one request each: no reconnect after the abort")
}

// Cross-origin reconnects: fetch() must preflight a Last-Event-ID header,
// which the browser's own EventSource sends without asking. Against a server
// whose CORS answer allows the stream but not that header, sseshim retries
// once with the id in a query parameter (lastEventIdParam) and keeps it.
func TestCrossOriginReconnectWithoutLastEventIDHeader(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	var seen []string // per stream request: "leid=H param=P"
	var probes, preflights atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // no Allow-Headers: Last-Event-ID is refused
		switch {
		case r.Method == http.MethodOptions:
			preflights.Add(1)
			w.WriteHeader(204)
			return
		case r.Method == http.MethodHead:
			probes.Add(1)
			w.WriteHeader(200)
			return
		}
		leid, param := r.Header.Get("Last-Event-ID"), r.URL.Query().Get("lastEventId")
		mu.Lock()
		seen = append(seen, "leid="+leid+" param="+param)
		n := len(seen)
		mu.Unlock()
		f := sseStart(w)
		last := leid + param
		switch {
		case n < 4:
			fmt.Fprintf(w, "retry: 30\nid: %d\ndata: after [%s]\n\n", n, last)
		default:
			fmt.Fprintf(w, "data: after [%s]\n\nevent: done\ndata: .\n\n", last)
		}
		f.Flush()
	}))
	t.Cleanup(other.Close)
	url := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/s"
	tb := openHarness(t, s)
	tb.expectConsole("CORS")
	tb.expectConsole("Access-Control")
	tb.expectConsole("net::ERR_FAILED")
	got := eval[[]string](tb, fmt.Sprintf(`new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource(%q);
  es.onmessage = (e) => log.push(e.data + ' #' + e.lastEventId);
  es.onerror = (e) => { log.push('error ' + e.kind + ' rs=' + es.readyState + (e.message.includes('lastEventId') ? ' (query fallback)' : '')); if (es.readyState === 2) resolve(log); };
  es.addEventListener('done', () => { es.close(); resolve(log); });
  setTimeout(() => { log.push('timeout'); es.close(); resolve(log); }, 10000);
})`, url))
	assert.Equal(t, []string{
		"after [] #1", "error end rs=0",
		"error network rs=0 (query fallback)",
		"after [1] #2", "error end rs=0",
		"after [2] #3", "error end rs=0",
		"after [3] #3",
	}, got)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"leid= param=", "leid= param=1", "leid= param=2", "leid= param=3"}, seen,
		"the refused reconnect never reached the stream; the fallback is remembered")
	assert.Equal(t, int32(1), preflights.Load(), "one refused preflight")
	assert.Equal(t, int32(1), probes.Load(), "one probe, for the one refusal")
}

// The same for a source still waiting for the engine: window.stop() during
// the page's load aborts the engine's own download too, and the source fails
// once, with the abort as the reason.
func TestSpecUserAgentAbortWhileTheEngineLoads(t *testing.T) {
	s := newServer(t)
	var requests atomic.Int32
	s.mux.HandleFunc("/held", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		holdStream("data: a\n\n")(w, r)
	})
	s.mux.HandleFunc("/stop.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
  window.log = [];
  const es = new sseshim.EventSource('/held');
  es.onerror = (e) => log.push('error ' + e.kind + ' rs=' + es.readyState);
  es.onmessage = (e) => log.push('message ' + e.data);
  window.stop();
  log.push('stopped rs=' + es.readyState);
  sseshim.ready.then(() => log.push('ready'), () => log.push('engine failed'));
</script>`)
	})
	tb := newTab(t)
	tb.expectConsole("sseshim")
	tb.navigate(s.URL + "/stop.html")
	got := eval[[]string](tb, `new Promise((r) => setTimeout(() => r(window.log), 1500))`)
	require.GreaterOrEqual(t, len(got), 2, "%v", got)
	assert.Equal(t, "stopped rs=0", got[0], "CONNECTING until the task that fails it")
	assert.Contains(t, got, "error network rs=2")
	assert.NotContains(t, strings.Join(got, ","), "message")
	assert.Equal(t, 1, strings.Count(strings.Join(got, ","), "error"), "one error: %v", got)
	// The first request goes out in the constructor, as the browser's own
	// EventSource's does (prefetchFirst), and window.stop() aborts it: it may
	// or may not have reached the server, and nothing follows it.
	assert.LessOrEqual(t, requests.Load(), int32(1), "no request after the abort")
}

// A host that Chromium percent-encodes but the URL Standard accepts as it is
// ("*" is not a forbidden host code point) must not be refused.
func TestSpecValidHostsAccepted(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	got := eval[map[string]string](tb, `(() => {
  const r = {};
  for (const url of ['http://a*b.test/', 'http://ex%61mple.test/', 'http://xn--bcher-kva.test/', 'http://b\u00fccher.test/']) {
    try { const es = new sseshim.EventSource(url); r[url] = 'ok'; es.close(); } catch (e) { r[url] = e.name; }
  }
  return r;
})()`)
	for u, v := range got {
		assert.Equal(t, "ok", v, u)
	}
	assert.Len(t, got, 4)
}
