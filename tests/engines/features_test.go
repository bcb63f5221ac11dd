//go:build !js

package engines

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The same streams in the page and in a classic, a module and a shared
// worker: the same log from each.
var _ = scenario("realms", func(t *testing.T, b *browser) {
	b.mux.HandleFunc("/realm/sse", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		switch {
		case r.URL.Query().Get("once") != "":
			fmt.Fprint(w, "id: 7\ndata: one\n\ndata: two\n\n")
		case r.Header.Get("Last-Event-ID") == "":
			fmt.Fprintf(w, "retry: 10\nid: 1\ndata: auth=%s\n\n", r.Header.Get("Authorization"))
		default:
			fmt.Fprintf(w, "data: resumed after %s auth=%s\n\n"+done, r.Header.Get("Last-Event-ID"), r.Header.Get("Authorization"))
			f.Flush()
			<-r.Context().Done()
		}
	})
	b.mux.HandleFunc("/realm/ndjson", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprint(w, `{"result":{"event":{"eventId":"e1","eventType":"temperature","data":{"t":"21 °C"}}}}`+"\n"+
			`{"result":{"event":{"eventId":"e2","eventType":"done","data":null}}}`+"\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	got := eval[map[string][]string](t, b, `
if (typeof runRealm !== 'function') {
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/page/realm.js';
    s.onload = resolve;
    s.onerror = reject;
    document.head.append(s);
  });
}
const fromWorker = (w) => new Promise((resolve) => {
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => resolve(['worker error ' + e.message]);
});
const r = {};
r.page = await runRealm(sseshim.EventSource, 'page');
r.classic = await fromWorker(new Worker('/page/worker-classic.js'));
r.module = await fromWorker(new Worker('/page/worker-module.js', { type: 'module' }));
if (typeof SharedWorker === 'function') {
  const sw = new SharedWorker('/page/worker-shared.js');
  r.shared = await new Promise((resolve) => { sw.port.onmessage = (e) => resolve(e.data); sw.port.start(); });
}
return r;`)
	want := func(tag string) []string {
		return []string{
			"message auth=Bearer " + tag + " 1 #1", "error end rs=0", "message resumed after 1 auth=Bearer " + tag + " 2 #1",
			`temperature {"eventId":"e1","eventType":"temperature","data":{"t":"21 °C"}} #e1`,
			"stream one #7", "stream two #7", "stream end rs=2 last=7",
		}
	}
	for _, realm := range []string{"page", "classic", "module", "shared"} {
		assert.Equal(t, want(realm), got[realm], realm)
	}
})

// Requests beyond GET: the method and body go with every attempt, and a
// reconnect resends the body with Last-Event-ID.
var _ = scenario("method-and-body", func(t *testing.T, b *browser) {
	var mu sync.Mutex
	var seen []string
	b.mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		leid := r.Header.Get("Last-Event-ID")
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s|%s|leid=%s", r.Method, r.Header.Get("Content-Type"), body, leid))
		n := len(seen)
		mu.Unlock()
		f := sseStart(w)
		if leid == "" {
			fmt.Fprintf(w, "retry: 1\nid: %d\ndata: first\n\n", n)
			f.Flush()
			return
		}
		fmt.Fprint(w, "data: resumed\n\n"+done)
		f.Flush()
		<-r.Context().Done()
	})
	got := eval[map[string]string](t, b, `
const run = (init) => new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/echo', init);
  es.onmessage = (e) => log.push(e.data);
  es.addEventListener('done', () => { es.close(); resolve(log.join()); });
  es.onerror = (e) => { if (es.readyState === 2) resolve('error ' + e.kind + ' ' + e.message); };
});
const r = {};
r.json = await run({ method: 'POST', body: JSON.stringify({ prompt: 'héllo' }), headers: { 'Content-Type': 'application/json' } });
let n = 0;
r.fn = await run({ method: 'POST', body: async () => 'attempt ' + (++n) });
r.bytes = await run({ method: 'POST', body: new TextEncoder().encode('bytes') });
return r;`)
	for _, k := range []string{"json", "fn", "bytes"} {
		assert.Equal(t, "first,resumed", got[k], k)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		`POST application/json|{"prompt":"héllo"}|leid=`, `POST application/json|{"prompt":"héllo"}|leid=1`,
		`POST text/plain;charset=UTF-8|attempt 1|leid=`, `POST text/plain;charset=UTF-8|attempt 2|leid=3`,
		`POST |bytes|leid=`, `POST |bytes|leid=5`,
	}, seen)
})

