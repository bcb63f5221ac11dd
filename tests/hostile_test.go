//go:build !js

package tests

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Streams from a hostile or broken server must not crash the engine or
// freeze the page. Sizes here are the smallest at which each point holds.

// A long id persists from event to event: an event must not cost its
// length again. 4 MB id, then 300 events in one write: before, the id was
// copied into the Go→JS batch once per event (1.2 GB).
func TestLongIDIsSentOnce(t *testing.T) {
	s := newServer(t)
	const idLen, n = 4 << 20, 300
	s.mux.HandleFunc("/long-id", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("id: " + strings.Repeat("i", idLen) + "\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "data: %d\n\n", i)
		}
		b.WriteString("event: done\ndata: .\n\n")
		holdStream(b.String())(w, r)
	})
	s.mux.HandleFunc("/steady", holdStream("data: sibling\n\nevent: done\ndata: .\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, fmt.Sprintf(`new Promise((resolve) => {
  const r = { events: 0, idLens: new Set(), sibling: 0 };
  const es = new sseshim.EventSource('/long-id', { maxEventSize: 8 << 20 });
  es.onmessage = (e) => { r.events++; r.idLens.add(e.lastEventId.length); };
  es.onerror = (e) => { r.error = e.kind + ' ' + e.message; };
  es.addEventListener('done', () => {
    r.state = es.readyState; es.close();
    const sib = new sseshim.EventSource('/steady');
    sib.onmessage = () => r.sibling++;
    sib.addEventListener('done', () => { sib.close(); r.idLens = [...r.idLens]; resolve(r); });
  });
  setTimeout(() => resolve({ timeout: true, events: r.events }), 30000);
})`))
	assert.Nil(t, got["timeout"], "%v", got)
	assert.Equal(t, float64(n), got["events"])
	assert.Equal(t, []any{float64(4 << 20)}, got["idLens"], "every event carries the whole id")
	assert.Equal(t, float64(1), got["state"])
	assert.Equal(t, float64(1), got["sibling"], "the engine still serves another source")
	assert.Nil(t, got["error"])
}

// maxEventSize bounds the id as well as the data: an id over the cap closes
// the source with kind too-large, and a sibling source keeps working.
func TestLongIDOverTheCap(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/huge-id", holdStream("data: before\n\nid: "+strings.Repeat("i", 2<<20)+"\ndata: x\n\n"))
	s.mux.HandleFunc("/steady", holdStream("data: sibling\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const r = { log: [] };
  const es = new sseshim.EventSource('/huge-id', { maxEventSize: 1 << 20 });
  es.onmessage = (e) => r.log.push(e.data);
  es.onerror = (e) => {
    r.log.push('error ' + e.kind + ' rs=' + es.readyState);
    const sib = new sseshim.EventSource('/steady');
    sib.onmessage = (e) => { r.log.push('sibling ' + e.data); sib.close(); resolve(r); };
  };
  setTimeout(() => resolve(r), 20000);
})`)
	assert.Equal(t, []any{"before", "error too-large rs=2", "sibling sibling"}, got["log"])
}

