//go:build !js

package tests

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// The browser benchmark: the browser's own EventSource, sseshim, and npm's
// eventsource and event-source-polyfill, interleaved in one browser, several
// rounds. SSESHIM_BENCH=full (make bench) or quick (make bench-quick) runs it
// for figures; without it, make test runs it as a smoke test: one round,
// small streams, every implementation checked for correct delivery.

type benchMode struct {
	name           string
	rounds         int
	fastN, longN   int // events in the throughput and memory streams
	pacedN         int
	startupRounds  int
	runTimeout     time.Duration
	implsSkipLarge []string // implementations too slow for the 1 KiB stream at this size
}

func currentBenchMode() benchMode {
	switch os.Getenv("SSESHIM_BENCH") {
	case "full":
		return benchMode{name: "full", rounds: 5, fastN: 100_000, longN: 200_000, pacedN: 2000, startupRounds: 5, runTimeout: 90 * time.Second}
	case "quick":
		return benchMode{name: "quick", rounds: 5, fastN: 10_000, longN: 40_000, pacedN: 300, startupRounds: 3, runTimeout: 30 * time.Second}
	}
	return benchMode{name: "smoke", rounds: 1, fastN: 500, longN: 1000, pacedN: 20, startupRounds: 1, runTimeout: 30 * time.Second}
}

var benchImpls = []string{"native", "sseshim", "eventsource", "event-source-polyfill"}

const (
	npmEventsourceVersion = "5.1.5"
	npmPolyfillVersion    = "1.0.31"
)

// benchLibs installs the npm polyfills and bundles each into a script that
// sets a global, so that every implementation loads from a <script> tag.
func benchLibs(t *testing.T) string {
	t.Helper()
	work, err := filepath.Abs(filepath.Join(".npm-work", "bench"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(work, 0o755))
	lib := filepath.Join(work, "lib")
	if _, err := os.Stat(filepath.Join(lib, "event-source-polyfill.js")); err == nil {
		return lib
	}
	require.NoError(t, os.WriteFile(filepath.Join(work, "package.json"), []byte(`{"name":"bench","private":true}`), 0o644))
	run(t, work, "npm", "install", "--no-save", "--prefer-offline", "esbuild@"+esbuildVersion,
		"eventsource@"+npmEventsourceVersion, "event-source-polyfill@"+npmPolyfillVersion)
	entries := map[string]string{
		"npm-eventsource.js":       `import { EventSource } from 'eventsource'; window.NpmEventSource = EventSource;`,
		"event-source-polyfill.js": `import { EventSourcePolyfill } from 'event-source-polyfill'; window.EventSourcePolyfill = EventSourcePolyfill;`,
	}
	for name, src := range entries {
		entry := filepath.Join(work, "entry-"+name)
		require.NoError(t, os.WriteFile(entry, []byte(src), 0o644))
		run(t, work, "node_modules/.bin/esbuild", entry, "--bundle", "--minify", "--format=iife", "--outfile="+filepath.Join(lib, name))
	}
	return lib
}

// benchPayload is event i's data: the sequence number in 12 digits, padded
// with x to size bytes, so the page can check each event it gets.
func benchPayload(buf []byte, i, size int) []byte {
	s := strconv.Itoa(i)
	for k := len(s); k < 12; k++ {
		buf = append(buf, '0')
	}
	buf = append(buf, s...)
	for k := 12; k < size; k++ {
		buf = append(buf, 'x')
	}
	return buf
}

// benchServer serves the page, the libraries and the streams.
func benchServer(t *testing.T, lib string) *server {
	s := newServer(t)
	cacheable := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=3600")
			h.ServeHTTP(w, r)
		})
	}
	// dist with its brotli copy, as the dev server and any real host serve it.
	s.mux.Handle("/bdist/", cacheable(http.StripPrefix("/bdist/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Join(distDir, filepath.Clean("/"+r.URL.Path))
		if strings.HasSuffix(name, ".wasm") && strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
			w.Header().Set("Content-Encoding", "br")
			w.Header().Set("Content-Type", "application/wasm")
			http.ServeFile(w, r, name+".br")
			return
		}
		http.ServeFile(w, r, name)
	}))))
	s.mux.Handle("/lib/", cacheable(http.StripPrefix("/lib/", http.FileServer(http.Dir(lib)))))
	s.mux.HandleFunc("/bench/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, benchPage)
	})
	s.mux.HandleFunc("/bench/startup.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, startupPage, startupScripts[r.URL.Query().Get("impl")], startupCtor[r.URL.Query().Get("impl")])
	})
	// stream answers with the events events(send) sends — encoded by the
	// project's own encoder, buffered up to 32 KiB (or flushed at once when
	// paced) — then "done", and stays open so that nothing reconnects.
	stream := func(w http.ResponseWriter, r *http.Request, paced bool, events func(send func(sse.Message) bool)) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(200)
		f := w.(http.Flusher)
		var buf []byte
		send := func(m sse.Message) bool {
			buf, _ = sse.AppendMessage(buf, m)
			if paced || len(buf) > 32<<10 {
				_, _ = w.Write(buf)
				buf = buf[:0]
				f.Flush()
			}
			return r.Context().Err() == nil
		}
		events(send)
		paced = true
		send(sse.Message{Type: "done", Data: "."})
		<-r.Context().Done()
	}
	count := func(r *http.Request) int {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		return n
	}
	s.mux.HandleFunc("/bench/fast", func(w http.ResponseWriter, r *http.Request) {
		n := count(r)
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		stream(w, r, false, func(send func(sse.Message) bool) {
			var p []byte
			for i := 0; i < n; i++ {
				p = benchPayload(p[:0], i, size)
				if !send(sse.Message{Data: string(p)}) {
					return
				}
			}
		})
	})
	s.mux.HandleFunc("/bench/losant", func(w http.ResponseWriter, r *http.Request) {
		n := count(r)
		stream(w, r, false, func(send func(sse.Message) bool) {
			for i := 0; i < n; i++ {
				state, _ := json.Marshal(map[string]any{"time": "2026-01-01T00:00:00.000Z", "data": map[string]any{"seq": i, "temperature": 167.5, "voltage": 230.1}})
				msg, _ := json.Marshal(map[string]any{"topic": "losant/d/state", "message": string(state), "time": "2026-01-01T00:00:00.000Z"})
				if !send(sse.Message{Type: "mqttMessage", Data: string(msg)}) {
					return
				}
			}
		})
	})
	s.mux.HandleFunc("/bench/paced", func(w http.ResponseWriter, r *http.Request) {
		n := count(r)
		stream(w, r, true, func(send func(sse.Message) bool) {
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for i := 0; i < n; i++ {
				<-tick.C
				if !send(sse.Message{Data: strconv.FormatInt(time.Now().UnixMicro(), 10)}) {
					return
				}
			}
		})
	})
	s.mux.HandleFunc("/bench/first", func(w http.ResponseWriter, r *http.Request) {
		stream(w, r, true, func(send func(sse.Message) bool) { send(sse.Message{Data: "first"}) })
	})
	return s
}

