//go:build !js

package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdStream sends body once and keeps the stream open (no reconnect).
func holdStream(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		fmt.Fprint(w, body)
		f.Flush()
		<-r.Context().Done()
	}
}

// collect runs JavaScript that builds an EventSource `es` (with the variable
// log for lines) and resolves when it calls finish().
func collect(t *testing.T, tb *tab, body string) []string {
	t.Helper()
	return eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  let es;
  const finish = () => { if (es) es.close(); resolve(log); };
  setTimeout(() => { log.push('timeout'); finish(); }, 10000);
  `+body+`
})`)
}

func TestAPISurface(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) { sseStart(w) })
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(() => {
  const ES = sseshim.EventSource, N = NativeEventSource;
  const r = {};
  const es = new ES('/x?a=1'), n = new N('/x?a=1');
  r.url = es.url === n.url;
  r.consts = [ES.CONNECTING, ES.OPEN, ES.CLOSED, es.CONNECTING, es.OPEN, es.CLOSED].join();
  r.initial = es.readyState;
  r.withCredentials = [es.withCredentials, new ES('/x', {withCredentials: 1}).withCredentials].join();
  r.tag = Object.prototype.toString.call(es);
  r.isTarget = es instanceof EventTarget;
  try { new ES('http://[::bad'); } catch (e) { r.badURL = e.name + ' ' + (e instanceof DOMException); }
  try { new N('http://[::bad'); } catch (e) { r.nativeBadURL = e.name; }
  try { new ES(); } catch (e) { r.noArgs = e.name; }
  for (const [k, v] of [['unknown', {nope: 1}], ['format', {format: 'xml'}], ['json', {json: 'yes'}],
      ['ping', {ping: {interval: -1}}], ['retry', {retry: {factor: 0.5}}], ['retryKey', {retry: {maxx: 1}}],
      ['headers', {headers: 5}], ['headerValue', {headers: {a: 1}}], ['statuses', {retryStatuses: [99]}]]) {
    try { new ES('/x', v); r[k] = 'no throw'; } catch (e) { r[k] = e.name + ': ' + e.message; }
  }
  es.onmessage = () => {};
  r.handlerGet = typeof es.onmessage;
  es.onmessage = 5;
  r.handlerNonFunction = es.onmessage;
  es.close(); n.close();
  r.closed = es.readyState;
  return r;
})()`)
	assert.Equal(t, true, got["url"])
	assert.Equal(t, "0,1,2,0,1,2", got["consts"])
	assert.Equal(t, float64(0), got["initial"])
	assert.Equal(t, "false,true", got["withCredentials"])
	assert.Equal(t, "[object EventSource]", got["tag"])
	assert.Equal(t, true, got["isTarget"])
	assert.Equal(t, "SyntaxError true", got["badURL"])
	assert.Equal(t, "SyntaxError", got["nativeBadURL"])
	assert.Equal(t, "TypeError", got["noArgs"])
	for _, k := range []string{"unknown", "format", "json", "ping", "retry", "retryKey", "headers", "headerValue", "statuses"} {
		assert.True(t, strings.HasPrefix(got[k].(string), "TypeError: sseshim: option"), "%s: %v", k, got[k])
	}
	assert.Contains(t, got["unknown"], "nope")
	assert.Equal(t, "function", got["handlerGet"])
	assert.Nil(t, got["handlerNonFunction"])
	assert.Equal(t, float64(2), got["closed"])
}

