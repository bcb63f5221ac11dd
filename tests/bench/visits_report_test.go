//go:build !js

package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// visitReport is TestRepeatVisits' record, and its table.
type visitReport struct {
	Mode, Date, Machine string
	Hold                time.Duration
	Visits              []visitResult
}

// of is the visits of a row and case.
func (r visitReport) of(impl, c string) []visitResult {
	var out []visitResult
	for _, v := range r.Visits {
		if v.Impl == impl && v.Case == c {
			out = append(out, v)
		}
	}
	return out
}

// transfer is what a visit's dist/ files cost on the wire, all and the
// module alone (Resource Timing's transferSize: headers and body).
func (v visitResult) transfer() (all, module float64) {
	for _, r := range v.Resources {
		all += r.Transfer
		if strings.HasSuffix(r.Path, ".wasm") {
			module += r.Transfer
		}
	}
	return all, module
}

// moduleAnswer is how the server answered the module's request: its
// status, or "none" when the HTTP cache answered without asking.
func (v visitResult) moduleAnswer() string {
	for _, d := range v.Dist {
		if strings.HasSuffix(d.Path, ".wasm") {
			return fmt.Sprint(d.Status)
		}
	}
	return "none"
}

// moduleSource is where a visit's engine module came from, by its trace:
// "cache" (V8's code cache had it: Blink's v8.wasm.moduleCacheHit), "reused"
// (the renderer had compiled the same module before and V8 took it from
// its in-process cache), "compiled", or "" (no module streamed).
func (v visitResult) moduleSource() string {
	switch {
	case v.Trace[traceStreamed] == 0:
		return ""
	case v.Trace[traceCacheHit] > 0:
		return "cache"
	case v.Trace[traceReused] > 0:
		return "reused"
	}
	return "compiled"
}

// visitRows are the report's rows: the browser's EventSource, sseshim, and
// sseshim as it would be if V8 cached its code (the one row with V8 flags),
// and the two controls of V8's code caching (plainCode).
var visitRows = []struct{ id, name string }{
	{"native", "browser EventSource"},
	{"sseshim", "sseshim"},
	{"bare", "floor: a bare Go program (one syscall/js function), each event through it"},
	{"bare-safejs", "floor: the same program on safejs"},
	{"sseshim-eager", "sseshim, V8 told to offer its code at once (--wasm-caching-timeout-ms=0)"},
	{"plain", "control: a plain module, tiered up at once"},
	{"plain-steps", "control: a plain module, tiered up in steps"},
}

