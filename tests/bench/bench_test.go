//go:build !js

package bench

import (
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
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// The browser benchmark: the browser's own EventSource, sseshim (as it is,
// with json: true, in batch mode), npm's eventsource and
// event-source-polyfill, and floors — a fetch() reader that only counts
// bytes, the same reader dispatching a MessageEvent per event, a bare Go
// WebAssembly program and the same on safejs — interleaved in one browser,
// several rounds. SSESHIM_BENCH=full (make bench) or quick (make
// bench-quick) runs it for figures; without it, make test runs it as a
// smoke test: one round, small streams, every variant's delivery checked.

type benchMode struct {
	name          string
	rounds        int
	n32, n1k      int // events in the 32 B and 1 KiB text streams
	nJSON         int // events in the Losant and Disruptive Technologies streams
	memoryN       int // events in the memory stream (128 B)
	pacedN        int // events 1 ms apart, for latency
	startupRounds int
	warm          bool          // measure warm start-up too (after priming visits)
	primeWait     time.Duration // after the priming visits, for V8 to cache code
	runTimeout    time.Duration
	goBenchtime   string // the Go micro-benchmarks' -benchtime; empty: they are not run
}

// The sizes keep make bench short (README.md here says how long it takes):
// CPU is read per thread in nanoseconds, so a run of a few hundred
// milliseconds measures well.
func currentBenchMode() benchMode {
	switch os.Getenv("SSESHIM_BENCH") {
	case "full":
		return benchMode{name: "full", rounds: 5, n32: 50_000, n1k: 20_000, nJSON: 30_000, memoryN: 200_000, pacedN: 500,
			startupRounds: 5, warm: true, primeWait: 3 * time.Second, runTimeout: 50 * time.Second, goBenchtime: "1s"}
	case "quick":
		return benchMode{name: "quick", rounds: 5, n32: 10_000, n1k: 3000, nJSON: 5000, memoryN: 40_000, pacedN: 200,
			startupRounds: 3, warm: true, primeWait: 3 * time.Second, runTimeout: 30 * time.Second, goBenchtime: "200ms"}
	}
	return benchMode{name: "smoke", rounds: 1, n32: 500, n1k: 200, nJSON: 300, memoryN: 1000, pacedN: 20, startupRounds: 1, runTimeout: 30 * time.Second}
}

// A benchmark kind is a stream: text of 32 B or 1 KiB, Losant mqttMessage
// events, Disruptive Technologies NDJSON, events 1 ms apart, and a long
// text stream for memory.
const (
	kind32B    = "32B"
	kind1KiB   = "1KiB"
	kindLosant = "losant"
	kindDT     = "dt"
	kindPaced  = "paced"
	kindMemory = "memory"
)

// benchVariant is a row of the tables: one implementation, one way of using it.
type benchVariant struct {
	id, name string
	kinds    []string
	startup  bool // has a start-up page
}

var benchVariants = []benchVariant{
	{"native", "browser EventSource", []string{kind32B, kind1KiB, kindLosant, kindPaced, kindMemory}, true},
	{"sseshim", "sseshim", []string{kind32B, kind1KiB, kindLosant, kindDT, kindPaced, kindMemory}, true},
	{"sseshim-preload", "sseshim, module preloaded (`<link rel=preload>`)", nil, true},
	{"sseshim-json", "sseshim, json: true (reads e.json)", []string{kindLosant, kindDT}, false},
	{"sseshim-batch", "sseshim, batch: true", []string{kind32B, kind1KiB, kindLosant, kindDT, kindPaced, kindMemory}, false},
	{"sseshim-batch-json", "sseshim, batch + json (reads rec.json)", []string{kindLosant, kindDT}, false},
	{"eventsource", "eventsource " + npmEventsourceVersion, []string{kind32B, kind1KiB, kindLosant, kindPaced, kindMemory}, true},
	{"event-source-polyfill", "event-source-polyfill " + npmPolyfillVersion, []string{kind32B, kind1KiB, kindLosant, kindPaced, kindMemory}, true},
	{"fetch", "floor: fetch() reader counting bytes", []string{kind32B, kind1KiB, kindLosant, kindDT, kindPaced}, false},
	{"floor-events", "floor: fetch() + TextDecoder + a MessageEvent per event, no parser to speak of", []string{kind32B, kind1KiB, kindLosant, kindPaced}, false},
	{"floor-wasm", "floor: the same, each chunk through a minimal wasm export and back", []string{kind32B, kindPaced}, false},
	{"floor-go", "floor: the same through a Go program's export, back through safejs", []string{kind32B, kindPaced}, false},
	{"bare", "floor: bare Go wasm (one syscall/js function)", nil, true},
	{"bare-safejs", "floor: the bare program on safejs", nil, true},
}

// benchChecked are the variants whose delivery the test asserts; the npm
// libraries are measured, and a library that garbles or drops events only
// does not score.
func benchChecked(variant string) bool {
	return variant != "eventsource" && variant != "event-source-polyfill"
}

const (
	npmEventsourceVersion = "5.1.5"
	npmPolyfillVersion    = "1.0.31"
)

// benchLibs installs the npm polyfills and bundles each into a script that
// sets a global, so that every implementation loads from a <script> tag.
// Without npm the test skips (CI requires it).
func benchLibs(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required under CI")
		}
		t.Skip("npm is not installed")
	}
	work, err := filepath.Abs(filepath.Join("..", ".npm-work", "bench"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(work, 0o755))
	lib := filepath.Join(work, "lib")
	if _, err := os.Stat(filepath.Join(lib, "event-source-polyfill.js")); err == nil {
		return lib
	}
	require.NoError(t, os.WriteFile(filepath.Join(work, "package.json"), []byte(`{"name":"bench","private":true}`), 0o644))
	browsertest.Run(t, work, "npm", "install", "--no-save", "--prefer-offline", "esbuild@"+browsertest.EsbuildVersion,
		"eventsource@"+npmEventsourceVersion, "event-source-polyfill@"+npmPolyfillVersion)
	entries := map[string]string{
		"npm-eventsource.js":       `import { EventSource } from 'eventsource'; window.NpmEventSource = EventSource;`,
		"event-source-polyfill.js": `import { EventSourcePolyfill } from 'event-source-polyfill'; window.EventSourcePolyfill = EventSourcePolyfill;`,
	}
	for name, src := range entries {
		entry := filepath.Join(work, "entry-"+name)
		require.NoError(t, os.WriteFile(entry, []byte(src), 0o644))
		browsertest.Run(t, work, "node_modules/.bin/esbuild", entry, "--bundle", "--minify", "--format=iife", "--outfile="+filepath.Join(lib, name))
	}
	return lib
}