var startupScripts = map[string]string{
	"native":                ``,
	"sseshim":               `<script src="/bdist/sseshim.js" data-polyfill="off"></script>`,
	"eventsource":           `<script src="/lib/npm-eventsource.js"></script>`,
	"event-source-polyfill": `<script src="/lib/event-source-polyfill.js"></script>`,
}

var startupCtor = map[string]string{
	"native": "EventSource", "sseshim": "sseshim.EventSource", "eventsource": "NpmEventSource", "event-source-polyfill": "EventSourcePolyfill",
}

// startupPage measures from the script include to the first event.
const startupPage = `<!doctype html><meta charset="utf-8"><title>startup</title>
<script>window.t0 = performance.now();</script>
%s
<script>
  const es = new %s('/bench/first');
  es.onmessage = () => { window.startup = performance.now() - t0; es.close(); };
</script>`

const benchPage = `<!doctype html><meta charset="utf-8"><title>bench</title>
<script>window.NativeEventSource = window.EventSource;</script>
<script src="/bdist/sseshim.js" data-polyfill="off"></script>
<script src="/lib/npm-eventsource.js"></script>
<script src="/lib/event-source-polyfill.js"></script>
<script>
const impls = {
  native: () => NativeEventSource,
  sseshim: () => sseshim.EventSource,
  eventsource: () => NpmEventSource,
  'event-source-polyfill': () => EventSourcePolyfill,
};
const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;
const heap = () => { gc(); return performance.memory.usedJSHeapSize; };
const wasmMem = () => (window.__sseshimInstance ? __sseshimInstance.exports.mem.buffer.byteLength : 0);
window.runBench = (impl, kind, n, size, timeout) => new Promise((resolve) => {
  const ES = impls[impl]();
  let opts;
  if (impl === 'sseshim' && kind === 'losant') opts = { json: true };
  if (impl === 'event-source-polyfill') opts = { heartbeatTimeout: 600000 };
  const url = kind === 'losant' ? '/bench/losant?n=' + n : kind === 'paced' ? '/bench/paced?n=' + n : '/bench/fast?n=' + n + '&size=' + size;
  let got = 0, bad = 0, finished = false, es;
  const lat = [];
  const warmAt = Math.floor(n / 10);
  let warm = null, mem = null;
  const t0 = performance.now();
  const finish = (err) => {
    if (finished) return;
    finished = true;
    const ms = performance.now() - t0;
    es.close();
    if (kind === 'long' && warm) mem = { heapGrowth: heap() - warm.heap, wasmGrowth: wasmMem() - warm.wasm };
    lat.sort((a, b) => a - b);
    const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] / 1000 : 0);
    resolve({ events: got, bad, ms, err: err || '', p50: q(0.5), p99: q(0.99), mem });
  };
  const onFast = (e) => {
    const d = e.data;
    if (d.length !== size || +d.slice(0, 12) !== got) bad++;
    got++;
    if (kind === 'long' && got === warmAt) warm = { heap: heap(), wasm: wasmMem() };
  };
  const onLosant = impl === 'sseshim'
    ? (e) => { if (e.json.message.data.seq !== got) bad++; got++; }
    : (e) => { const outer = JSON.parse(e.data); const m = JSON.parse(outer.message); if (m.data.seq !== got) bad++; got++; };
  const onPaced = (e) => { lat.push(nowMicros() - +e.data); got++; };
  es = opts ? new ES(url, opts) : new ES(url);
  if (kind === 'losant') es.addEventListener('mqttMessage', onLosant);
  else es.onmessage = kind === 'paced' ? onPaced : onFast;
  es.addEventListener('done', () => finish(got === n ? '' : 'short'));
  es.onerror = () => { if (es.readyState === 2) finish('closed'); };
  setTimeout(() => finish('timeout'), timeout);
});
</script>`

