//go:build !js

package tests

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/optspec"
)

// The engine accepts every option as the shim sends it: a source with every
// option of the table (wasm/optspec) set opens and receives its
// event. (That the bridge has a setter for each is optspec's native test.)
func TestOptionEveryOneReachesTheEngine(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	tb := openHarness(t, s)
	values := map[string]string{
		"withCredentials": "true", "method": "'GET'", "headers": "{'X-A': '1'}", "format": "'auto'", "json": "true",
		"lifecycle": "true", "staleAfter": "60000", "share": "false", "batch": "false",
		"ping":           "{interval: 60000, leeway: 1000, param: 'p', eventType: 'beat', requireEvent: false, dispatch: true}",
		"retry":          "{initial: 500, max: 1000, factor: 1.5, jitter: 0.1, maxAttempts: 3, immediateAfter: 0, healthyAfter: 1000}",
		"connectTimeout": "5000", "retryStatuses": "[503]", "dedupe": "10", "lastEventId": "'x'", "lastEventIdParam": "false",
		"maxEventSize": "1000", "eventTypePath": "['t']", "idPath": "['i']",
		"signal": "new AbortController().signal", "fetch": "(url, init) => fetch(url, init)",
		// body needs a method other than GET: the one option left out.
	}
	var init []string
	for _, o := range optspec.Options {
		if o.Name == "body" {
			continue
		}
		v, ok := values[o.Name]
		require.True(t, ok, "a value for the option %s", o.Name)
		init = append(init, o.Name+": "+v)
	}
	assert.Len(t, init, len(values))
	res := eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/x', {`+strings.Join(init, ", ")+`});
  es.onmessage = (e) => { log.push('message ' + e.data); es.close(); resolve(log); };
  es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.message); es.close(); resolve(log); };
})`)
	assert.Equal(t, []string{"message a"}, res)
}

// The engine's open() refuses an options object the shim would never send
// with an error of kind config, and goes on serving: an unknown option, an
// unknown member of a group, and a member's dotted name at the top level.
func TestEngineOpenRefusesUnknownOptions(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	tb := openHarness(t, s)
	got := eval[[]string](tb, `(() => {
  const engine = __sseshim.engine;
  const callbacks = { open() {}, events() {}, error() {}, retrying() {} };
  const out = [];
  for (const options of [{ nope: 1 }, { ping: { interval: 5, bogus: 1 } }, { 'retry.initial': 5 }, { 'ping.interval': 5 }]) {
    const r = engine.open({ url: new URL('/x', location.href).href, options, callbacks });
    if (r.id) engine.close(r.id);
    out.push(r.error ? r.error.kind + ': ' + r.error.message : 'opened');
  }
  return out;
})()`)
	assert.Equal(t, []string{
		"config: sseshim: the engine does not know the option nope",
		"config: sseshim: the engine does not know the option ping.bogus",
		"config: sseshim: the engine does not know the option retry.initial",
		"config: sseshim: the engine does not know the option ping.interval",
	}, got)
	res := eval[string](tb, `new Promise((resolve) => {
  const es = new sseshim.EventSource('/x');
  es.onmessage = (e) => { es.close(); resolve(e.data); };
  es.onerror = (e) => { es.close(); resolve('error ' + e.message); };
})`)
	assert.Equal(t, "a", res, "the engine still serves")
}

// close() while a headers function's promise never settles: the engine stops
// waiting at once and releases the source.
func TestCloseDuringPendingHeadersReleasesEverything(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const sources = [];
  let called = 0;
  for (let i = 0; i < 5; i++) sources.push(new sseshim.EventSource('/x', { headers: () => { called++; return new Promise(() => {}); } }));
  await wait(100);
  const before = __sseshim.engine.live();
  for (const es of sources) es.close();
  let after = __sseshim.engine.live();
  for (let i = 0; i < 50 && (after.sources || after.promises); i++) { await wait(20); after = __sseshim.engine.live(); }
  // The engine still works.
  const msg = await new Promise((resolve) => {
    const es = new sseshim.EventSource('/x', { headers: async () => ({ 'X-T': '1' }) });
    es.onmessage = (e) => { es.close(); resolve(e.data); };
  });
  return { called, before, after, msg, states: sources.map((s) => s.readyState).join() };
})()`)
	assert.Equal(t, float64(5), got["called"])
	assert.Equal(t, map[string]any{"sources": float64(5), "promises": float64(5)}, got["before"])
	assert.Equal(t, map[string]any{"sources": float64(0), "promises": float64(0)}, got["after"])
	assert.Equal(t, "a", got["msg"])
	assert.Equal(t, "2,2,2,2,2", got["states"])
}

