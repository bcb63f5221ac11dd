//go:build !js

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// The repeat-visit benchmark (TestRepeatVisits): the visit that matters on
// a dashboard is the one made every morning, to the same page. Each round,
// for the browser's EventSource and for sseshim in turn (in random order),
// a Chromium with a fresh persistent profile of its own:
//
//  1. first visit: the page, in the profile's first tab;
//  2. reload: the page stays open doing its normal work (a stream of events
//     every visitTick) for the hold — past V8's wasm caching timeout (about
//     2 s after its last optimized compile) — then the same tab navigates
//     to it again, and the page stays open the hold again;
//  3. after a restart: the browser is closed, a new one started on the same
//     profile folder, and the page visited once more.
//
// Each visit reports when sseshim was ready and when the first event came
// (ms from the navigation's start), what dist/ cost on the wire (Resource
// Timing's transferSize, and the requests the dev server got), and, from a
// browser-wide trace of the visit and its hold, whether V8 compiled the
// engine's module, took it from its code cache, or wrote it there.
//
// dist/ is served by the dev server itself (visitServer), the floor rows'
// files with it (distWithFloors), so its Cache-Control decides what a
// repeat visit may take from the HTTP cache.

// visitMode is how much TestRepeatVisits does: make test's smoke run holds
// each page briefly and asserts only that every figure exists and every
// event arrived, in order.
type visitMode struct {
	name   string
	rounds int
	hold   time.Duration // how long visits 1 and 2 stay open after their first event
	rows   []string      // visitRows' ids
	// The rows but the browser's, sseshim and the floors (sseshim with V8
	// caching at once, the controls) run in the first extraRounds rounds
	// only: they show what V8 does, not a ratio to the browser, and a round
	// of seven rows takes a few minutes on 2 cores.
	extraRounds int
}

func currentVisitMode(t *testing.T) visitMode {
	// The hold: a dashboard stays open for minutes; 5 s is past V8's
	// caching wait (2 s after its last optimizing compile) for a module
	// whose functions all tier up in the first two seconds, as the plain
	// control's do, so that the controls tell what V8 does with the engine.
	all := []string{"native", "sseshim", "bare", "bare-safejs", "sseshim-eager", "plain", "plain-steps"}
	m := visitMode{name: "smoke", rounds: 1, hold: 300 * time.Millisecond, rows: []string{"native", "sseshim", "bare-safejs"}}
	switch os.Getenv("SSESHIM_BENCH") {
	case "full":
		m = visitMode{name: "full", rounds: 5, hold: 5 * time.Second, rows: all, extraRounds: 2}
	case "quick":
		m = visitMode{name: "quick", rounds: 3, hold: 5 * time.Second, rows: all, extraRounds: 2}
	}
	// For experiments: another hold ($SSESHIM_VISITS_HOLD, a Go duration),
	// number of rounds ($SSESHIM_VISITS_ROUNDS) or list of rows
	// ($SSESHIM_VISITS_ROWS, ids separated by commas).
	if h := os.Getenv("SSESHIM_VISITS_HOLD"); h != "" {
		d, err := time.ParseDuration(h)
		require.NoError(t, err, "SSESHIM_VISITS_HOLD")
		m.hold = d
	}
	if r := os.Getenv("SSESHIM_VISITS_ROUNDS"); r != "" {
		n, err := strconv.Atoi(r)
		require.NoError(t, err, "SSESHIM_VISITS_ROUNDS")
		m.rounds, m.extraRounds = n, min(n, m.extraRounds)
	}
	if r := os.Getenv("SSESHIM_VISITS_ROWS"); r != "" {
		m.rows, m.extraRounds = strings.Split(r, ","), m.rounds
		for _, id := range m.rows {
			require.True(t, slices.ContainsFunc(visitRows, func(v struct{ id, name string }) bool { return v.id == id }), "SSESHIM_VISITS_ROWS: no row %q", id)
		}
	}
	return m
}

// The three visits, in order.
var visitCases = []struct{ id, name string }{
	{"first", "first visit (fresh profile)"},
	{"reload", "reload after the hold"},
	{"restart", "first visit after a browser restart"},
}

// visitResource is a dist/ file as the page's Resource Timing saw it.
type visitResource struct {
	Path                       string
	Transfer, Encoded, Decoded float64
}

// visitSteps is where a visit's time to its first event went (visitSteps
// in the page), in ms from the navigation's start; 0 for a step the page
// did not take.
type visitSteps struct {
	HTML, Script, Module, Instantiated, GoReady float64
}