func (r visitReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Repeat visits (%s mode), %s, %s. Each round, for each row in random order, a Chromium with a fresh persistent profile: "+
		"the first visit; the page kept open %.1f s (events every %s), then visited again in the same tab and kept open as long; "+
		"the browser closed, started again on the same profile, and the page visited once more. dist/ is served by the dev server; "+
		"the page loads sseshim.js by its content-hashed name (dist/manifest.json). "+
		"Medians over %d rounds [min–max] (%s); (×) the ratio to the browser's EventSource in the same visit; ms from the navigation's start.\n\n",
		r.Mode, r.Date, r.Machine, r.Hold.Seconds(), visitTick, r.rounds(), r.extraRoundsNote())
	b.WriteString("| | sseshim.ready (a floor: its Go program's) | first event | dist/ transferred | of it the module | the module's request | wasm code cache (trace) |\n|---|---|---|---|---|---|---|\n")
	for _, c := range visitCases {
		for _, impl := range visitRows {
			vs := r.of(impl.id, c.id)
			if len(vs) == 0 {
				continue
			}
			var ready, first, all, module []float64
			answers := map[string]int{}
			var hit, reused, compiled, written int
			for _, v := range vs {
				if v.Ready > 0 {
					ready = append(ready, v.Ready)
				}
				first = append(first, v.First)
				a, m := v.transfer()
				all, module = append(all, a/1024), append(module, m/1024)
				answers[v.moduleAnswer()]++
				switch v.moduleSource() {
				case "cache":
					hit++
				case "reused":
					reused++
				case "compiled":
					compiled++
				}
				if v.Trace[traceCacheWrite] > 0 {
					written++
				}
			}
			nativeFirst, _ := r.median("native", c.id, visitFirst)
			row := []string{r.caseName(c.id) + ": " + impl.name, "–", statCell(first, "ms", nativeFirst, impl.id != "native"), "–", "–", "–", "–"}
			if strings.HasPrefix(impl.id, "sseshim") || isFloorRow(impl.id) {
				row[1] = statCell(ready, "ms", 0, false)
				row[3] = statCell(all, "KB", 0, false)
				row[4] = statCell(module, "KB", 0, false)
				var parts []string
				for _, k := range []string{"200", "304", "none"} {
					if answers[k] > 0 {
						parts = append(parts, fmt.Sprintf("%s: %d of %d", map[string]string{"200": "200", "304": "304", "none": "none (HTTP cache)"}[k], answers[k], len(vs)))
					}
				}
				row[5] = strings.Join(parts, ", ")
			}
			if impl.id != "native" {
				row[6] = fmt.Sprintf("from the code cache %d, reused in the renderer %d, compiled %d; written to the cache %d (of %d)",
					hit, reused, compiled, written, len(vs))
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	fmt.Fprintf(&b, "\nsseshim.ready: the engine instantiated and its Go side running. Transferred: Resource Timing's transferSize "+
		"of the page's dist/ files (headers and body; 0 when the HTTP cache answered, the headers alone for a 304). "+
		"The module's request: what the dev server answered, or none (the HTTP cache answered). Code cache, from a browser-wide trace "+
		"of each visit and its hold (categories %s): from the code cache, Blink found V8's cached code for the module "+
		"(v8.wasm.moduleCacheHit); reused in the renderer, V8 took the module this renderer process had compiled on the visit before "+
		"(wasm.GetNativeModuleFromCache); compiled, neither; written, Blink stored V8's code in the cache (v8.wasm.cachedModule). "+
		"The controls load a plain 40-function module (immutable, application/wasm, instantiateStreaming of the fetch() Response, "+
		"as the engine is) beside the browser's EventSource and call its functions on each event: all of them from the first event, "+
		"or five more every 30 events. The row with V8 told to offer its code at once is sseshim with `--wasm-caching-timeout-ms=0`: "+
		"what a restart would cost if V8 cached the engine. "+
		"The floors load Go's wasm_exec.js and a Go program that exports one function (the start-up floors of the browser benchmark), "+
		"both content-hashed and immutable, open the browser's EventSource at once beside them, and pass each event through the program "+
		"before the page's handler (those that came first, as soon as it is ready): the first event of an engine that costs only its Go start.\n\n", strings.Join(wasmTraceCategories, ", "))

	r.cacheTable(&b)
	r.stepsTable(&b)
	r.targetsTable(&b)
	return b.String()
}

func (r visitReport) caseName(c string) string {
	if c == "reload" {
		return fmt.Sprintf("reload after %.1f s open", r.Hold.Seconds())
	}
	for _, vc := range visitCases {
		if vc.id == c {
			return vc.name
		}
	}
	return c
}

// cacheTable: when V8 tiered each module up during the first visit and the
// reload, and whether it offered the code for caching.
func (r visitReport) cacheTable(b *strings.Builder) {
	b.WriteString("V8's wasm code cache, visit by visit: V8 offers a module's code for caching once its optimizing compiler has added " +
		"1 KB of code (`--wasm-caching-threshold`) and then published none for 2 s (`--wasm-caching-timeout-ms`), or at once after 1 MB " +
		"(`--wasm-caching-hard-threshold`). Times in ms after the module was instantiated (the page's sseshim:instantiated mark); " +
		"optimizing compiles are V8's wasm.TopTierCompilation batches, offers its wasm.CompilationChunkFinished.\n\n")
	b.WriteString("| | optimizing compiles | the last one | quiet after it, to the hold's end | longest quiet | offered for caching | first offer |\n|---|---|---|---|---|---|---|\n")
	for _, c := range []string{"first", "reload"} {
		for _, impl := range visitRows[1:] {
			vs := r.of(impl.id, c)
			if len(vs) == 0 {
				continue
			}
			var n, last, quiet, longest, offer []float64
			offered := 0
			for _, v := range vs {
				tl := v.Timeline
				n = append(n, float64(tl.TopTier))
				if tl.TopTier > 0 {
					last = append(last, tl.LastTopTier)
					quiet = append(quiet, tl.QuietAtEnd)
					longest = append(longest, tl.LongestQuiet)
				}
				if len(tl.Offered) > 0 {
					offered++
					offer = append(offer, tl.Offered[0])
				}
			}
			fmt.Fprintf(b, "| %s: %s | %s | %s | %s | %s | %d of %d | %s |\n", r.caseName(c), impl.name,
				statCell(n, "", 0, false), statCell(last, "ms", 0, false), statCell(quiet, "ms", 0, false),
				statCell(longest, "ms", 0, false), offered, len(vs), statCell(offer, "ms", 0, false))
		}
	}
	var files []string
	for _, v := range r.of("sseshim", "reload") {
		files = append(files, fmt.Sprint(v.CacheFiles))
	}
	if len(files) > 0 {
		fmt.Fprintf(b, "\nEntries in the profile's Code Cache/wasm when sseshim's browser had closed, before the restart, per round: %s.\n",
			strings.Join(files, ", "))
	}
	b.WriteString("\n")
}

// stepsTable: where sseshim's time to its first event went, visit by visit.
func (r visitReport) stepsTable(b *strings.Builder) {
	b.WriteString("Where sseshim's time to the first event went (medians, ms from the navigation's start): the page's HTML received; " +
		"the script received (sseshim.js by its content-hashed name, or a floor's wasm_exec.js: from the HTTP cache on a repeat visit); the module received (from the HTTP cache on a repeat visit); " +
		"instantiated; the Go program's ready call; `sseshim.ready` resolved; the first event; the browser's EventSource's first event in the same visit.\n\n")
	b.WriteString("| | HTML | script | module | instantiated | Go ready | sseshim.ready | first event | browser EventSource |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, impl := range visitRows {
		if impl.id == "native" || strings.HasPrefix(impl.id, "plain") {
			continue
		}
		for _, c := range visitCases {
			vs := r.of(impl.id, c.id)
			if len(vs) == 0 {
				continue
			}
			// A step the visit did not record is zero: no figure.
			col := func(f func(v visitResult) float64) string {
				m, ok := r.median(impl.id, c.id, func(v visitResult) float64 {
					if y := f(v); y > 0 {
						return y
					}
					return math.NaN()
				})
				if !ok {
					return "–"
				}
				return num(m)
			}
			nativeFirst, _ := r.median("native", c.id, visitFirst)
			cells := []string{
				col(func(v visitResult) float64 { return v.Steps.HTML }),
				col(func(v visitResult) float64 { return v.Steps.Script }),
				col(func(v visitResult) float64 { return v.Steps.Module }),
				col(func(v visitResult) float64 { return v.Steps.Instantiated }),
				col(func(v visitResult) float64 { return v.Steps.GoReady }),
				col(func(v visitResult) float64 { return v.Ready }),
				col(func(v visitResult) float64 { return v.First }),
				num(nativeFirst),
			}
			b.WriteString("| " + r.caseName(c.id) + ": " + impl.name + " | " + strings.Join(cells, " | ") + " |\n")
		}
	}
	b.WriteString("\n")
}

// targetsTable holds issue 22's repeat-visit targets against this run,
// and the same figures for the floors: where a floor misses a target too,
// no engine in Go on safejs can meet it on this platform.
func (r visitReport) targetsTable(b *strings.Builder) {
	ready := func(v visitResult) float64 { return v.Ready }
	moduleBytes := func(v visitResult) float64 { _, m := v.transfer(); return m }
	// The two ratios, for a row: ready to its own first visit's, first
	// event to the browser's in the same visit.
	readyRatio := func(impl, c string) (float64, string, bool) {
		rd, ok := r.median(impl, c, ready)
		f, okFirst := r.median(impl, "first", ready)
		if !ok || !okFirst || f <= 0 {
			return 0, "", false
		}
		return rd / f, fmt.Sprintf("%s ms, %.2f× %s ms", num(rd), rd/f, num(f)), true
	}
	firstRatio := func(impl, c string) (float64, string, bool) {
		f, ok := r.median(impl, c, visitFirst)
		n, _ := r.median("native", c, visitFirst)
		if !ok || n <= 0 {
			return 0, "", false
		}
		return f / n, fmt.Sprintf("%s ms, %.2f× %s ms", num(f), f/n, num(n)), true
	}
	b.WriteString("Issue 22's repeat-visit targets in this run (medians), and the floors' figures: where the floor on safejs misses a target too, " +
		"the target is out of reach of any engine in Go on safejs, as sseshim's must be.\n\n" +
		"| target | visit | this run | floor: bare Go | floor: on safejs | |\n|---|---|---|---|---|---|\n")
	for _, c := range []string{"reload", "restart"} {
		bytes, ok := r.median("sseshim", c, moduleBytes)
		if !ok {
			continue
		}
		cells := []string{"a repeat visit transfers 0 bytes of engine", r.caseName(c), num(bytes) + " B"}
		for _, f := range []string{"bare", "bare-safejs"} {
			cell := "–"
			if fb, ok := r.median(f, c, moduleBytes); ok {
				cell = num(fb) + " B"
			}
			cells = append(cells, cell)
		}
		b.WriteString("| " + strings.Join(append(cells, targetVerdict(bytes <= 0, false)), " | ") + " |\n")
	}
	targets := []struct {
		name  string
		ratio func(impl, c string) (float64, string, bool)
		limit float64
	}{
		{"sseshim.ready ≤ 0.5× the first visit's", readyRatio, 0.5},
		{"first event ≤ 3× the browser's", firstRatio, 3},
	}
	for _, tg := range targets {
		for _, c := range []string{"reload", "restart"} {
			x, cell, ok := tg.ratio("sseshim", c)
			if !ok {
				continue
			}
			cells := []string{tg.name, r.caseName(c), cell}
			floorMisses := false
			for _, f := range []string{"bare", "bare-safejs"} {
				fx, fcell, ok := tg.ratio(f, c)
				if !ok {
					cells = append(cells, "–")
					continue
				}
				cells = append(cells, fcell)
				if f == "bare-safejs" && fx > tg.limit {
					floorMisses = true
				}
			}
			b.WriteString("| " + strings.Join(append(cells, targetVerdict(x <= tg.limit, floorMisses)), " | ") + " |\n")
		}
	}
	// The code cache after a restart: the floor on safejs, which tiers up
	// in steps as the engine does, tells whether V8 caches such a module.
	hits := func(impl string) (cell string, hit, n int) {
		for _, v := range r.of(impl, "restart") {
			n++
			if v.moduleSource() == "cache" {
				hit++
			}
		}
		if n == 0 {
			return "–", 0, 0
		}
		return fmt.Sprintf("%d of %d", hit, n), hit, n
	}
	if cell, hit, n := hits("sseshim"); n > 0 {
		bare, _, _ := hits("bare")
		safe, safeHit, safeN := hits("bare-safejs")
		fmt.Fprintf(b, "| the engine's code from V8's code cache after a restart (no compile) | %s | %s | %s | %s | %s |\n",
			r.caseName("restart"), cell, bare, safe, targetVerdict(hit == n, safeN > 0 && safeHit == 0))
	}
}

// extraRoundsNote says which rows ran in fewer rounds than the others.
func (r visitReport) extraRoundsNote() string {
	var parts []string
	for _, row := range visitRows {
		n := 0
		for _, v := range r.of(row.id, "first") {
			n = max(n, v.Round)
		}
		if n > 0 && n < r.rounds() {
			parts = append(parts, fmt.Sprintf("%s in the first %d", row.name, n))
		}
	}
	if len(parts) == 0 {
		return "every row in every round"
	}
	return strings.Join(parts, "; ")
}

func (r visitReport) rounds() int {
	n := 0
	for _, v := range r.Visits {
		n = max(n, v.Round)
	}
	return n
}

// median is the median of f over impl's visits of case c; a visit for
// which f is NaN has no such figure and is left out. False when no visit
// has one.
func (r visitReport) median(impl, c string, f func(visitResult) float64) (float64, bool) {
	var x []float64
	for _, v := range r.of(impl, c) {
		if y := f(v); !math.IsNaN(y) {
			x = append(x, y)
		}
	}
	s, ok := summarize(x)
	return s.med, ok
}

// visitFirst is a visit's time to its first event.
func visitFirst(v visitResult) float64 { return v.First }

// statCell is a median [range], with its ratio to ref when ratio is set.
func statCell(v []float64, unit string, ref float64, ratio bool) string {
	s, ok := summarize(v)
	if !ok {
		return "–"
	}
	out := s.String(unit)
	if ratio && ref > 0 {
		out += fmt.Sprintf(" (%.2f×)", s.med/ref)
	}
	return out
}