// A stream that goes silent is noticed by the ping watchdog and reconnected.
var _ = scenario("ping-watchdog", func(t *testing.T, b *browser) {
	var calls atomic.Int32
	var interval atomic.Value
	b.mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		interval.Store(r.URL.Query().Get("ping_interval"))
		f := sseStart(w)
		fmt.Fprintf(w, "retry: 10\ndata: connection %d\n\n", n)
		f.Flush()
		<-r.Context().Done() // open, and silent
	})
	got := eval[[]string](t, b, `return await new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/stall', { ping: { interval: 300, leeway: 200 } });
  es.onmessage = (e) => { log.push(e.data); if (log.length === 3) { es.close(); resolve(log); } };
  es.onerror = (e) => log.push('error ' + e.kind + ' ' + es.readyState);
});`)
	assert.Equal(t, []string{"connection 1", "error watchdog 0", "connection 2"}, got)
	assert.Equal(t, "300ms", interval.Load())
})

// A retry policy backs off, and gives up after maxAttempts.
var _ = scenario("backoff", func(t *testing.T, b *browser) {
	b.mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	got := eval[[]string](t, b, `return await new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/busy', { retryStatuses: [503], retry: { initial: 20, max: 60, maxAttempts: 4 } });
  es.addEventListener('retrying', (e) => log.push('retrying ' + e.delay + ' #' + e.attempt));
  es.onerror = (e) => {
    log.push(['error', e.kind, e.status || '', es.readyState].join(' '));
    if (es.readyState === 2) { log.push('failures ' + es.stats.failures); resolve(log); }
  };
});`)
	assert.Equal(t, []string{
		"error status 503 0", "retrying 20 #1",
		"error status 503 0", "retrying 40 #2",
		"error status 503 0", "retrying 60 #3",
		"error max-attempts  2", "failures 4",
	}, got)
})

// Batch mode hands the page one event per chunk with every record in order.
var _ = scenario("batch", func(t *testing.T, b *browser) {
	b.mux.HandleFunc("/points", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		for c := 0; c < 10; c++ {
			var s strings.Builder
			for i := 0; i < 50; i++ {
				n := c*50 + i
				fmt.Fprintf(&s, "id: %d\nevent: point\ndata: {\"n\":%d,\"label\":\"Süd ❄\"}\n\n", n, n)
			}
			_, _ = w.Write([]byte(s.String()))
			f.Flush()
		}
		fmt.Fprint(w, done)
		f.Flush()
		<-r.Context().Done()
	})
	got := eval[map[string]any](t, b, `return await new Promise((resolve) => {
  const r = { batches: 0, n: 0, ordered: true, messages: 0, cls: true };
  const es = new sseshim.EventSource('/points', { batch: true, json: true });
  es.onmessage = () => r.messages++;
  es.addEventListener('point', () => r.messages++);
  es.addEventListener('batch', (e) => {
    r.batches++;
    r.cls = r.cls && e instanceof sseshim.BatchEvent;
    for (const ev of e.events) {
      if (ev.type === 'done') { es.close(); resolve(r); return; }
      if (ev.type !== 'point' || ev.json.n !== r.n || ev.lastEventId !== String(r.n) || ev.json.label !== 'Süd ❄') r.ordered = false;
      r.n++;
    }
  });
});`)
	assert.Equal(t, float64(500), got["n"])
	assert.Equal(t, true, got["ordered"])
	assert.Equal(t, true, got["cls"])
	assert.Equal(t, float64(0), got["messages"], "no message events in batch mode")
	assert.LessOrEqual(t, got["batches"], float64(11), "at most one batch per chunk")
})