// TestHandlerAttributesMatchNative checks the event handler attribute rules
// (order relative to addEventListener, replacement keeps the place, null
// removes) against the browser's EventSource.
func TestHandlerAttributesMatchNative(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: 1\n\n"))
	tb := openHarness(t, s)
	run := func(impl string) []string {
		return eval[[]string](tb, `new Promise((resolve) => {
  const ES = '`+impl+`' === 'native' ? NativeEventSource : sseshim.EventSource;
  const log = [];
  const es = new ES('/x');
  es.addEventListener('message', () => log.push('listener1'));
  es.onmessage = () => log.push('handlerA');
  es.addEventListener('message', () => log.push('listener2'));
  es.onmessage = function (e) { log.push('handlerB this=' + (this === es) + ' type=' + e.type); };
  const h = () => log.push('removed');
  es.onopen = h; es.onopen = null;
  es.onerror = () => log.push('error');
  es.addEventListener('message', () => { es.close(); setTimeout(() => resolve(log), 50); });
})`)
	}
	native, shim := run("native"), run("shim")
	require.Equal(t, []string{"listener1", "handlerB this=true type=message", "listener2"}, native)
	assert.Equal(t, native, shim)
}

func TestConstructBeforeReadyAndPolyfillModes(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: early bird\n\n"))
	page := func(mode string) string {
		return `<!doctype html><meta charset="utf-8"><script>window.NativeES = window.EventSource;</script>
<script src="/dist/sseshim.js" data-polyfill="` + mode + `"></script>
<script>
window.result = new Promise((resolve) => {
  const es = new sseshim.EventSource('/x'); // before the engine is ready
  const state = es.readyState;
  es.onmessage = (e) => { es.close(); resolve({data: e.data, state, installed: window.EventSource === sseshim.EventSource, native: window.EventSource === window.NativeES}); };
});
</script>`
	}
	for _, mode := range []string{"auto", "force", "off"} {
		m := mode
		s.mux.HandleFunc("/polyfill-"+m+".html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, page(m))
		})
	}
	tb := newTab(t)
	for _, mode := range []string{"auto", "force", "off"} {
		tb.navigate(s.URL + "/polyfill-" + mode + ".html")
		got := eval[map[string]any](tb, `window.result`)
		assert.Equal(t, "early bird", got["data"], mode)
		assert.Equal(t, float64(0), got["state"], mode)
		// Chromium has an EventSource: only "force" replaces it.
		assert.Equal(t, mode == "force", got["installed"], mode)
		assert.Equal(t, mode != "force", got["native"], mode)
	}
}