// procCPU sums user and system CPU time of the browser's processes.
func procCPU(root int) time.Duration {
	children := map[int][]int{}
	stats := map[int][2]int64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command, which is in parentheses and may hold spaces.
		rest := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		if len(rest) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(rest[1])
		ut, _ := strconv.ParseInt(rest[11], 10, 64)
		st, _ := strconv.ParseInt(rest[12], 10, 64)
		children[ppid] = append(children[ppid], pid)
		stats[pid] = [2]int64{ut, st}
	}
	var ticks int64
	var walk func(int)
	walk = func(p int) {
		ticks += stats[p][0] + stats[p][1]
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(root)
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

type benchRun struct {
	Impl, Kind     string
	Round          int
	Events, Bad    int
	Ms             float64
	CPU            float64 // ms of browser CPU
	P50, P99       float64 // ms
	HeapGrowth     float64
	WasmGrowth     float64
	Err            string
	ExpectedEvents int
}

type benchReport struct {
	Mode, Date, Machine string
	Runs                []benchRun
	Startup             map[string]map[string][]float64 // impl → cold/warm → ms
	Sizes               map[string]map[string]int       // impl → raw/gzip/brotli
}

func TestBrowserBenchmark(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required under CI")
		}
		t.Skip("npm is not installed")
	}
	mode := currentBenchMode()
	lib := benchLibs(t)
	s := benchServer(t, lib)
	browserPID := 0
	if p := chromedp.FromContext(browser).Browser.Process(); p != nil {
		browserPID = p.Pid
	}
	tb := newTab(t)
	tb.navigate(s.URL + "/bench/page.html")
	eval[bool](tb, `sseshim.ready.then(() => true)`)
	// The DevTools Network domain makes the browser's EventSource report
	// every message and run several times slower: keep it off.
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Disable, cdp.Empty{})
		return err
	})))

	rep := benchReport{Mode: mode.name, Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(),
		Startup: map[string]map[string][]float64{}, Sizes: sizes(t, lib)}
	type job struct {
		kind string
		n    int
		size int
	}
	jobs := []job{{"fast", mode.fastN, 32}, {"fast", mode.fastN, 1024}, {"losant", mode.fastN, 0}, {"paced", mode.pacedN, 0}, {"long", mode.longN, 128}}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 1; round <= mode.rounds; round++ {
		for _, j := range jobs {
			order := slices.Clone(benchImpls)
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, impl := range order {
				kind := j.kind
				cpu0 := procCPU(browserPID)
				res := eval[map[string]any](tb, fmt.Sprintf(`runBench(%q, %q, %d, %d, %d)`, impl, kind, j.n, j.size, mode.runTimeout.Milliseconds()))
				cpu := procCPU(browserPID) - cpu0
				r := benchRun{Impl: impl, Kind: kindName(j.kind, j.size), Round: round, ExpectedEvents: j.n,
					Events: int(res["events"].(float64)), Bad: int(res["bad"].(float64)), Ms: res["ms"].(float64),
					CPU: float64(cpu) / float64(time.Millisecond), P50: res["p50"].(float64), P99: res["p99"].(float64), Err: res["err"].(string)}
				if m, ok := res["mem"].(map[string]any); ok {
					r.HeapGrowth, r.WasmGrowth = m["heapGrowth"].(float64), m["wasmGrowth"].(float64)
				}
				rep.Runs = append(rep.Runs, r)
				// sseshim and the browser's own must deliver every event right.
				if impl == "native" || impl == "sseshim" {
					require.Equal(t, "", r.Err, "%s %s", impl, r.Kind)
					require.Equal(t, j.n, r.Events, "%s %s", impl, r.Kind)
					require.Zero(t, r.Bad, "%s %s: events with wrong data", impl, r.Kind)
				}
			}
		}
	}
	for round := 1; round <= mode.startupRounds; round++ {
		for _, impl := range benchImpls {
			if rep.Startup[impl] == nil {
				rep.Startup[impl] = map[string][]float64{}
			}
			for _, cache := range []string{"cold", "warm"} {
				st := newTab(t)
				if cache == "cold" {
					require.NoError(t, chromedp.Do(st.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
						_, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{})
						if err == nil {
							_, err = cdp.Call(ctx, tg, network.Disable, cdp.Empty{})
						}
						return err
					})))
				}
				st.navigate(s.URL + "/bench/startup.html?impl=" + impl)
				ms := eval[float64](st, `new Promise((r) => { const c = () => window.startup !== undefined ? r(window.startup) : setTimeout(c, 5); c(); })`)
				rep.Startup[impl][cache] = append(rep.Startup[impl][cache], ms)
			}
		}
	}
	md := rep.markdown()
	t.Log("\n" + md)
	if mode.name != "smoke" {
		fmt.Println(md)
	}
	require.NoError(t, os.MkdirAll("out", 0o755))
	js, _ := json.MarshalIndent(rep, "", "  ")
	require.NoError(t, os.WriteFile(filepath.Join("out", "bench-"+mode.name+".json"), js, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join("out", "bench-"+mode.name+".md"), []byte(md), 0o644))
}