// gzipStream serves body gzip-compressed as an event stream, then holds.
func gzipStream(body []byte) http.HandlerFunc {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	wire := buf.Bytes()
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(200)
		w.Write(wire)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// A flood that arrives at once (a gzip bomb of line ends; a backlog of tiny
// events) is read as queued data, whose reads resolve as microtasks: the
// engine must still let the page's event loop run while it works through
// it. A timer ticking every few milliseconds must run during the flood.
func TestFloodDoesNotBlockThePage(t *testing.T) {
	s := newServer(t)
	blank := append(bytes.Repeat([]byte{'\n'}, 64<<20), "event: done\ndata: .\n\n"...)
	s.mux.HandleFunc("/blank", gzipStream(blank))
	var events bytes.Buffer
	for i := 0; i < 100000; i++ {
		events.WriteString("data: x\n\n")
	}
	events.WriteString("event: done\ndata: .\n\n")
	s.mux.HandleFunc("/tiny", gzipStream(events.Bytes()))
	tb := openHarness(t, s)
	for _, path := range []string{"/blank", "/tiny"} {
		got := eval[map[string]float64](tb, fmt.Sprintf(`new Promise((resolve) => {
  let ticks = 0, messages = 0, flooding = false, last = 0, maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (flooding) { ticks++; maxGap = Math.max(maxGap, now - last); }
    last = now;
  }, 2);
  const es = new sseshim.EventSource(%q);
  es.onopen = () => { flooding = true; last = performance.now(); };
  es.onmessage = () => messages++;
  es.addEventListener('done', () => { clearInterval(timer); es.close(); resolve({ ticks, messages, maxGap }); });
})`, path))
		t.Logf("%s: %v", path, got)
		if path == "/tiny" {
			// 0 ticks before the engine yielded to the event loop.
			assert.GreaterOrEqual(t, got["ticks"], float64(3), "%s: the page's timers ran during the flood", path)
			assert.Equal(t, float64(100000), got["messages"])
		}
		// /blank: the flood is read to its end (its longest gap, logged, is
		// spent inside Chromium's reads of 1–2 MB chunks, not in sseshim).
	}
}

// A giant event must not stay in memory once it was delivered and the
// source closed: the JavaScript heap returns to where it was. (Wasm memory
// cannot shrink; the engine's buffers are freed for Go to reuse.)
func TestGiantEventFreedAfterClose(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/giant", holdStream("data: "+strings.Repeat("g", 12<<20)+"\n\n"))
	s.mux.HandleFunc("/small", holdStream("data: s\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]float64](tb, `(async () => {
  const heap = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); } return performance.memory.usedJSHeapSize; };
  const receive = (url) => new Promise((resolve) => {
    const es = new sseshim.EventSource(url);
    es.onmessage = (e) => { const n = e.data.length; es.close(); resolve(n); };
  });
  await receive('/small');
  const before = await heap();
  const n = await receive('/giant');
  await receive('/small'); // the engine's next batch replaces the giant one
  const after = await heap();
  return { n, growth: after - before, wasm: __sseshim.instance.exports.mem.buffer.byteLength };
})()`)
	t.Logf("%v", got)
	assert.Equal(t, float64(12<<20), got["n"])
	assert.Less(t, got["growth"], float64(2<<20), "JS heap growth after close")
}

// When the engine stops for any reason, every source is told: error with
// kind engine and readyState CLOSED; close() stays safe, and a new source
// fails with the same clear error instead of throwing from deep inside.
// The Go program's exit is simulated as wasm_exec.js records a real one
// (exited set, the run promise resolved): a fatal error such as running out
// of memory ends the same way.
func TestEngineDeathFailsEverySource(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	for _, how := range []string{"exit", "exception"} {
		t.Run(how, func(t *testing.T) {
			tb := openHarness(t, s)
			tb.expectConsole("Go program has already exited")
			got := eval[map[string]any](tb, fmt.Sprintf(`(async () => {
  const log = [];
  const watch = (name, es) => { es.onerror = (e) => log.push(name + ' ' + e.kind + ' rs=' + es.readyState + ' ' + e.message); };
  const open = new sseshim.EventSource('/x');
  watch('open', open);
  await new Promise((r) => { open.onmessage = r; });
  const pending = new sseshim.EventSource('/x', { headers: () => new Promise(() => {}) });
  watch('pending', pending);
  await new Promise((r) => setTimeout(r, 50));
  const rt = __sseshim.runtime;
  rt.exited = true;
  if (%q === 'exit') rt._resolveExitPromise(); else void open.stats; // the next call into Go throws
  await new Promise((r) => setTimeout(r, 50));
  const later = new sseshim.EventSource('/x');
  watch('later', later);
  await new Promise((r) => setTimeout(r, 50));
  open.close(); pending.close(); later.close();
  return { log, states: [open.readyState, pending.readyState, later.readyState].join(), stats: typeof open.stats.events };
})()`, how))
			log := got["log"].([]any)
			require.Len(t, log, 3, "%v", log)
			for i, name := range []string{"open", "pending", "later"} {
				assert.Regexp(t, "^"+name+` engine rs=2 sseshim: the engine stopped`, log[i])
			}
			assert.Equal(t, "2,2,2", got["states"])
			assert.Equal(t, "number", got["stats"], "stats stay readable")
		})
	}
}

// Endless redirects: fetch() says only "Failed to fetch"; sseshim says why.
func TestEndlessRedirectsSaySo(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?again", http.StatusTemporaryRedirect)
	})
	tb := openHarness(t, s)
	tb.expectConsole("ERR_TOO_MANY_REDIRECTS")
	got := eval[string](tb, `new Promise((resolve) => {
  const es = new sseshim.EventSource('/loop', { retry: { maxAttempts: 1 } });
  es.onerror = (e) => { if (es.readyState === 2) resolve(e.kind + ': ' + e.message); };
  setTimeout(() => resolve('timeout'), 10000);
})`)
	assert.Contains(t, got, "max-attempts")
	assert.Contains(t, got, "too many redirects")
}

// Sources that open, stream and close leave nothing behind: neither
// JavaScript objects referenced from Go (wasm_exec.js's table of values)
// nor the JavaScript heap grows with their number.
func TestClosedSourcesLeaveNothing(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("id: 1\ndata: "+strings.Repeat("x", 4096)+"\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]float64](tb, `(async () => {
  const cycle = () => new Promise((resolve) => {
    const es = new sseshim.EventSource('/x', { headers: () => ({ 'X-A': '1' }) });
    es.onmessage = () => { es.close(); resolve(); };
  });
  const settle = async () => { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 30)); } };
  for (let i = 0; i < 20; i++) await cycle();
  await settle();
  const v0 = __sseshim.runtime._values.length - __sseshim.runtime._idPool.length, h0 = performance.memory.usedJSHeapSize;
  let peak = 0;
  const live = () => __sseshim.runtime._values.length - __sseshim.runtime._idPool.length;
  for (let i = 0; i < 100; i++) {
    await cycle();
    await new Promise((r) => setTimeout(r, 0)); // the engine's goroutines finish the close
    peak = Math.max(peak, live() - v0);
  }
  await settle();
  const h1 = performance.memory.usedJSHeapSize;
  return { values: peak, heap: h1 - h0 };
})()`)
	t.Logf("after 100 more sources: %v", got)
	assert.Less(t, got["values"], float64(100), "JavaScript values referenced from Go, at most, after any close")
	assert.Less(t, got["heap"], float64(2<<20), "JS heap")
}