// benchSrv is the benchmark's server: the pages, dist/ (with its brotli
// copy), the npm libraries, the bare program, and the streams. It keeps
// how many bytes each stream sent, by the page's request id.
type benchSrv struct {
	*browsertest.Server
	lib, floor string // the npm bundles; the bare program (empty: not built)
	mu         sync.Mutex
	sent       map[string]int
	cache      sync.Map // "losant/n", "dt/n" → []string, the events made once
}

func benchServer(t *testing.T, lib, floor string) *benchSrv {
	s := &benchSrv{Server: browsertest.NewServer(t), lib: lib, floor: floor, sent: map[string]int{}}
	s.Mux.Handle("/bdist/", http.StripPrefix("/bdist", browsertest.StaticDir(browsertest.DistDir)))
	s.Mux.Handle("/lib/", http.StripPrefix("/lib", browsertest.StaticDir(lib)))
	if floor != "" {
		s.Mux.Handle("/floor/", http.StripPrefix("/floor", browsertest.StaticDir(floor)))
	}
	s.Mux.HandleFunc("/bench/page.html", func(w http.ResponseWriter, r *http.Request) {
		// Cross-origin isolated, so that performance.now() counts in 5 µs
		// steps rather than 100 µs: latencies are a few hundred µs.
		browsertest.CrossOriginIsolated(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, benchPage)
	})
	s.Mux.HandleFunc("/bench/data.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		fmt.Fprint(w, benchPageData())
	})
	s.Mux.HandleFunc("/bench/startup.html", func(w http.ResponseWriter, r *http.Request) {
		code, ok := startupCode[r.URL.Query().Get("impl")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, startupPage, code)
	})
	n := func(r *http.Request) int {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		return n
	}
	s.Mux.HandleFunc("/bench/text", func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		tails := benchTails(size)
		var p []byte
		s.stream(w, r, false, n(r), func(buf []byte, i int) []byte {
			p = appendBenchText(p[:0], i, tails)
			buf, _ = sse.AppendMessage(buf, sse.Message{Data: string(p)})
			return buf
		})
	})
	s.Mux.HandleFunc("/bench/losant", func(w http.ResponseWriter, r *http.Request) {
		events := s.events("losant", n(r), losantEvent)
		s.stream(w, r, false, len(events), func(buf []byte, i int) []byte {
			buf, _ = sse.AppendMessage(buf, sse.Message{Type: "mqttMessage", Data: events[i]})
			return buf
		})
	})
	s.Mux.HandleFunc("/bench/dt", func(w http.ResponseWriter, r *http.Request) {
		lines := s.events("dt", n(r), dtLine)
		s.stream(w, r, false, len(lines), func(buf []byte, i int) []byte {
			return append(append(buf, lines[i]...), '\n')
		})
	})
	s.Mux.HandleFunc("/bench/paced", func(w http.ResponseWriter, r *http.Request) {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		s.stream(w, r, true, n(r), func(buf []byte, i int) []byte {
			<-tick.C
			buf, _ = sse.AppendMessage(buf, sse.Message{Data: strconv.FormatInt(time.Now().UnixMicro(), 10)})
			return buf
		})
	})
	s.Mux.HandleFunc("/bench/first", func(w http.ResponseWriter, r *http.Request) {
		s.stream(w, r, true, 1, func(buf []byte, i int) []byte {
			buf, _ = sse.AppendMessage(buf, sse.Message{Data: "first"})
			return buf
		})
	})
	return s
}