func kindName(kind string, size int) string {
	switch kind {
	case "fast":
		return fmt.Sprintf("%dB", size)
	case "long":
		return "memory"
	}
	return kind
}

func machine() string {
	out, _ := exec.Command("nproc").Output()
	ver, _ := exec.Command(chromePath(), "--version").Output()
	return strings.TrimSpace(string(out)) + " cores, " + strings.TrimSpace(string(ver))
}

func chromePath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// sizes measures what each implementation makes a page load.
func sizes(t *testing.T, lib string) map[string]map[string]int {
	files := map[string][]string{
		"sseshim":               {filepath.Join(distDir, "sseshim.wasm"), filepath.Join(distDir, "wasm_exec.js"), filepath.Join(distDir, "sseshim.js")},
		"eventsource":           {filepath.Join(lib, "npm-eventsource.js")},
		"event-source-polyfill": {filepath.Join(lib, "event-source-polyfill.js")},
		"native":                {},
	}
	out := map[string]map[string]int{}
	for impl, fs := range files {
		m := map[string]int{"raw": 0, "gzip": 0, "brotli": 0}
		for _, f := range fs {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			m["raw"] += len(b)
			var gz bytes.Buffer
			w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			w.Write(b)
			w.Close()
			m["gzip"] += gz.Len()
			m["brotli"] += brotliSize(t, f)
		}
		out[impl] = m
	}
	return out
}

