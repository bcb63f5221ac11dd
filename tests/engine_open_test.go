//go:build !js

package tests

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// TestEngineOpen is the tenth source's start-up (issue 10): with the engine
// running and one source open, nine more sources are opened at once, and then
// nine one after another, each closed at its first message; the browser's
// own EventSource does the same in the same page. Every source must get its
// first message, and the engine must hold no source once all are closed.
//
// Each first message carries the time its request reached the server, so a
// source's start-up splits into the page's part (constructor → request at
// the server) and the rest (request → first message dispatched).
//
//	SSESHIM_BENCH            print the figures (medians over rounds) and write
//	                         them to out/engine-open.md
//	SSESHIM_OPEN_ROUNDS      rounds (default 1, or 9 with SSESHIM_BENCH)
//	SSESHIM_OPEN_A, _B       two build folders, a dist/ each (default dist/):
//	                         both run, interleaved with the browser's
//	                         EventSource, in frames of one page
func TestEngineOpen(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	bench := os.Getenv("SSESHIM_BENCH") != ""
	rounds := 1
	if bench {
		rounds = 9
	}
	if v := os.Getenv("SSESHIM_OPEN_ROUNDS"); v != "" {
		var err error
		rounds, err = strconv.Atoi(v)
		require.NoError(t, err, "SSESHIM_OPEN_ROUNDS")
	}
	dirs := abDirs("SSESHIM_OPEN_")
	s := newServer(t) // HTTP/1.1: six connections to the host, for every implementation alike
	s.mux.HandleFunc("/eo/first", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now().UnixMicro()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		b, _ := sse.AppendMessage(nil, sse.Message{Data: "first " + strconv.FormatInt(at, 10)})
		_, _ = w.Write(b)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // open until the page closes it, as a live stream is
	})
	serveABFrames(s.mux, "/eo", dirs, func(prefix string) string { return fmt.Sprintf(engineOpenPage, prefix) })
	tb := newTab(t)
	tb.navigate(s.URL + "/eo/top.html")
	networkOff(t, tb.ctx, false) // DevTools' request records would cost every fetch() a stack trace
	require.True(t, eval[bool](tb, `crossOriginIsolated`), "the page is cross-origin isolated")
	frame := func(k string) string { return "document.getElementById('" + k + "').contentWindow" }
	for _, k := range []string{"A", "B"} {
		eval[bool](tb, `new Promise((r) => { const c = () => { const w = `+frame(k)+`; if (w.sseshim && w.openRound) w.sseshim.ready.then(() => r(true)); else setTimeout(c, 10); }; c(); })`)
	}

	// parts of a source's start-up, in ms: what openRound returns per source
	parts := []string{"constructor → request at the server", "request at the server → first message",
		"total", "constructor → the engine's fetch()", "fetch() response → first message",
		"constructor → open()", "open() call", "fetch() call"}
	// per run ("A:native", ...), per round: the last of the nine at once, and
	// per part the median source at once and one after another
	type round struct {
		last, cpu float64 // cpu: the browser's, all processes, per source opened, in ms
		once, seq []float64
	}
	got := map[string][]round{}
	runs := [][2]string{{"A", "native"}, {"A", "sseshim"}, {"B", "sseshim"}}
	if !bench {
		runs = runs[:2] // the smoke run: both implementations behave alike
	}
	browserPID := 0
	if p := chromedp.FromContext(browser).Browser.Process(); p != nil {
		browserPID = p.Pid
	}
	rng := rand.New(rand.NewPCG(10, 9))
	began := time.Now()
	for i := 0; i < rounds; i++ {
		order := slices.Clone(runs)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, r := range order {
			cpu0 := takeCPU(browserPID)
			res := eval[map[string]any](tb, fmt.Sprintf(`%s.openRound(%q, 9)`, frame(r[0]), r[1]))
			cpu := takeCPU(browserPID).since(cpu0)
			require.Equal(t, "", res["err"], "%v", r)
			medians := func(key string) []float64 {
				list := res[key].([]any)
				require.Len(t, list, 9, "%v %s: every source had its first message", r, key)
				out := make([]float64, len(parts))
				for p := range parts {
					var x []float64
					for _, src := range list {
						x = append(x, src.([]any)[p].(float64))
					}
					out[p] = median(x)
				}
				return out
			}
			got[r[0]+":"+r[1]] = append(got[r[0]+":"+r[1]], round{last: res["last"].(float64), cpu: float64(cpu.Microseconds()) / 1000 / 19, once: medians("once"), seq: medians("seq")})
		}
	}
	for _, k := range []string{"A", "B"} {
		// Closed sources are let go: the engine holds none. (A source's
		// goroutine ends once its fetch has been aborted, a few event loop
		// turns after close().)
		n := eval[float64](tb, `new Promise((r) => { const go = `+frame(k)+`.__sseshim.engine; let tries = 0;
		  const c = () => { const n = go.live().sources; if (n === 0 || ++tries > 200) r(n); else setTimeout(c, 10); }; c(); })`)
		require.Zero(t, n, "%s: sources the engine still holds after all were closed", k)
	}
	if !bench {
		return
	}
	var md strings.Builder
	fmt.Fprintf(&md, "The tenth source (tests/engine_open_test.go): A = %s, B = %s, %d rounds, %.0fs. "+
		"The engine running and one source open, nine sources opened at once, then nine one after another, each closed "+
		"at its first message. ms, medians over rounds [min–max] of the round's median source.\n\n",
		dirs["A"], dirs["B"], rounds, time.Since(began).Seconds())
	spread := func(x []float64) string {
		if x[0] < 0 {
			return "–"
		}
		x = slices.Clone(x)
		sort.Float64s(x)
		return fmt.Sprintf("%.3g [%.3g–%.3g]", x[len(x)/2], x[0], x[len(x)-1])
	}
	md.WriteString("| | browser CPU per source | nine at once: the last's first message |")
	for _, p := range parts {
		md.WriteString(" at once: " + p + " |")
	}
	for _, p := range parts {
		md.WriteString(" one after another: " + p + " |")
	}
	md.WriteString("\n|---|---|---|" + strings.Repeat("---|", 2*len(parts)) + "\n")
	for _, r := range runs {
		rows := got[r[0]+":"+r[1]]
		col := func(f func(round) float64) string {
			var x []float64
			for _, g := range rows {
				x = append(x, f(g))
			}
			return spread(x)
		}
		name := "browser EventSource"
		if r[1] == "sseshim" {
			name = "sseshim " + r[0]
		}
		fmt.Fprintf(&md, "| %s | %s | %s |", name, col(func(g round) float64 { return g.cpu }), col(func(g round) float64 { return g.last }))
		for p := range parts {
			fmt.Fprintf(&md, " %s |", col(func(g round) float64 { return g.once[p] }))
		}
		for p := range parts {
			fmt.Fprintf(&md, " %s |", col(func(g round) float64 { return g.seq[p] }))
		}
		md.WriteString("\n")
	}
	fmt.Println(md.String())
	require.NoError(t, os.MkdirAll("out", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("out", "engine-open.md"), []byte(md.String()), 0o644))
}