// visitResult is one visit.
type visitResult struct {
	Impl, Case   string
	Round        int
	Ready, First float64 // ms from the navigation's start; Ready 0 for the browser's EventSource
	Events, Bad  int     // events by the end of the hold (or of the visit), and out of sequence
	Error        string
	Resources    []visitResource
	Steps        visitSteps
	Dist         []distRequest  // dist/ requests the dev server answered
	Trace        map[string]int // wasm trace events of the visit and its hold, by name
	Timeline     traceTimeline  // when V8 tiered the engine up and offered it for caching
	CacheFiles   int            // entries in the profile's Code Cache/wasm once the browser had closed (restart: before it started)
}

// wasmTraceCategories are traced during each visit, browser-wide. Blink
// reports the module's code cache in the DevTools timeline category:
// v8.wasm.streamFromResponseCallback, a module streamed from a response;
// v8.wasm.moduleCacheHit, V8's code cache had an entry for it (and
// v8.wasm.moduleCacheInvalid*, one it could not use);
// v8.wasm.compiledModule and v8.wasm.cachedModule, V8 offered its
// optimized code and Blink wrote it to the cache. V8's own category tells a
// module compiled (wasm.StartStreamingCompilation, wasm.CompileLazy) from
// one this renderer had compiled already and reused
// (wasm.GetNativeModuleFromCache). (Event names as Chromium 156 records them.)
var wasmTraceCategories = []string{"disabled-by-default-devtools.timeline", "v8.wasm", traceUserTimingCh}

// Trace event names the report reads.
const (
	traceStreamed   = "v8.wasm.streamFromResponseCallback"
	traceCacheHit   = "v8.wasm.moduleCacheHit"
	traceCacheWrite = "v8.wasm.cachedModule"
	traceReused     = "wasm.GetNativeModuleFromCache"
)

func TestRepeatVisits(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	began := time.Now()
	mode := currentVisitMode(t)
	// The floor rows' files are served by the dev server too, from a copy
	// of the build that adds them.
	dist := visitDist(t)
	if slices.ContainsFunc(mode.rows, isFloorRow) {
		dist = distWithFloors(t, dist, buildFloors(t, "bare", "safejs"))
	}
	s := visitServer(t, startDevServer(t, dist))
	rep := visitReport{Mode: mode.name, Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(), Hold: mode.hold}
	rng := rand.New(rand.NewPCG(5, 6))
	for round := 1; round <= mode.rounds; round++ {
		order := slices.Clone(mode.rows)
		if round > mode.extraRounds {
			order = slices.DeleteFunc(order, func(id string) bool { return id != "native" && id != "sseshim" && !isFloorRow(id) })
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, impl := range order {
			for _, v := range visitSequence(t, s, impl, mode.hold) {
				v.Round = round
				t.Logf("%s, %s: ready %.1f ms, first event %.1f ms, %d events; dist/ requests %v; wasm trace events %v; timeline (ms after instantiation) %+v",
					impl, v.Case, v.Ready, v.First, v.Events, v.Dist, v.Trace, v.Timeline)
				require.Empty(t, v.Error, "%s, %s", impl, v.Case)
				require.Positive(t, v.First, "%s, %s: a first event", impl, v.Case)
				require.Positive(t, v.Events, "%s, %s", impl, v.Case)
				require.Zero(t, v.Bad, "%s, %s: every event, in order", impl, v.Case)
				if impl != "native" {
					require.Positive(t, v.Trace[traceStreamed], "%s, %s: the trace has the module's streaming compile: %v", impl, v.Case, v.Trace)
				}
				if strings.HasPrefix(impl, "sseshim") || isFloorRow(impl) {
					require.Positive(t, v.Ready, "%s, %s: sseshim.ready, or the floor's Go program's", impl, v.Case)
					require.True(t, slices.ContainsFunc(v.Resources, func(r visitResource) bool { return strings.HasSuffix(r.Path, ".wasm") }),
						"%s, %s: Resource Timing lists the module", impl, v.Case)
				}
				rep.Visits = append(rep.Visits, v)
			}
		}
		t.Logf("round %d: %.1fs", round, time.Since(began).Seconds())
	}
	md := rep.markdown()
	if mode.name == "smoke" {
		t.Log("\n" + md)
	} else {
		fmt.Println(md)
	}
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	js, _ := json.MarshalIndent(rep, "", "  ")
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "visits-"+mode.name+".json"), js, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "visits-"+mode.name+".md"), []byte(md), 0o644))
	if mode.name != "smoke" {
		readmeSection(t, "visits", mode.name, "TestRepeatVisits", md)
	}
}

// isFloorRow tells the floor rows (floorCode): a Go program and nothing
// else, where sseshim would be.
func isFloorRow(id string) bool { return id == "bare" || id == "bare-safejs" }