func TestHeadersAndAsyncTokenRefresh(t *testing.T) {
	s := newServer(t)
	var auths []string
	var mu sync.Mutex
	s.mux.HandleFunc("/secure", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Static"))
		n := len(auths)
		mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer t") {
			http.Error(w, `{"error":"unauthenticated"}`, 401)
			return
		}
		f := sseStart(w)
		fmt.Fprintf(w, "retry: 20\ndata: hello %s\n\n", r.Header.Get("Authorization"))
		f.Flush()
		if n >= 2 {
			<-r.Context().Done()
		}
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  let n = 0;
  es = new sseshim.EventSource('/secure', {headers: async () => {
    await new Promise((r) => setTimeout(r, 5));
    n++;
    return {Authorization: 'Bearer t' + n, 'X-Static': 'yes'};
  }});
  es.onmessage = (e) => { log.push(e.data); if (log.length === 2) finish(); };`)
	assert.Equal(t, []string{"hello Bearer t1", "hello Bearer t2"}, log)
	assert.Equal(t, []string{"Bearer t1|yes", "Bearer t2|yes"}, auths)

	// Without the header the server refuses; the error says so.
	log = collect(t, tb, `
  es = new sseshim.EventSource('/secure', {headers: {'X-Static': 'no'}});
  es.onerror = (e) => { log.push([e.kind, e.status, es.readyState].join()); finish(); };`)
	assert.Equal(t, []string{"status,401,2"}, log)
}

func TestNDJSONEnvelopesInBrowser(t *testing.T) {
	s := newServer(t)
	var calls atomic.Int32
	s.mux.HandleFunc("/v2/projects/p/devices:stream", func(w http.ResponseWriter, r *http.Request) {
		assert.Contains(t, r.Header.Get("Accept"), "application/x-ndjson")
		assert.Equal(t, "Basic ZGVtbzpkZW1v", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		f := w.(http.Flusher)
		if calls.Add(1) == 1 {
			fmt.Fprintln(w, `{"result":{"event":{"eventId":"e1","targetName":"projects/p/devices/d1","eventType":"temperature","data":{"temperature":{"value":21.5}},"timestamp":"2024-01-01T00:00:00Z"}}}`)
			fmt.Fprintln(w, `{"result":{"event":{"eventId":"p1","targetName":"projects/p","eventType":"ping","data":null}}}`)
			fmt.Fprintln(w, `{"result":{"event":{"eventId":"e2","targetName":"projects/p/devices/d2","eventType":"touch","data":{"touch":{}}}}}`)
			fmt.Fprintln(w, `{"result":{"event":{"eventId":"e\r3","eventType":"odd\rtype","data":{"note":"a\rb"}}}}`)
			fmt.Fprint(w, "{\"result\":{\"event\":{\"eventId\":\"e4\",\r\"eventType\":\"touch\",\"data\":{}}}}\n")
			fmt.Fprintln(w, `{"error":{"code":503,"message":"try again"}}`)
			f.Flush()
			return
		}
		fmt.Fprintln(w, `{"error":{"code":401,"message":"token expired"}}`)
		f.Flush()
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/v2/projects/p/devices:stream', {format: 'ndjson', json: true,
    headers: {Authorization: 'Basic ' + btoa('demo:demo')}, retry: {initial: 20, max: 100}});
  es.addEventListener('temperature', (e) => log.push('temperature ' + e.json.data.temperature.value + ' ' + e.lastEventId));
  es.addEventListener('touch', (e) => log.push('touch ' + e.lastEventId + ' ' + JSON.stringify(e.json.data)));
  es.addEventListener('odd\uFFFDtype', (e) => log.push('odd ' + e.lastEventId + ' ' + e.json.data.note));
  es.addEventListener('ping', (e) => log.push('ping ' + (e instanceof MessageEvent)));
  es.onmessage = (e) => log.push('message ' + e.data);
  es.addEventListener('retrying', (e) => log.push('retrying ' + e.delay));
  es.onerror = (e) => { log.push(['error', e.kind, e.code, e.message, es.readyState].join(' ')); if (es.readyState === 2) finish(); };`)
	assert.Equal(t, []string{
		"temperature 21.5 e1", "ping false", "touch e2 {\"touch\":{}}", "odd e\uFFFD3 a\rb", "touch e4 {}",
		"error server 503 try again 0", "retrying 20",
		"error server 401 token expired 2",
	}, log)
}

func TestNestedJSON(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/api/stream/devices/d1", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		state, _ := json.Marshal(map[string]any{"time": "2024-01-01T00:00:00.000Z", "data": map[string]any{"temperature": 167}})
		msg, _ := json.Marshal(map[string]any{"topic": "losant/d1/state", "message": string(state), "time": "2024-01-01T00:00:00.000Z"})
		fmt.Fprintf(w, "event: mqttMessage\ndata: %s\n\n", msg)
		fmt.Fprint(w, "event: mqttMessage\ndata: {\"topic\":\"custom\",\"message\":\"{not json\"}\n\n")
		fmt.Fprint(w, "event: mqttMessage\ndata: not json at all\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/api/stream/devices/d1', {json: true});
  es.addEventListener('mqttMessage', (e) => {
    const j = e.json;
    log.push(j === undefined ? 'undefined' : JSON.stringify(j));
    if (log.length === 3) finish();
  });`)
	assert.Equal(t, []string{
		`{"message":{"data":{"temperature":167},"time":"2024-01-01T00:00:00.000Z"},"time":"2024-01-01T00:00:00.000Z","topic":"losant/d1/state"}`,
		`{"message":"{not json","topic":"custom"}`,
		"undefined",
	}, normalizeJSONLines(t, log))
}

// normalizeJSONLines re-encodes JSON lines with sorted keys.
func normalizeJSONLines(t *testing.T, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		var v any
		if json.Unmarshal([]byte(l), &v) != nil {
			out[i] = l
			continue
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out[i] = string(b)
	}
	return out
}

func TestWatchdogReconnectsStalledStream(t *testing.T) {
	s := newServer(t)
	var calls atomic.Int32
	s.mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		assert.Equal(t, "300ms", r.URL.Query().Get("ping_interval"))
		f := sseStart(w)
		fmt.Fprintf(w, "retry: 10\ndata: connection %d\n\n", n)
		f.Flush()
		<-r.Context().Done() // stalled: open, silent
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/stall', {ping: {interval: 300, leeway: 200}});
  es.onmessage = (e) => { log.push(e.data); if (log.length === 3) finish(); };
  es.onerror = (e) => log.push('error ' + e.kind + ' ' + es.readyState);`)
	assert.Equal(t, []string{"connection 1", "error watchdog 0", "connection 2"}, log)
}