// Three frames of one origin share one connection (a SharedWorker), each
// getting every event in order.
var _ = scenario("share-across-frames", func(t *testing.T, b *browser) {
	var conns atomic.Int32
	var tick atomic.Int64
	b.mux.HandleFunc("/shared", func(w http.ResponseWriter, r *http.Request) {
		conns.Add(1)
		f := sseStart(w)
		tk := time.NewTicker(30 * time.Millisecond)
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
	got := eval[[]map[string]any](t, b, `
if (typeof SharedWorker !== 'function') return [];
const frames = [];
for (let i = 0; i < 3; i++) {
  const f = document.createElement('iframe');
  f.src = '/page/share.html';
  document.body.append(f);
  frames.push(f);
}
const enough = (f) => new Promise((resolve) => {
  const check = () => (f.contentWindow.got && f.contentWindow.got.ids.length >= 10 ? resolve() : setTimeout(check, 20));
  check();
});
await Promise.all(frames.map(enough));
const out = frames.map((f) => {
  const w = f.contentWindow;
  return { ids: w.got.ids.slice(), errors: w.got.errors, shared: w.es.stats.shared, tabs: w.es.stats.tabs };
});
for (const f of frames) { f.contentWindow.es.close(); f.remove(); }
return out;`)
	require.Len(t, got, 3, "%s has SharedWorker", b.engine)
	assert.Equal(t, int32(1), conns.Load(), "one connection for three frames")
	for i, f := range got {
		ids := f["ids"].([]any)
		for j := 1; j < len(ids); j++ {
			assert.Equal(t, ids[j-1].(float64)+1, ids[j].(float64), "frame %d: %v", i, ids)
		}
		assert.Equal(t, true, f["shared"], "frame %d", i)
		assert.Equal(t, float64(3), f["tabs"], "frame %d", i)
		assert.Empty(t, f["errors"], "frame %d", i)
	}
})

// Async iteration: for await over a source yields its messages across a
// reconnect and rejects with an SseshimError when it fails for good;
// events that arrive while the loop is busy wait for it, in order; break
// closes a stream source and cancels its stream.
var _ = scenario("async-iteration", func(t *testing.T, b *browser) {
	var calls atomic.Int32
	b.mux.HandleFunc("/iterate", func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			f := sseStart(w)
			fmt.Fprint(w, "retry: 10\nid: 1\ndata: a\n\nevent: other\ndata: x\n\nid: 2\ndata: b\n\n")
			f.Flush()
		case 2:
			f := sseStart(w)
			fmt.Fprintf(w, "data: c after %s\n\n", r.Header.Get("Last-Event-ID"))
			f.Flush()
		default:
			http.Error(w, "gone", http.StatusGone)
		}
	})
	got := eval[map[string]any](t, b, `
const r = {};
const seen = [];
try {
  for await (const e of new sseshim.EventSource('/iterate')) seen.push(e.data);
} catch (e) {
  seen.push([e.name, e instanceof sseshim.SseshimError, e.kind, e.status].join(' '));
}
r.network = seen;
let c, cancelled = false;
const es = sseshim.EventSource.fromReadableStream(new ReadableStream({ start(ctl) { c = ctl; }, cancel() { cancelled = true; } }));
const it = es.events();
const arrived = new Promise((resolve) => { let n = 0; es.addEventListener('message', () => { if (++n === 3) resolve(); }); });
c.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\ndata: 3\n\n'));
await arrived;
const buffered = [];
for await (const e of it) { buffered.push(e.data); if (buffered.length === 3) break; }
r.buffered = buffered;
r.closed = [es.readyState, cancelled];
return r;`)
	assert.Equal(t, []any{"a", "b", "c after 2", "SseshimError true status 410"}, got["network"])
	assert.Equal(t, []any{"1", "2", "3"}, got["buffered"])
	assert.Equal(t, []any{float64(2), true}, got["closed"])
})