// visitSequence makes the three visits of one row in a new profile.
func visitSequence(t *testing.T, s *visitSrv, impl string, hold time.Duration) []visitResult {
	t.Helper()
	profile := t.TempDir()
	page, flags := impl, ""
	if impl == "sseshim-eager" {
		// What the code cache would give: V8 offers its code as soon as
		// it has some (no wait, so no lost repost).
		page, flags = "sseshim", "--wasm-caching-timeout-ms=0"
	}
	url := s.URL + "/visits/page.html?impl=" + page
	b := launchVisitBrowser(t, profile, flags)
	first := b.visit(t, s, url, hold)
	reload := b.visit(t, s, url, hold)
	b.close(t)
	reload.CacheFiles = wasmCacheFiles(t, profile)
	b = launchVisitBrowser(t, profile, flags)
	restart := b.visit(t, s, url, 0)
	b.close(t)
	out := []visitResult{first, reload, restart}
	for i := range out {
		out[i].Impl, out[i].Case = impl, visitCases[i].id
	}
	return out
}

// wasmCacheFiles counts the entries of V8's wasm code cache in a profile:
// the files of Chromium's Code Cache/wasm folder but its index.
func wasmCacheFiles(t *testing.T, profile string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(profile, "Default", "Code Cache", "wasm"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "index" {
			n++
		}
	}
	return n
}

// visitBrowser is a Chromium of the benchmark's own on a profile folder
// that outlives it, and the trace being recorded.
type visitBrowser struct {
	ctx         context.Context // its first tab, where every visit happens
	cancelAlloc context.CancelFunc
	mu          sync.Mutex
	counts      map[string]int // the current trace's events by name
	times       timelineTrace  // the current trace's timeline events
	done        chan struct{}  // closed when the current trace is complete
}

func launchVisitBrowser(t *testing.T, profile, jsFlags string) *visitBrowser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browsertest.ChromePath()),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
	)
	// V8 flags for the renderer: jsFlags, else $SSESHIM_VISITS_JSFLAGS, to
	// measure under other caching rules (--wasm-caching-timeout-ms=0: V8
	// offers its optimized code as soon as it has any).
	if jsFlags == "" {
		jsFlags = os.Getenv("SSESHIM_VISITS_JSFLAGS")
	}
	if jsFlags != "" {
		opts = append(opts, chromedp.Flag("js-flags", jsFlags))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, _ := chromedp.NewContext(alloc) // ended by close (chromedp.Cancel), or with the allocator
	b := &visitBrowser{ctx: ctx, cancelAlloc: cancelAlloc}
	t.Cleanup(cancelAlloc)
	require.NoError(t, chromedp.Do(ctx), "starting Chromium on %s", profile)
	require.NoError(t, chromedp.ListenBrowser(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			for _, v := range e.Value {
				var te traceEvent
				if b.counts == nil || json.Unmarshal([]byte(v), &te) != nil || !isTimelineEvent(te.Name) {
					continue
				}
				if strings.Contains(te.Name, "wasm") {
					b.counts[te.Name]++
				}
				b.times.add(te)
			}
		case *tracing.EventTracingComplete:
			if b.done != nil {
				close(b.done)
			}
		}
	}))
	return b
}

// close closes the browser the way a user does, so that it writes its
// caches to the profile, and waits for it to exit.
func (b *visitBrowser) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Cancel(ctx), "closing Chromium")
	b.cancelAlloc()
}

// visit navigates the tab to url and waits for the page's figures, keeps it
// open for hold, and returns what it measured, with the wasm trace events
// of the whole time.
func (b *visitBrowser) visit(t *testing.T, s *visitSrv, url string, hold time.Duration) visitResult {
	t.Helper()
	s.takeDist()
	b.startTrace(t)
	tb := browsertest.Attach(t, b.ctx)
	tb.Navigate(url)
	v := browsertest.Eval[visitResult](tb, visitWait)
	if v.Error == "" && hold > 0 {
		time.Sleep(hold) // the page's normal work meanwhile: the stream, events every visitTick
		v.Events = browsertest.Eval[int](tb, `visit.events`)
		v.Bad = browsertest.Eval[int](tb, `visit.bad`)
	}
	browsertest.Eval[bool](tb, `performance.mark('`+markHoldEnd+`'), true`)
	v.Trace, v.Timeline = b.stopTrace(t)
	v.Dist = s.takeDist()
	return v
}

func (b *visitBrowser) startTrace(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	b.counts, b.times, b.done = map[string]int{}, timelineTrace{}, make(chan struct{})
	b.mu.Unlock()
	_, err := cdp.Call(b.ctx, chromedp.FromContext(b.ctx).Browser, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: wasmTraceCategories, ExcludedCategories: []string{"*"}},
	})
	require.NoError(t, err, "starting a trace")
}

func (b *visitBrowser) stopTrace(t *testing.T) (map[string]int, traceTimeline) {
	t.Helper()
	_, err := cdp.Call(b.ctx, chromedp.FromContext(b.ctx).Browser, tracing.End, cdp.Empty{})
	require.NoError(t, err, "ending the trace")
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the trace did not complete")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	counts := b.counts
	b.counts = nil
	return counts, b.times.settle()
}