// events makes a stream's n events once; the rounds reuse them (JSON
// encoding them again would compete with the browser for the CPU).
func (s *benchSrv) events(kind string, n int, gen func(int) string) []string {
	key := kind + "/" + strconv.Itoa(n)
	if v, ok := s.cache.Load(key); ok {
		return v.([]string)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = gen(i)
	}
	s.cache.Store(key, out)
	return out
}

// stream answers with n events — written in pieces of about 32 KiB at event
// boundaries, or each flushed at once when paced — then its done marker, and
// stays open so that nothing reconnects. The dt stream is NDJSON, the others
// text/event-stream.
func (s *benchSrv) stream(w http.ResponseWriter, r *http.Request, paced bool, n int, event func(buf []byte, i int) []byte) {
	ndjson := strings.HasPrefix(r.URL.Path, "/bench/dt")
	if ndjson {
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		w.Header().Set("Content-Type", "text/event-stream")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	f := w.(http.Flusher)
	var buf []byte
	sent := 0
	write := func() bool {
		k, err := w.Write(buf)
		sent += k
		buf = buf[:0]
		f.Flush()
		return err == nil && r.Context().Err() == nil
	}
	for i := 0; i < n; i++ {
		buf = event(buf, i)
		if (paced || len(buf) > 32<<10) && !write() {
			return
		}
	}
	if len(buf) > 0 && !write() {
		return
	}
	if ndjson {
		buf = append(buf, dtDoneLine+"\n"...)
	} else {
		buf = append(buf, sseDoneFrame...)
	}
	if rid := r.URL.Query().Get("rid"); rid != "" {
		s.mu.Lock()
		s.sent[rid] = sent + len(buf)
		s.mu.Unlock()
	}
	write()
	<-r.Context().Done()
}

type benchRun struct {
	Variant, Kind  string
	Round          int
	Events, Bad    int
	ExpectedEvents int
	Ms             float64 // wall time
	CPU            float64 // ms of the browser's CPU
	P50, P99       float64 // ms
	PeakHeap       float64 // bytes above the heap before the run, at its highest
	RetainedHeap   float64 // bytes above it after the run and a collection, the source still open
	Wasm           float64 // bytes of wasm memory after the run
	Bytes          int     // the fetch floor: bytes read
	Err            string
}

type benchReport struct {
	Mode, Date, Machine string
	Events              map[string]int // kind → events in a run
	Runs                []benchRun
	Startup             map[string]map[string][]float64 // variant → cold/warm → ms
	StartupMarks        map[string]map[string][]float64 // "variant cold|warm" → fetched/instantiated/ready → ms
	WasmAtStartup       map[string]float64              // variant → bytes
	Loads               map[string][]string             // variant → what its start-up page loaded
	Sizes               map[string]map[string]int       // variant → raw/gzip/brotli bytes of all that
	More                map[string][]float64            // variant → ms from opening 9 more sources to the last one's first event
	CodeCache           map[string]int                  // V8's wasm code cache: "written" while priming, "hits" and "loads" of Go modules in the warm rounds
	Compile             []compileRow                    // the Go start-ups' lazy compilation, by step and origin
}

func TestBrowserBenchmark(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	began := time.Now()
	mode := currentBenchMode()
	lib := benchLibs(t)
	s := benchServer(t, lib, buildFloors(t, "bare", "safejs", "gofloor"))
	browserPID := browsertest.BrowserPID()
	rep := benchReport{Mode: mode.name, Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(),
		Events: map[string]int{}, Startup: map[string]map[string][]float64{}, StartupMarks: map[string]map[string][]float64{}, WasmAtStartup: map[string]float64{},
		Loads: map[string][]string{}, Sizes: map[string]map[string]int{}, More: map[string][]float64{}, CodeCache: map[string]int{}}

	tb := browsertest.NewTab(t)
	tb.Navigate(s.URL + "/bench/page.html")
	browsertest.Eval[bool](tb, `Promise.all([sseshim.ready, loadGoFloor()]).then(() => true)`)
	// The DevTools Network domain makes the browser's EventSource report
	// every message and run several times slower: keep it off.
	browsertest.NetworkOff(t, tb.Ctx, false)

	s.benchRounds(t, mode, &rep, benchJobs(mode), func(string) bool { return true },
		func(code string) map[string]any { return browsertest.Eval[map[string]any](tb, code) }, browserPID)
	t.Logf("throughput, latency and memory: %.1fs", time.Since(began).Seconds())
	startupBench(t, s, mode, &rep)

	md := rep.markdown()
	t.Logf("whole benchmark: %.1fs", time.Since(began).Seconds())
	if mode.name == "smoke" {
		t.Log("\n" + md)
	} else {
		fmt.Println(md) // make bench hides the test's log lines, not this
	}
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	js, _ := json.MarshalIndent(rep, "", "  ")
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "bench-"+mode.name+".json"), js, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "bench-"+mode.name+".md"), []byte(md), 0o644))
	if mode.name != "smoke" {
		readmeSection(t, "browser", mode.name, "TestBrowserBenchmark", md)
		readmeSection(t, "go", mode.name, "TestBrowserBenchmark", goBenchmarks(t, mode, rep.Date, rep.Machine))
	}
}