// The signal option: its abort closes the source as close() does (CLOSED,
// no error, the request aborted, a for await loop ended, the listener
// removed); one already aborted sends no request; a stream handed over is
// cancelled; anything else than an AbortSignal is a TypeError.
var _ = scenario("signal", func(t *testing.T, b *browser) {
	var mu sync.Mutex
	reqs := map[string]int{}
	gone := make(chan string, 4)
	b.mux.HandleFunc("/signal", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs[r.URL.RawQuery]++
		mu.Unlock()
		f := sseStart(w)
		fmt.Fprint(w, "data: hello\n\n")
		f.Flush()
		<-r.Context().Done()
		gone <- r.URL.RawQuery
	})
	got := eval[map[string]any](t, b, `
const r = {};
const ac = new AbortController();
let listeners = 0;
const add = ac.signal.addEventListener, remove = ac.signal.removeEventListener;
ac.signal.addEventListener = function (type, ...rest) { if (type === 'abort') listeners++; return add.call(this, type, ...rest); };
ac.signal.removeEventListener = function (type, ...rest) { if (type === 'abort') listeners--; return remove.call(this, type, ...rest); };
const log = [];
const es = new sseshim.EventSource('/signal?live', { signal: ac.signal });
es.onerror = (e) => log.push('error ' + e.kind);
const iterated = (async () => { const seen = []; for await (const e of es) seen.push(e.data); return 'done ' + seen.join(); })();
await new Promise((res) => { es.addEventListener('message', res); });
r.listenersOpen = listeners;
ac.abort();
r.state = es.readyState;
r.iterated = await iterated;
r.listeners = listeners;
const pre = new sseshim.EventSource('/signal?aborted', { signal: ac.signal });
pre.onopen = pre.onerror = pre.onmessage = (e) => log.push('pre ' + e.type);
r.preState = pre.readyState;
let cancelled = false;
const sc = new AbortController();
const stream = sseshim.EventSource.fromReadableStream(new ReadableStream({
  start(c) { c.enqueue(new TextEncoder().encode('data: x\n\n')); }, cancel() { cancelled = true; } }), { signal: sc.signal });
stream.onerror = (e) => log.push('stream error ' + e.kind);
await new Promise((res) => { stream.onmessage = res; });
sc.abort();
await new Promise((res) => { const c = () => (cancelled ? res() : setTimeout(c, 20)); c(); });
r.stream = [stream.readyState, cancelled].join();
// A source made after both, served: the aborted one's request would have
// come first.
const after = new sseshim.EventSource('/signal?after');
await new Promise((res) => { after.onmessage = res; });
after.close();
r.bad = [];
for (const v of [{}, { aborted: false, addEventListener() {} }, 'x']) {
  try { new sseshim.EventSource('/signal?bad', { signal: v }).close(); r.bad.push('accepted'); } catch (e) { r.bad.push(e.name + ': ' + e.message); }
}
r.log = log;
return r;`)
	assert.Equal(t, float64(2), got["state"])
	assert.Equal(t, "done hello", got["iterated"])
	assert.Equal(t, float64(1), got["listenersOpen"], "the open source listens on the signal")
	assert.Equal(t, float64(0), got["listeners"], "the aborted source removed its listener")
	assert.Equal(t, float64(2), got["preState"])
	assert.Equal(t, "2,true", got["stream"])
	assert.Empty(t, got["log"], "no error, and nothing from the aborted source")
	for _, bad := range got["bad"].([]any) {
		assert.Regexp(t, "^TypeError: sseshim: option signal must be an AbortSignal", bad)
	}
	seenGone := map[string]bool{}
	for len(seenGone) < 2 {
		select {
		case q := <-gone:
			seenGone[q] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("requests still open: closed only %v", seenGone)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"live": 1, "after": 1}, reqs, "no request for the aborted signal")
})