// error and retrying events are instances of the exported classes.
func TestErrorAndRetryingEventClasses(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const r = {};
  const es = new sseshim.EventSource('/gone', { retryStatuses: [503], retry: { initial: 10, maxAttempts: 2 } });
  es.onerror = (e) => {
    if (!r.first) r.first = { cls: e instanceof sseshim.SseshimErrorEvent, kind: e.kind, status: e.status, code: e.code ?? null, rs: es.readyState, own: Object.keys(e).join() };
    if (es.readyState === 2) { r.last = { kind: e.kind, message: e.message }; resolve(r); }
  };
  es.addEventListener('retrying', (e) => { r.retrying = { cls: e instanceof sseshim.RetryingEvent, delay: e.delay, attempt: e.attempt }; });
  const made = new sseshim.SseshimErrorEvent('error', { kind: 'network', message: 'm' });
  r.made = [made.kind, made.message, made.status ?? null, made instanceof Event].join();
})`)
	assert.Equal(t, map[string]any{"cls": true, "kind": "status", "status": float64(503), "code": nil, "rs": float64(0), "own": "isTrusted"}, got["first"])
	assert.Equal(t, map[string]any{"cls": true, "delay": float64(10), "attempt": float64(1)}, got["retrying"])
	assert.Equal(t, "max-attempts", got["last"].(map[string]any)["kind"])
	assert.Equal(t, "network,m,,true", got["made"])
}

// Disruptive Technologies over text/event-stream: pings are data-only frames
// holding a ping envelope; with the watchdog on they count as pings, fire
// "ping", and are not messages.
func TestEnvelopePingsOverSSEInTheBrowser(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/dt", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ping_interval") != "10s" {
			http.Error(w, "no ping_interval", 400)
			return
		}
		holdStream(`data: {"result":{"event":{"eventId":"p1","targetName":"projects/P","eventType":"ping","data":null}}}`+"\n\n"+
			`data: {"result":{"event":{"eventId":"e1","eventType":"touch","data":{"touch":{}}}}}`+"\n\n"+
			`data: {"result":{"event":{"eventId":"p2","targetName":"projects/P","eventType":"ping","data":null}}}`+"\n\n"+
			"event: done\ndata: .\n\n")(w, r)
	})
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/dt', { ping: 10000 });
  es.onmessage = (e) => log.push('message ' + JSON.parse(e.data).result.event.eventType);
  es.addEventListener('ping', () => log.push('ping'));
  es.addEventListener('done', () => { const st = es.stats; es.close(); resolve({ log: log.join(), pings: st.pings, events: st.events }); });
  es.onerror = (e) => { es.close(); resolve({ log: 'error ' + e.message }); };
})`)
	assert.Equal(t, "ping,message touch,ping", got["log"])
	assert.Equal(t, float64(2), got["pings"])
	assert.Equal(t, float64(2), got["events"], "the touch event and done")
}

// Option values as the shim sends them mean what the README says once the
// engine has them: seen from the server and from the events.
func TestOptionValuesReachTheEngine(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	seen := map[string]*http.Request{}
	s.mux.HandleFunc("/o/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r
		mu.Unlock()
		holdStream("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 1\ndata: dup\n\nid: 3\nevent: done\ndata: .\n\n")(w, r)
	})
	tb := openHarness(t, s)
	got := eval[map[string]string](tb, `(async () => {
  const run = (path, init) => new Promise((resolve) => {
    const log = [];
    const es = new sseshim.EventSource(path, init);
    es.onmessage = (e) => log.push(e.data);
    es.addEventListener('done', () => { es.close(); resolve(log.join()); });
    es.onerror = (e) => { es.close(); resolve('error ' + e.kind + ' ' + e.message); };
  });
  return {
    pingNumber: await run('/o/ping', { ping: 10000 }),
    pingNoParam: await run('/o/noparam', { ping: { interval: 10000, param: false, leeway: 0 } }),
    dedupeTrue: await run('/o/dedupe', { dedupe: true }),
    dedupeFalse: await run('/o/nodedupe', { dedupe: false }),
    headersFn: await run('/o/headers', { headers: () => new Headers({ 'X-Token': 't1' }) }),
    headersAsync: await run('/o/async', { headers: async () => ({ 'X-Token': 't2' }) }),
    retryEmpty: await run('/o/retry', { retry: {} }),
  };
})()`)
	assert.Equal(t, "a,b,dup", got["pingNumber"])
	assert.Equal(t, "a,b", got["dedupeTrue"], "dedupe: true drops the repeated id")
	assert.Equal(t, "a,b,dup", got["dedupeFalse"])
	assert.Equal(t, "a,b,dup", got["headersFn"])
	assert.Equal(t, "a,b,dup", got["retryEmpty"])
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "10s", seen["/o/ping"].URL.Query().Get("ping_interval"), "a number is the ping interval")
	assert.Empty(t, seen["/o/noparam"].URL.RawQuery, "param: false sends none")
	assert.Equal(t, "t1", seen["/o/headers"].Header.Get("X-Token"), "a headers function may return a Headers")
	assert.Equal(t, "t2", seen["/o/async"].Header.Get("X-Token"))
}