func TestBackoffAndMaxAttempts(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", 503)
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/busy', {retryStatuses: [503], retry: {initial: 20, max: 60, maxAttempts: 4}});
  es.addEventListener('retrying', (e) => log.push('retrying ' + e.delay + ' #' + e.attempt));
  es.onerror = (e) => { log.push(['error', e.kind, e.status || '', es.readyState].join(' ')); if (es.readyState === 2) { log.push('failures ' + es.stats.failures); finish(); } };`)
	assert.Equal(t, []string{
		"error status 503 0", "retrying 20 #1",
		"error status 503 0", "retrying 40 #2",
		"error status 503 0", "retrying 60 #3",
		"error max-attempts  2", "failures 4",
	}, log)
}

// TestThousandReconnectsLeakNothing reconnects a thousand times after a
// warm-up of a thousand and checks that neither the JavaScript heap nor the
// wasm memory grows: every js.Func, fetch and reader is released. JavaScript
// objects that Go references are freed only when Go's collector runs, so the
// heap is sampled ten times in each window and the minima compared.
func TestThousandReconnectsLeakNothing(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/flap", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		fmt.Fprint(w, "retry: 0\ndata: x\n\n")
		f.Flush()
	})
	tb := openHarness(t, s)
	got := eval[map[string]float64](tb, `new Promise((resolve) => {
  const heap = () => { gc(); return performance.memory.usedJSHeapSize; };
  const wasm = () => __sseshim.instance.exports.mem.buffer.byteLength;
  let n = 0, warmHeap = Infinity, endHeap = Infinity, warmWasm = 0;
  // A policy whose floor is 1 ms and which does not grow: the no-policy floor
  // (MinReconnectDelay) would make 2000 reconnects take minutes.
  const es = new sseshim.EventSource('/flap', { retry: { initial: 1, factor: 1 } });
  es.onmessage = () => {
    n++;
    if (n === 1000) warmWasm = wasm();
    if (n >= 1000 && n < 1200 && n % 20 === 0) warmHeap = Math.min(warmHeap, heap());
    if (n >= 1800 && n < 2000 && n % 20 === 0) endHeap = Math.min(endHeap, heap());
    if (n === 2000) {
      es.close();
      resolve({n, heapGrowth: endHeap - warmHeap, wasmGrowth: wasm() - warmWasm, reconnects: es.stats.reconnects});
    }
  };
})`)
	t.Logf("1000 reconnects after a warm-up of 1000: %+v", got)
	assert.GreaterOrEqual(t, got["reconnects"], float64(1999))
	assert.Less(t, got["heapGrowth"], float64(1<<20), "JS heap growth")
	assert.Less(t, got["wasmGrowth"], float64(1<<20), "wasm memory growth")
}

// TestConfigErrorIsAnEvent: what the engine refuses fails the connection
// with an error event in a later task, which listeners added after the
// constructor still see, and which close() before it suppresses.
func TestConfigErrorIsAnEvent(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('ftp://example.test/stream');
  log.push('after constructor ' + es.readyState);
  es.onerror = (e) => { log.push(['error', e.kind, es.readyState, /http or https/.test(e.message)].join(' ')); finish(); };`)
	// CONNECTING until the task that fails it, as for any fetch that fails.
	assert.Equal(t, []string{"after constructor 0", "error config 2 true"}, log)
	log = collect(t, tb, `
  es = new sseshim.EventSource('ftp://example.test/stream');
  es.onerror = () => log.push('error after close');
  es.close();
  setTimeout(() => { log.push('quiet'); finish(); }, 100);`)
	assert.Equal(t, []string{"quiet"}, log)
}