// goBenchmarks runs the engine's Go micro-benchmarks (go test -bench in
// wasm/), prints their output, and returns it for the README.
func goBenchmarks(t *testing.T, mode benchMode, date, machine string) string {
	t.Helper()
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", mode.goBenchtime, "./wasm/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	fmt.Print(string(out))
	require.NoError(t, err, "the Go micro-benchmarks")
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") {
			lines = append(lines, l)
		}
	}
	return fmt.Sprintf("Go micro-benchmarks (%s mode), %s, %s: `go test -run '^$' -bench . -benchmem -benchtime %s ./wasm/...`, "+
		"natively. MB/s is the input decoded per second.\n\n```\n%s\n```\n", mode.name, date, machine, mode.goBenchtime, strings.Join(lines, "\n"))
}

// startupBench measures each start-up page in a new tab (normally a new
// renderer process, with no compiled module in memory): cold, the HTTP cache
// cleared; then warm, after a priming visit that does some work and stays a
// few seconds, so that V8 can cache the module's code, as for a returning
// visitor (the warm rounds are then the second visit and later ones, as
// V8's JavaScript code cache wants). The cold visits also give what each
// page loads, and so its sizes, and open nine more sources once the first
// has its first event (the tenth source's cost). The warm phase is traced
// (wasmTrace) to tell whether V8's wasm code cache was written and used.
func startupBench(t *testing.T, s *benchSrv, mode benchMode, rep *benchReport) {
	began := time.Now()
	var impls []string
	for _, v := range benchVariants {
		if v.startup {
			impls = append(impls, v.id)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	type visit struct {
		Error     string
		Ms        float64
		Resources []string
		Wasm      float64
		Marks     map[string]float64
		More      float64 // cold visits: startupMore's figure
	}
	// open visits a start-up page in a new tab (clear: the HTTP cache
	// cleared first, and startupMore run after; prime: then it does some
	// work) and returns what the page measured and how to close the tab.
	open := func(impl string, clear bool, prime bool) (v visit, close func()) {
		ctx, cancel := chromedp.NewContext(browser)
		tb := browsertest.Attach(t, ctx)
		browsertest.NetworkOff(t, ctx, clear)
		tb.Navigate(s.URL + "/bench/startup.html?impl=" + impl)
		v = browsertest.Eval[visit](tb, `new Promise((r) => { const c = () => window.startup ? r(window.startup) : setTimeout(c, 5); c(); })`)
		if v.Error != "" {
			cancel()
			t.Fatalf("%s's start-up page: %s", impl, v.Error)
		}
		if more, ok := startupMore[impl]; ok && clear {
			v.More = browsertest.Eval[float64](tb, more)
		}
		if p, ok := startupPrime[impl]; ok && prime {
			browsertest.Eval[bool](tb, p)
		}
		return v, cancel
	}
	record := func(impl, cache string, v visit) {
		if rep.Startup[impl] == nil {
			rep.Startup[impl] = map[string][]float64{}
		}
		rep.Startup[impl][cache] = append(rep.Startup[impl][cache], v.Ms)
		for name, ms := range v.Marks {
			if ms <= 0 {
				continue
			}
			key := impl + " " + cache
			if rep.StartupMarks[key] == nil {
				rep.StartupMarks[key] = map[string][]float64{}
			}
			rep.StartupMarks[key][name] = append(rep.StartupMarks[key][name], ms)
		}
	}
	for round := 1; round <= mode.startupRounds; round++ {
		order := slices.Clone(impls)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, impl := range order {
			v, done := open(impl, true, false)
			if v.More > 0 {
				rep.More[impl] = append(rep.More[impl], v.More)
			}
			done()
			record(impl, "cold", v)
			if v.Wasm > 0 {
				rep.WasmAtStartup[impl] = v.Wasm
			}
			if strings.HasPrefix(impl, "sseshim") {
				modules := slices.DeleteFunc(slices.Clone(v.Resources), func(r string) bool { return !strings.HasSuffix(r, ".wasm") })
				require.Len(t, modules, 1, "%s fetches the module once (a preload that fetch() does not take would fetch it twice)", impl)
			}
			slices.Sort(v.Resources)
			if prev, ok := rep.Loads[impl]; ok {
				require.Equal(t, prev, v.Resources, "%s loads the same files every time", impl)
			}
			rep.Loads[impl] = v.Resources
		}
	}
	rep.Compile = compileRows(t, s, mode.startupRounds, func(impl string) {
		_, done := open(impl, true, false)
		done()
	})
	if !mode.warm {
		impls = nil // the smoke test: cold start-up only
	}
	var trace *wasmTrace
	if mode.warm {
		trace = startWasmTrace(t)
	}
	var closers []func()
	for _, impl := range impls {
		if impl == "native" {
			continue // nothing to cache
		}
		_, done := open(impl, false, true)
		closers = append(closers, done)
	}
	time.Sleep(mode.primeWait)
	for _, done := range closers {
		done()
	}
	written := 0
	if trace != nil {
		written = trace.stop(t)["wasm.SerializeModule"]
		trace = startWasmTrace(t)
	}
	goLoads := 0
	for round := 1; round <= mode.startupRounds; round++ {
		order := slices.Clone(impls)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, impl := range order {
			v, done := open(impl, false, false)
			done()
			record(impl, "warm", v)
			if v.Wasm > 0 {
				goLoads++
			}
		}
	}
	if trace != nil {
		rep.CodeCache = map[string]int{"written": written, "hits": trace.stop(t)["wasm.Deserialize"], "loads": goLoads}
	}
	for impl, files := range rep.Loads {
		total := map[string]int{"raw": 0, "gzip": 0, "brotli": 0}
		for _, p := range files {
			var file string
			switch {
			case strings.HasPrefix(p, "/bdist/"):
				file = filepath.Join(browsertest.DistDir, strings.TrimPrefix(p, "/bdist/"))
			case strings.HasPrefix(p, "/lib/"):
				file = filepath.Join(s.lib, strings.TrimPrefix(p, "/lib/"))
			case strings.HasPrefix(p, "/floor/"):
				file = filepath.Join(s.floor, strings.TrimPrefix(p, "/floor/"))
			default:
				t.Fatalf("%s's start-up page loaded %s, which the benchmark does not know", impl, p)
			}
			for k, n := range fileSizes(t, file) {
				total[k] += n
			}
		}
		rep.Sizes[impl] = total
	}
	t.Logf("start-up: %.1fs", time.Since(began).Seconds())
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}

func machine() string {
	return engineMachine(browsertest.ChromePath())
}