// Values the engine cannot honour are refused by the constructor.
func TestOptionBounds(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	got := eval[map[string]string](tb, `(() => {
  const r = {};
  for (const [k, v] of Object.entries({
    dedupeHuge: { dedupe: 2 ** 40 }, pingHuge: { ping: 1e300 }, initialInfinite: { retry: { initial: Infinity } },
    initialZero: { retry: { initial: 0 } }, maxZero: { retry: { max: 0 } }, maxBelowInitial: { retry: { initial: 5000, max: 1000 } },
    paramEmpty: { lastEventIdParam: '' }, paramMarker: { ping: { interval: 1000, param: '-' } }, sizeHuge: { maxEventSize: 2 ** 31 },
  })) {
    try { new sseshim.EventSource('/x', v).close(); r[k] = 'accepted'; } catch (e) { r[k] = e.name; }
  }
  return r;
})()`)
	for k, v := range got {
		assert.Equal(t, "TypeError", v, k)
	}
	assert.Len(t, got, 9)
}

// The engine starts a source after the constructor has returned: a headers
// function that throws fails the first attempt, and a listener added right
// after the constructor hears of it, with the exception's name.
func TestFirstErrorReachesListenersAddedAfterTheConstructor(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	got := eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/x', { retry: { maxAttempts: 1 }, headers: () => { throw new TypeError('no token'); } });
  es.onerror = (e) => { log.push(e.kind + ' rs=' + es.readyState + ' ' + e.message); if (es.readyState === 2) resolve(log); };
  setTimeout(() => resolve(log), 3000);
})`)
	require.Len(t, got, 1)
	assert.Equal(t, "max-attempts rs=2", got[0][:len("max-attempts rs=2")])
	assert.Contains(t, got[0], "TypeError: no token")
}

// close() called from another source's engine: a listener of source a opens
// source b, whose headers function closes a. Before, b's engine could start
// inside the constructor while a's engine was still delivering to that
// listener, and close() waited for a's delivery: the Go program deadlocked
// and every source on the page died. Now sources start after the
// constructor returns, and close() from JavaScript never waits.
func TestCloseFromAnotherSourcesCallback(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/a", holdStream("data: a1\n\ndata: a2\n\n"))
	s.mux.HandleFunc("/b", holdStream("data: b\n\n"))
	tb := openHarness(t, s)
	got := eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  const a = new sseshim.EventSource('/a');
  a.onmessage = (e) => {
    log.push(e.data);
    if (e.data !== 'a1') return;
    const b = new sseshim.EventSource('/b', { headers: () => { a.close(); log.push('b closed a'); return {}; } });
    b.onmessage = (e) => { log.push(e.data); b.close(); resolve(log); };
  };
  setTimeout(() => resolve(log.concat('timeout')), 5000);
})`)
	require.NotContains(t, got, "timeout")
	assert.Equal(t, "a1", got[0])
	assert.Equal(t, []string{"b closed a", "b"}, got[len(got)-2:], "%v", got)
	assert.Equal(t, "0", eval[string](tb, `String(new sseshim.EventSource('/b').readyState)`), "the engine still answers")
}

// A listener runs inside the engine's call that delivers its chunk (the
// exported sseshimFeed): whatever it does there that calls back into the
// engine — read stats, open another source, close its own, throw — must
// work, and the engine must go on serving the page.
func TestListenerReentersTheEngine(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/a", holdStream("data: a1\n\ndata: a2\n\n"))
	s.mux.HandleFunc("/b", holdStream("data: b1\n\n"))
	tb := openHarness(t, s)
	tb.expectConsole("thrown from a listener")
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const log = [];
  let b;
  const a = new sseshim.EventSource('/a');
  a.onmessage = (e) => {
    log.push('a ' + e.data + ' counted=' + (a.stats.events >= 1));
    b = new sseshim.EventSource('/b');
    b.onmessage = (e) => {
      log.push('b ' + e.data);
      b.close();
      setTimeout(() => resolve({ log, live: __sseshim.engine.live().sources, a: a.readyState, b: b.readyState }), 100);
    };
    a.close();
    throw new Error('thrown from a listener');
  };
  setTimeout(() => resolve({ log, timeout: true }), 5000);
})`)
	assert.Nil(t, got["timeout"])
	assert.Equal(t, []any{"a a1 counted=true", "b b1"}, got["log"], "a2 is not dispatched after close(); b works")
	assert.Equal(t, float64(0), got["live"], "the engine holds no source")
	assert.Equal(t, float64(2), got["a"])
	assert.Equal(t, float64(2), got["b"])
}