// The fetch option: every request goes through the page's function with
// the engine's URL and init, a reconnection too; what it rejects with is a
// network error carrying its message; a value that is not a function is a
// TypeError.
var _ = scenario("fetch-option", func(t *testing.T, b *browser) {
	var mu sync.Mutex
	var seen []string
	b.mux.HandleFunc("/fetch-option", func(w http.ResponseWriter, r *http.Request) {
		leid := r.Header.Get("Last-Event-ID")
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Via")+" leid="+leid)
		mu.Unlock()
		f := sseStart(w)
		if leid == "" {
			fmt.Fprint(w, "retry: 10\nid: 7\ndata: first\n\n")
			f.Flush()
			return
		}
		fmt.Fprint(w, "data: second\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	got := eval[map[string]any](t, b, `
const r = { calls: [] };
const mine = (input, init) => {
  const headers = new Headers(init.headers);
  r.calls.push([String(input).replace(location.origin, ''), init.method, headers.get('accept'), headers.get('last-event-id'),
    init.signal instanceof AbortSignal].join(' '));
  headers.set('X-Via', 'mine');
  return fetch(input, { ...init, headers });
};
r.data = await new Promise((resolve) => {
  const data = [];
  const es = new sseshim.EventSource('/fetch-option', { fetch: mine });
  es.onmessage = (e) => { data.push(e.data); if (data.length === 2) { es.close(); resolve(data.join()); } };
});
r.rejected = await new Promise((resolve) => {
  let n = 0;
  const es = new sseshim.EventSource('/fetch-option', { fetch: () => Promise.reject(new Error('nope ' + (++n))), retry: { initial: 10, max: 10 } });
  es.onerror = (e) => { es.close(); resolve([e.kind, es.readyState, e.message].join('|')); };
});
r.bad = [];
for (const v of ['fetch', {}]) {
  try { new sseshim.EventSource('/fetch-option', { fetch: v }).close(); r.bad.push('accepted'); } catch (e) { r.bad.push(e.name + ': ' + e.message); }
}
return r;`)
	assert.Equal(t, "first,second", got["data"])
	assert.Equal(t, []any{"/fetch-option GET text/event-stream  true", "/fetch-option GET text/event-stream 7 true"}, got["calls"])
	assert.Regexp(t, `^network\|2\|.*nope 1`, got["rejected"])
	for _, bad := range got["bad"].([]any) {
		assert.Regexp(t, "^TypeError: sseshim: option fetch must be a function", bad)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"mine leid=", "mine leid=7"}, seen)
})

// A fetch function with share: where the engine can transfer a
// ReadableStream, two frames of one group share one connection, made with a
// frame's function; elsewhere each runs on its own engine and
// stats.notShared says why. Either way each gets its events in order.
var _ = scenario("share-fetch", func(t *testing.T, b *browser) {
	var conns atomic.Int32
	var mu sync.Mutex
	var frames []string
	b.mux.HandleFunc("/shared-fetch", func(w http.ResponseWriter, r *http.Request) {
		conns.Add(1)
		mu.Lock()
		frames = append(frames, r.Header.Get("X-Frame"))
		mu.Unlock()
		f := sseStart(w)
		tk := time.NewTicker(30 * time.Millisecond)
		defer tk.Stop()
		for n := 1; ; n++ { // each connection counts its own ticks
			select {
			case <-r.Context().Done():
				return
			case <-tk.C:
				fmt.Fprintf(w, "id: %d\ndata: tick %d\n\n", n, n)
				f.Flush()
			}
		}
	})
	got := eval[map[string]any](t, b, `
let transferable = true;
try { const rs = new ReadableStream(); new MessageChannel().port1.postMessage(rs, [rs]); } catch { transferable = false; }
const frames = [];
for (const name of ['one', 'two']) {
  const f = document.createElement('iframe');
  f.src = '/page/share-fetch.html#' + name;
  document.body.append(f);
  frames.push(f);
  await new Promise((resolve) => {
    const check = () => (f.contentWindow.got && f.contentWindow.got.ids.length >= 10 ? resolve() : setTimeout(check, 20));
    check();
  });
}
const out = frames.map((f) => {
  const w = f.contentWindow;
  return { ids: w.got.ids.slice(), errors: w.got.errors, shared: w.es.stats.shared, notShared: w.es.stats.notShared || '' };
});
for (const f of frames) { f.contentWindow.es.close(); f.remove(); }
return { transferable, sharedWorker: typeof SharedWorker === 'function', frames: out };`)
	t.Logf("%s: transferable streams %v, SharedWorker %v", b.engine, got["transferable"], got["sharedWorker"])
	share := got["transferable"] == true && got["sharedWorker"] == true
	for i, fr := range got["frames"].([]any) {
		f := fr.(map[string]any)
		ids := f["ids"].([]any)
		for j := 1; j < len(ids); j++ {
			assert.Equal(t, ids[j-1].(float64)+1, ids[j].(float64), "frame %d: %v", i, ids)
		}
		assert.Empty(t, f["errors"], "frame %d", i)
		assert.Equal(t, share, f["shared"], "frame %d", i)
		if !share && got["sharedWorker"] == true {
			assert.Contains(t, f["notShared"], "a fetch function shares only where a ReadableStream can be transferred", "frame %d", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if share {
		assert.Equal(t, int32(1), conns.Load(), "one connection for both frames")
		assert.Equal(t, []string{"one"}, frames, "made by the first frame's function")
	} else {
		assert.Equal(t, []string{"one", "two"}, frames, "each frame's own request, through its function")
	}
})