// crossOriginIsolated makes a page cross-origin isolated, so that
// performance.now() counts in 5 µs steps instead of 100 µs.
func median(x []float64) float64 {
	x = slices.Clone(x)
	sort.Float64s(x)
	return x[len(x)/2]
}

// engineOpenPage is a frame with one build of sseshim (%s: its folder's
// path). openRound(impl, n) opens one source and waits for its first
// message, then opens n sources at once and n one after another, each
// closed at its first message, and returns the times in ms.
const engineOpenPage = `<!doctype html>
<meta charset="utf-8">
<script>
// When the engine calls fetch() for a source, and when the response's
// headers are in: the engine takes fetch at start-up, so it is wrapped
// before the engine loads.
const fetchAt = new Map();
const pageFetch = window.fetch;
window.fetch = function (input, init) {
  const m = /[?]s=(\d+)$/.exec(String(input));
  const t0 = performance.now();
  const p = pageFetch.apply(this, arguments);
  if (m) {
    const t = { call: t0, took: performance.now() - t0 };
    fetchAt.set(m[1], t);
    p.then(() => { t.res = performance.now(); }, () => {});
  }
  return p;
};
</script>
<script src="%ssseshim.js" data-polyfill="off"></script>
<script>
let seq = 0;
// first opens a source and resolves at its first message, closing it, with
// in ms: [constructor → request at the server, → first message, total,
// constructor → the engine's fetch(), fetch()'s response → first message]
// (-1: no fetch(), the browser's own EventSource).
function first(Ctor, t0) {
  return new Promise((resolve, reject) => {
    const id = String(++seq);
    const es = new Ctor('/eo/first?s=' + id);
    es.onmessage = (e) => {
      const at = performance.timeOrigin + performance.now();
      es.close();
      const m = /^first (\d+)$/.exec(e.data);
      if (!m) { reject(new Error('unexpected data ' + e.data)); return; }
      const server = Number(m[1]) / 1000 - performance.timeOrigin; // on the page's clock
      const f = fetchAt.get(id) || {};
      fetchAt.delete(id);
      const o = openAt.get(id) || [t0 - 1, t0 - 1];
      openAt.delete(id);
      resolve([server - t0, at - performance.timeOrigin - server, at - performance.timeOrigin - t0,
        f.call === undefined ? -1 : f.call - t0, f.res === undefined ? -1 : at - performance.timeOrigin - f.res,
        o[0] - t0, o[1] - o[0], f.took === undefined ? -1 : f.took]);
    };
    es.onerror = () => { es.close(); reject(new Error('error event')); };
  });
}
// The shim's calls of the engine's open(url, ...): when, and how long.
const openAt = new Map();
let wrapped = false;
function wrapOpen() {
  if (wrapped || !(window.__sseshim && __sseshim.engine)) return;
  wrapped = true;
  const go = __sseshim.engine, open = go.open;
  go.open = function (arg) {
    const m = /[?]s=(\d+)$/.exec(String(arg.url));
    const t = performance.now();
    const h = open.apply(this, arguments);
    if (m) openAt.set(m[1], [t, performance.now()]);
    return h;
  };
}
window.openRound = async (impl, n) => {
  const Ctor = impl === 'native' ? EventSource : sseshim.EventSource;
  wrapOpen();
  let holder;
  try {
    await new Promise((resolve, reject) => {
      holder = new Ctor('/eo/first?holder=' + (++seq));
      holder.onmessage = resolve;
      holder.onerror = () => reject(new Error('the first source failed'));
    });
    const t0 = performance.now();
    const all = [];
    for (let i = 0; i < n; i++) all.push(first(Ctor, t0));
    const got = await Promise.all(all);
    const out = { err: '', last: Math.max(...got.map((g) => g[2])), once: got, seq: [] };
    await new Promise((r) => setTimeout(r, 20)); // the closed ones' connections let go
    for (let i = 0; i < n; i++) {
      out.seq.push(await first(Ctor, performance.now()));
    }
    return out;
  } catch (e) {
    return { err: String(e && e.message || e) };
  } finally {
    if (holder) holder.close();
    await new Promise((r) => setTimeout(r, 20));
  }
};
</script>
`
