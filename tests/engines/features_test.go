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