func brotliSize(t *testing.T, file string) int {
	out, err := exec.Command("node", "-e",
		`const z=require('zlib'),fs=require('fs');const b=fs.readFileSync(process.argv[1]);process.stdout.write(String(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11,[z.constants.BROTLI_PARAM_SIZE_HINT]:b.length}}).length))`,
		file).Output()
	require.NoError(t, err)
	n, err := strconv.Atoi(string(out))
	require.NoError(t, err)
	return n
}

// stats are the median and range of a metric over rounds.
type stats struct{ med, min, max float64 }

func summarize(v []float64) (stats, bool) {
	if len(v) == 0 {
		return stats{}, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{med, s[0], s[len(s)-1]}, true
}

func (r benchReport) metric(impl, kind string, f func(benchRun) float64) (stats, bool) {
	var v []float64
	for _, run := range r.Runs {
		if run.Impl == impl && run.Kind == kind {
			if run.Err != "" || run.Bad > 0 || run.Events != run.ExpectedEvents {
				return stats{}, false // an implementation that drops or garbles events does not score
			}
			v = append(v, f(run))
		}
	}
	return summarize(v)
}

func (r benchReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Browser benchmark (%s mode), %s, %s. Medians over rounds, [min–max]; ×: ratio to the browser's EventSource. CPU: the browser's processes, from /proc.\n\n", r.Mode, r.Date, r.Machine)
	perEvent := func(run benchRun) float64 { return run.CPU * 1000 / float64(run.Events) }
	rate := func(run benchRun) float64 { return float64(run.Events) / run.Ms * 1000 }
	cell := func(impl, kind string, f func(benchRun) float64, unit string, ratio bool) string {
		s, ok := r.metric(impl, kind, f)
		if !ok {
			return "did not score"
		}
		out := fmt.Sprintf("%.3g %s [%.3g–%.3g]", s.med, unit, s.min, s.max)
		if ratio && impl != "native" {
			if n, ok := r.metric("native", kind, f); ok && n.med > 0 {
				out += fmt.Sprintf(" (%.2f×)", s.med/n.med)
			}
		}
		return out
	}
	b.WriteString("| | " + strings.Join(benchImpls, " | ") + " |\n|---|" + strings.Repeat("---|", len(benchImpls)) + "\n")
	row := func(name string, f func(impl string) string) {
		cells := make([]string, len(benchImpls))
		for i, impl := range benchImpls {
			cells[i] = f(impl)
		}
		b.WriteString("| " + name + " | " + strings.Join(cells, " | ") + " |\n")
	}
	row("32 B events: CPU µs/event", func(i string) string { return cell(i, "32B", perEvent, "µs", true) })
	row("32 B events: events/s", func(i string) string { return cell(i, "32B", rate, "", true) })
	row("1 KiB events: CPU µs/event", func(i string) string { return cell(i, "1024B", perEvent, "µs", true) })
	row("1 KiB events: MB/s", func(i string) string {
		return cell(i, "1024B", func(run benchRun) float64 { return float64(run.Events) * 1024 / run.Ms / 1000 }, "MB/s", true)
	})
	row("Losant nested JSON: CPU µs/event", func(i string) string { return cell(i, "losant", perEvent, "µs", true) })
	row("latency p50 (1 ms pacing)", func(i string) string {
		return cell(i, "paced", func(run benchRun) float64 { return run.P50 }, "ms", false)
	})
	row("latency p99", func(i string) string {
		return cell(i, "paced", func(run benchRun) float64 { return run.P99 }, "ms", false)
	})
	row("memory: JS heap growth", func(i string) string {
		return cell(i, "memory", func(run benchRun) float64 { return run.HeapGrowth / 1e6 }, "MB", false)
	})
	row("memory: wasm growth", func(i string) string {
		return cell(i, "memory", func(run benchRun) float64 { return run.WasmGrowth / 1e6 }, "MB", false)
	})
	for _, cache := range []string{"cold", "warm"} {
		row("start-up to first event, "+cache+" cache", func(i string) string {
			s, ok := summarize(r.Startup[i][cache])
			if !ok {
				return "–"
			}
			return fmt.Sprintf("%.3g ms [%.3g–%.3g]", s.med, s.min, s.max)
		})
	}
	for _, enc := range []string{"raw", "gzip", "brotli"} {
		row("transfer size, "+enc, func(i string) string {
			if i == "native" {
				return "0 (built in)"
			}
			return fmt.Sprintf("%.1f KB", float64(r.Sizes[i][enc])/1000)
		})
	}
	return b.String()
}
