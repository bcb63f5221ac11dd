//go:build !js

package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// TestEngineAB compares two builds of sseshim in one browser, interleaved,
// each against the browser's own EventSource and the fetch() reader floor in
// the same round: the way to tell whether an engine change helps when one
// benchmark run moves by 20–50% on a busy machine; the wasm and Go floors
// beside them (bench_page_test.go's FloorWasmEventSource, FloorGoEventSource)
// show what any engine compiled to WebAssembly, or from Go, pays per chunk.
// Both builds run in frames
// of one cross-origin isolated page (performance.now() in 5 µs steps).
//
//	SSESHIM_AB_A, SSESHIM_AB_B  the two build folders, a dist/ each (default dist/)
//	SSESHIM_AB_ROUNDS           rounds of full-size streams (default: one round
//	                            of small ones, a smoke test that both builds
//	                            deliver every event right)
//	SSESHIM_AB_KINDS            a comma list of paced, 32B, 1KiB, losant (default all)
//	SSESHIM_AB_PROBE            also time the paced stream's chunks from read()
//	                            to the event's dispatch, and count every
//	                            stream's chunks (a faster reader takes data in
//	                            smaller chunks, and pays more per chunk)
//
// It prints, and writes to tests/out/engine-ab.md, per stream the medians over
// rounds of CPU per event and latency, and of each build's per-round ratio to
// the browser's EventSource and B's to A.
func TestEngineAB(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	dirs := browsertest.ABDirs("SSESHIM_AB_")
	rounds, n32, n1k, nJSON, nPaced := 1, 500, 200, 300, 50
	if v := os.Getenv("SSESHIM_AB_ROUNDS"); v != "" {
		_, err := fmt.Sscan(v, &rounds)
		require.NoError(t, err, "SSESHIM_AB_ROUNDS")
		n32, n1k, nJSON, nPaced = 10_000, 3000, 5000, 1000
	}
	s := benchServer(t, benchLibs(t), buildFloors(t, "gofloor"))
	// One tab holding both builds' pages in frames; reloading a page would
	// run each build's first streams before V8 has optimised its code. The
	// page is cross-origin isolated: performance.now() then counts in 5 µs
	// steps instead of 100 µs, fine enough to time one small chunk.
	browsertest.ServeABFrames(s.Mux, "/ab", dirs, func(prefix string) string {
		return strings.ReplaceAll(benchPage, "/bdist/", prefix)
	})
	tb := browsertest.NewTab(t)
	tb.Navigate(s.URL + "/ab/top.html")
	browsertest.NetworkOff(t, tb.Ctx, false)
	require.True(t, browsertest.Eval[bool](tb, `crossOriginIsolated`), "the page is cross-origin isolated")
	frame := func(k string) string { return "document.getElementById('" + k + "').contentWindow" }
	for _, k := range []string{"A", "B"} {
		browsertest.Eval[bool](tb, `new Promise((r) => { const c = () => { const w = `+frame(k)+`; if (w.sseshim && w.runBench) w.sseshim.ready.then(() => r(true)); else setTimeout(c, 10); }; c(); })`)
		if os.Getenv("SSESHIM_AB_PROBE") != "" {
			// Times each fetch chunk of the paced stream as its read()
			// resolves, so that the server-to-chunk part of the latency can
			// be told from what the engine adds after it.
			browsertest.Eval[bool](tb, `(() => { const w = `+frame(k)+`; const orig = w.ReadableStreamDefaultReader.prototype.read;
			  w.__rr = []; const dec = new TextDecoder();
			  w.ReadableStreamDefaultReader.prototype.read = function () { return orig.call(this).then((r) => {
			    if (!r.done && r.value) { w.__nr++; const at = (performance.timeOrigin + performance.now()) * 1000;
			      const m = /data: (\d{10,})/.exec(dec.decode(r.value)); if (m) { w.__rr.push(at - +m[1]); w.__rt.set(m[1], at); } }
			    return r; }); };
			  w.__rt = new Map(); w.__rd = [];
			  const disp = w.EventTarget.prototype.dispatchEvent;
			  w.EventTarget.prototype.dispatchEvent = function (e) {
			    if (e.type === 'message') { const at = w.__rt.get(e.data); if (at !== undefined) w.__rd.push((performance.timeOrigin + performance.now()) * 1000 - at); }
			    return disp.call(this, e); };
			  return true; })()`)
		}
		// a first stream, so that V8 has tiered up both builds' code (and
		// the Go floor's, which loads on its first use)
		browsertest.Eval[map[string]any](tb, fmt.Sprintf(`%s.runBench("sseshim", "text", %d, 32, 30000, 0)`, frame(k), n32))
		if k == "A" {
			browsertest.Eval[map[string]any](tb, fmt.Sprintf(`%s.runBench("floor-go", "text", %d, 32, 30000, 0)`, frame(k), n32))
		}
	}
	browserPID := browsertest.BrowserPID()
	type job struct {
		kind, page string
		n, size    int
	}
	jobs := []job{{kindPaced, "paced", nPaced, 0}, {kind32B, "text", n32, 32}, {kind1KiB, "text", n1k, 1024},
		{kindLosant, "losant", nJSON, 0}}
	if k := os.Getenv("SSESHIM_AB_KINDS"); k != "" {
		jobs = slices.DeleteFunc(jobs, func(j job) bool { return !slices.Contains(strings.Split(k, ","), j.kind) })
	}
	// run: [page, variant] pairs; the browser's own, the fetch() reader
	// floor and the wasm and Go floors (a fetch() EventSource whose chunks
	// pass through a minimal wasm export, or a Go program's) run on A's page.
	runs := [][2]string{{"A", "native"}, {"A", "fetch"}, {"A", "floor-wasm"}, {"A", "floor-go"}, {"A", "sseshim"}, {"B", "sseshim"}}
	type result struct{ cpu, p50, p99, rr50, rd50, rd99, rd90mean, reads float64 }
	got := map[string][]result{} // "kind run" → per round
	rng := rand.New(rand.NewPCG(5, 6))
	rid := 0
	began := time.Now()
	for round := 1; round <= rounds; round++ {
		for _, j := range jobs {
			order := slices.Clone(runs)
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, r := range order {
				rid++
				browsertest.Eval[bool](tb, frame(r[0])+`.__rr = []; `+frame(r[0])+`.__rd = []; `+frame(r[0])+`.__rt = new Map(); `+frame(r[0])+`.__nr = 0; true`)
				cpu0 := browsertest.TakeCPU(browserPID)
				res := browsertest.Eval[map[string]any](tb, fmt.Sprintf(`%s.runBench(%q, %q, %d, %d, 30000, %d)`,
					frame(r[0]), r[1], j.page, j.n, j.size, rid))
				cpu := browsertest.TakeCPU(browserPID).Since(cpu0)
				require.Equal(t, "", res["err"], "%v %s", r, j.kind)
				require.Equal(t, float64(j.n), res["events"], "%v %s", r, j.kind)
				require.Zero(t, res["bad"], "%v %s: events with wrong data", r, j.kind)
				rr := browsertest.Eval[float64](tb, `(() => { const x = `+frame(r[0])+`.__rr || []; x.sort((a, b) => a - b); return x.length ? x[x.length >> 1] / 1000 : 0; })()`)
				// (the mean of the fastest 90%: finer than a median of 5 µs
				// steps, without the tail a busy machine adds)
				rd := browsertest.Eval[[]float64](tb, `(() => { const x = `+frame(r[0])+`.__rd || []; x.sort((a, b) => a - b);
				  const f = x.slice(0, Math.ceil(x.length * 0.9));
				  return x.length ? [x[x.length >> 1] / 1000, x[Math.floor(x.length * 0.99)] / 1000, f.reduce((a, b) => a + b, 0) / f.length / 1000] : [0, 0, 0]; })()`)
				reads := browsertest.Eval[float64](tb, frame(r[0])+`.__nr || 0`)
				key := j.kind + " " + r[0] + ":" + r[1]
				got[key] = append(got[key], result{cpu: float64(cpu) / float64(j.n), p50: res["p50"].(float64), p99: res["p99"].(float64), rr50: rr, rd50: rd[0], rd99: rd[1], rd90mean: rd[2], reads: reads / float64(j.n)})
			}
		}
	}
	ratios := func(kind, a, b string, f func(result) float64) float64 {
		var x []float64
		for i := range got[kind+" "+a] {
			if d := f(got[kind+" "+b][i]); d > 0 {
				x = append(x, f(got[kind+" "+a][i])/d)
			}
		}
		if len(x) == 0 {
			return 0
		}
		s, _ := summarize(x)
		return s.med
	}
	abs := func(kind, run string, f func(result) float64) float64 {
		var x []float64
		for _, r := range got[kind+" "+run] {
			x = append(x, f(r))
		}
		s, _ := summarize(x)
		return s.med
	}
	probe := os.Getenv("SSESHIM_AB_PROBE") != ""
	var md strings.Builder
	fmt.Fprintf(&md, "A = %s, B = %s, %d rounds, %.0fs; medians of per-round ratios\n\n", dirs["A"], dirs["B"], rounds, time.Since(began).Seconds())
	md.WriteString("| stream | measure | browser | fetch() floor | wasm floor | Go floor | A | B | wasm floor / browser | Go floor / browser | A / browser | B / browser | B / A |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	measures := []struct {
		name string
		f    func(result) float64
	}{{"CPU/event (µs)", func(r result) float64 { return r.cpu / 1000 }}, {"p50 (ms)", func(r result) float64 { return r.p50 }}, {"p99 (ms)", func(r result) float64 { return r.p99 }},
		{"p50 to read() (ms)", func(r result) float64 { return r.rr50 }}, {"p50 after read() (ms)", func(r result) float64 { return r.p50 - r.rr50 }},
		{"read() to dispatch p50 (ms)", func(r result) float64 { return r.rd50 }}, {"read() to dispatch p99 (ms)", func(r result) float64 { return r.rd99 }},
		{"read() to dispatch, mean of the fastest 90% (ms)", func(r result) float64 { return r.rd90mean }},
		{"chunks read() per event", func(r result) float64 { return r.reads }}}
	for _, j := range jobs {
		for _, m := range measures {
			if j.kind != kindPaced && !strings.HasPrefix(m.name, "CPU") && !strings.HasPrefix(m.name, "chunks") || !probe && strings.Contains(m.name, "read()") {
				continue
			}
			fmt.Fprintf(&md, "| %s | %s | %.3g | %.3g | %.3g | %.3g | %.3g | %.3g | %.2f | %.2f | %.2f | %.2f | %.2f |\n", j.kind, m.name,
				abs(j.kind, "A:native", m.f), abs(j.kind, "A:fetch", m.f), abs(j.kind, "A:floor-wasm", m.f), abs(j.kind, "A:floor-go", m.f),
				abs(j.kind, "A:sseshim", m.f), abs(j.kind, "B:sseshim", m.f),
				ratios(j.kind, "A:floor-wasm", "A:native", m.f), ratios(j.kind, "A:floor-go", "A:native", m.f),
				ratios(j.kind, "A:sseshim", "A:native", m.f), ratios(j.kind, "B:sseshim", "A:native", m.f),
				ratios(j.kind, "B:sseshim", "A:sseshim", m.f))
		}
	}
	fmt.Println(md.String())
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "engine-ab.md"), []byte(md.String()), 0o644))
}