func TestStatsAndErrorDetails(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		fmt.Fprint(w, "id: 7\ndata: small\n\n")
		fmt.Fprintf(w, "data: %s\n\n", strings.Repeat("x", 4096))
		f.Flush()
		<-r.Context().Done()
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/big', {maxEventSize: 1024});
  es.onmessage = (e) => log.push('message ' + e.data);
  es.onerror = (e) => { const st = es.stats; log.push(['error', e.kind, es.readyState, st.events, st.bytes > 4096, st.lastActivity > 0].join(' ')); finish(); };`)
	assert.Equal(t, []string{"message small", "error too-large 2 1 true true"}, log)
}

// TestScriptAttributesLocateTheEngine: with the script served from elsewhere,
// data-wasm and data-wasm-exec say where the engine's files are.
func TestScriptAttributesLocateTheEngine(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/elsewhere/sseshim.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, distDir+"/sseshim.js")
	})
	s.mux.HandleFunc("/x", holdStream("data: located\n\n"))
	s.mux.HandleFunc("/located.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/elsewhere/sseshim.js" data-wasm="/dist/sseshim.wasm" data-wasm-exec="/dist/wasm_exec.js"></script>
<script>window.result = new Promise((resolve) => { const es = new sseshim.EventSource('/x'); es.onmessage = (e) => { es.close(); resolve(e.data); }; });</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/located.html")
	assert.Equal(t, "located", eval[string](tb, `window.result`))
}

// TestEngineLoadFailure: when the module cannot be loaded, sseshim.ready
// rejects and every source, made before or after, fails with kind "engine".
func TestEngineLoadFailure(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/broken.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-wasm="/missing.wasm"></script>
<script>
window.result = (async () => {
  const log = [];
  const early = new sseshim.EventSource('/x');
  const failed = (es, name) => new Promise((resolve) => { es.onerror = (e) => { log.push(name + ' ' + e.kind + ' ' + es.readyState); resolve(); }; });
  const p1 = failed(early, 'early');
  try { await sseshim.ready; log.push('ready?'); } catch (e) { log.push('ready rejected'); }
  const late = new sseshim.EventSource('/x');
  await Promise.all([p1, failed(late, 'late')]);
  return log;
})();
</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/broken.html")
	got := eval[[]string](tb, `window.result`)
	assert.ElementsMatch(t, []string{"ready rejected", "early engine 2", "late engine 2"}, got)
}

// TestNDJSONCustomPathsInBrowser: eventTypePath and idPath cross into the
// engine.
func TestNDJSONCustomPathsInBrowser(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/lines", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprintln(w, `{"meta":{"kind":"reading"},"seq":7,"v":1}`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	tb := openHarness(t, s)
	log := collect(t, tb, `
  es = new sseshim.EventSource('/lines', {format: 'auto', eventTypePath: ['meta', 'kind'], idPath: ['seq']});
  es.addEventListener('reading', (e) => { log.push(e.lastEventId + ' ' + JSON.parse(e.data).v); finish(); });`)
	assert.Equal(t, []string{"7 1"}, log)
}
