//go:build !js

package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The benchmark's report: four Markdown tables (throughput; latency and
// memory; start-up and size; the targets), a row per variant,
// medians over rounds with [min–max], and ratios to the browser's
// EventSource in the same run.

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

// metric summarizes f over a variant's runs of a kind. ran: it has runs;
// ok: they all delivered every event right (one that did not does not score).
func (r benchReport) metric(variant, kind string, f func(benchRun) float64) (s stats, ran, ok bool) {
	var v []float64
	for _, run := range r.Runs {
		if run.Variant == variant && run.Kind == kind {
			ran = true
			if run.Err != "" || run.Bad > 0 || run.Events != run.ExpectedEvents {
				return stats{}, true, false
			}
			v = append(v, f(run))
		}
	}
	s, ok = summarize(v)
	return s, ran, ok
}

// num prints v with three significant digits, k and M for thousands and
// millions.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func (s stats) String(unit string) string {
	if unit != "" {
		unit = " " + unit
	}
	return fmt.Sprintf("%s%s [%s–%s]", num(s.med), unit, num(s.min), num(s.max))
}

var (
	perEvent = func(run benchRun) float64 { return run.CPU * 1000 / float64(run.Events) }
	rate     = func(run benchRun) float64 { return float64(run.Events) / run.Ms * 1000 }
	mbps     = func(run benchRun) float64 { return float64(run.Events) * 1024 / run.Ms / 1000 }
	p50      = func(run benchRun) float64 { return run.P50 }
	p99      = func(run benchRun) float64 { return run.P99 }
	peakHeap = func(run benchRun) float64 { return run.PeakHeap / 1e6 }
	retained = func(run benchRun) float64 { return run.RetainedHeap / 1e6 }
	wasmMB   = func(run benchRun) float64 { return run.Wasm / 1e6 }
)

// cell is a variant's figure for a kind: "–" when it does not run it,
// "did not score" when it failed, else the median [range] and the ratio to
// ratioTo's median of ratioKind (none when ratioTo is empty or is the variant).
func (r benchReport) cell(variant, kind string, f func(benchRun) float64, unit, ratioTo, ratioKind string) string {
	s, ran, ok := r.metric(variant, kind, f)
	switch {
	case !ran:
		return "–"
	case !ok:
		return "did not score"
	}
	out := s.String(unit)
	if ratioTo != "" && ratioTo != variant {
		if n, _, ok := r.metric(ratioTo, ratioKind, f); ok && n.med > 0 {
			out += fmt.Sprintf(" (%.2f×)", s.med/n.med)
		}
	}
	return out
}

// throughputHead and throughputRow are the throughput table's columns and a
// variant's cells: CPU per event and rate on each stream, each with its
// ratio to the browser's own EventSource (DT NDJSON: to sseshim).
var throughputHead = []string{"32 B UTF-8: CPU/event", "32 B: events/s", "1 KiB UTF-8: CPU/event", "1 KiB: MB/s", "Losant: CPU/event", "DT NDJSON: CPU/event"}

func (r benchReport) throughputRow(v benchVariant) []string {
	return []string{
		r.cell(v.id, kind32B, perEvent, "µs", "native", kind32B),
		r.cell(v.id, kind32B, rate, "", "native", kind32B),
		r.cell(v.id, kind1KiB, perEvent, "µs", "native", kind1KiB),
		r.cell(v.id, kind1KiB, mbps, "", "native", kind1KiB),
		r.cell(v.id, kindLosant, perEvent, "µs", "native", kindLosant),
		r.cell(v.id, kindDT, perEvent, "µs", "sseshim", kindDT),
	}
}

func (r benchReport) startup(variant, cache string) (stats, bool) {
	return summarize(r.Startup[variant][cache])
}

func (r benchReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Browser benchmark (%s mode), %s, %s. Medians over rounds [min–max]; (×) the ratio to the browser's EventSource in the same run. "+
		"CPU: the browser's processes, per thread from /proc. Events per run: %d of 32 B, %d of 1 KiB, %d Losant, %d DT, %d for latency (1 ms apart, each its own chunk), %d for memory (128 B).\n\n",
		r.Mode, r.Date, r.Machine, r.Events[kind32B], r.Events[kind1KiB], r.Events[kindLosant], r.Events[kindDT], r.Events[kindPaced], r.Events[kindMemory])
	table := func(head []string, row func(v benchVariant) []string, skip func(v benchVariant) bool) {
		b.WriteString("| | " + strings.Join(head, " | ") + " |\n|---|" + strings.Repeat("---|", len(head)) + "\n")
		for _, v := range benchVariants {
			if skip(v) {
				continue
			}
			b.WriteString("| " + v.name + " | " + strings.Join(row(v), " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	runs := func(kinds ...string) func(v benchVariant) bool {
		return func(v benchVariant) bool {
			for _, k := range kinds {
				if slices.Contains(v.kinds, k) {
					return false
				}
			}
			return true
		}
	}

	b.WriteString("Throughput. Text: the data checked character by character, 2-, 3- and 4-byte UTF-8 among ASCII. Losant: `mqttMessage` " +
		"events whose `message` is JSON text, both parsed (or `e.json` read). Disruptive Technologies: NDJSON envelopes, sseshim only, (×) to sseshim.\n\n")
	table(throughputHead,
		r.throughputRow, runs(kind32B, kind1KiB, kindLosant, kindDT))

	b.WriteString("Latency (server send → handler) and memory. Peak: the JS heap's highest above its size before the run; retained: above it after the run " +
		"and a collection, the source still open; wasm: the engine's memory after the run.\n\n")
	table([]string{"latency p50", "latency p99", "peak JS heap", "retained JS heap", "wasm memory"},
		func(v benchVariant) []string {
			wasm := "–"
			if strings.HasPrefix(v.id, "sseshim") {
				wasm = r.cell(v.id, kindMemory, wasmMB, "MB", "", "")
			}
			return []string{
				r.cell(v.id, kindPaced, p50, "ms", "native", kindPaced),
				r.cell(v.id, kindPaced, p99, "ms", "native", kindPaced),
				r.cell(v.id, kindMemory, peakHeap, "MB", "native", kindMemory),
				r.cell(v.id, kindMemory, retained, "MB", "", ""),
				wasm,
			}
		}, runs(kindPaced, kindMemory))

	b.WriteString("Start-up: script include → first event (the bare program: → its function registered), in a new tab; cold: HTTP cache cleared; " +
		"warm: after a visit that streamed and stayed for V8 to cache code. Size: everything the page loads, each file compressed on its own.\n\n")
	bare, bareOK := r.startup("bare", "cold")
	bareWarm, bareWarmOK := r.startup("bare", "warm")
	table([]string{"cold start", "warm start", "wasm memory at start", "size raw", "size gzip", "size brotli"},
		func(v benchVariant) []string {
			var row []string
			native, nativeOK := r.startup("native", "cold")
			nativeWarm, nativeWarmOK := r.startup("native", "warm")
			cold, coldOK := r.startup(v.id, "cold")
			if coldOK {
				c := cold.String("ms")
				var ratios []string
				if nativeOK && v.id != "native" && native.med > 0 {
					ratios = append(ratios, fmt.Sprintf("%.1f×", cold.med/native.med))
				}
				if bareOK && (strings.HasPrefix(v.id, "sseshim") || v.id == "bare-safejs") {
					ratios = append(ratios, fmt.Sprintf("%.2f× bare", cold.med/bare.med))
				}
				if sj, ok := r.startup("bare-safejs", "cold"); ok && strings.HasPrefix(v.id, "sseshim") && sj.med > 0 {
					ratios = append(ratios, fmt.Sprintf("%.2f× bare on safejs", cold.med/sj.med))
				}
				if len(ratios) > 0 {
					c += " (" + strings.Join(ratios, ", ") + ")"
				}
				row = append(row, c)
			} else {
				row = append(row, "–")
			}
			if warm, ok := r.startup(v.id, "warm"); ok {
				c := warm.String("ms")
				var ratios []string
				if nativeWarmOK && v.id != "native" && nativeWarm.med > 0 {
					ratios = append(ratios, fmt.Sprintf("%.1f×", warm.med/nativeWarm.med))
				}
				if bareWarmOK && (strings.HasPrefix(v.id, "sseshim") || v.id == "bare-safejs") {
					ratios = append(ratios, fmt.Sprintf("%.2f× bare", warm.med/bareWarm.med))
				}
				if coldOK && cold.med > 0 && v.id != "native" {
					ratios = append(ratios, fmt.Sprintf("%.2f× own cold", warm.med/cold.med))
				}
				if len(ratios) > 0 {
					c += " (" + strings.Join(ratios, ", ") + ")"
				}
				row = append(row, c)
			} else {
				row = append(row, "–")
			}
			if w, ok := r.WasmAtStartup[v.id]; ok {
				row = append(row, fmt.Sprintf("%.3g MB", w/1e6))
			} else {
				row = append(row, "–")
			}
			for _, enc := range []string{"raw", "gzip", "brotli"} {
				size, ok := r.Sizes[v.id]
				switch {
				case !ok:
					row = append(row, "–")
				case v.id == "native":
					row = append(row, "0 (built in)")
				default:
					c := fmt.Sprintf("%.1f KB", float64(size[enc])/1000)
					if bs, ok := r.Sizes["bare"]; ok && (strings.HasPrefix(v.id, "sseshim") || v.id == "bare-safejs") && bs[enc] > 0 {
						c += fmt.Sprintf(" (%.2f× bare)", float64(size[enc])/float64(bs[enc]))
					}
					row = append(row, c)
				}
			}
			return row
		}, func(v benchVariant) bool { return !v.startup })

	if n := r.CodeCache["loads"]; n > 0 {
		fmt.Fprintf(&b, "V8's wasm code cache (trace category `v8.wasm`): compiled modules written to it during the priming visits: %d; "+
			"warm loads of a Go program that took their code from it: %d of %d.\n\n", r.CodeCache["written"], r.CodeCache["hits"], n)
	}

	b.WriteString("Where a Go program's start-up goes (ms after the script include, medians): its module fetched, compiled and instantiated, " +
		"the Go program ready, the first event; the last column is the engine's own part of the first event (its first request went out while it loaded).\n\n" +
		"| | module fetched | instantiated | Go ready | first event | Go ready → first event |\n|---|---|---|---|---|---|\n")
	for _, v := range []string{"sseshim", "sseshim-preload", "bare", "bare-safejs"} {
		for _, cache := range []string{"cold", "warm"} {
			m, ok := r.StartupMarks[v+" "+cache]
			if !ok {
				continue
			}
			cells := []string{}
			for _, name := range []string{"fetched", "instantiated", "ready"} {
				if s, ok := summarize(m[name]); ok {
					cells = append(cells, num(s.med))
				} else {
					cells = append(cells, "–")
				}
			}
			first, wait := "–", "–"
			if s, ok := r.startup(v, cache); ok && !strings.HasPrefix(v, "bare") {
				first = num(s.med)
				if ready, ok := summarize(m["ready"]); ok {
					wait = num(s.med - ready.med)
				}
			}
			name := variantName(v)
			fmt.Fprintf(&b, "| %s, %s | %s | %s | %s |\n", name, cache, strings.Join(cells, " | "), first, wait)
		}
	}
	b.WriteString("\n")
	if len(r.Compile) > 0 {
		b.WriteString(compileMarkdown(r.Compile))
	}

	if len(r.More) > 0 {
		b.WriteString("The tenth source: once a cold page's first source has had its first event, nine more are opened at once; " +
			"ms until the last of them has its first event (HTTP/1.1: six connections to a host, for every implementation).\n\n" +
			"| | nine more sources → the tenth's first event |\n|---|---|\n")
		native, nativeOK := summarize(r.More["native"])
		for _, v := range benchVariants {
			s, ok := summarize(r.More[v.id])
			if !ok {
				continue
			}
			c := s.String("ms")
			if nativeOK && v.id != "native" && native.med > 0 {
				c += fmt.Sprintf(" (%.2f×)", s.med/native.med)
			}
			fmt.Fprintf(&b, "| %s | %s |\n", v.name, c)
		}
		b.WriteString("\n")
	}

	b.WriteString(r.targets())
	return b.String()
}

// targetVerdict is a target's verdict, for every targets table: met, out of
// reach when the floor that bounds it misses it too (no engine built as
// sseshim must be could meet it), or missed.
func targetVerdict(met, floorMisses bool) string {
	switch {
	case met:
		return "met"
	case floorMisses:
		return "out of reach: the floor misses it too"
	default:
		return "**missed**"
	}
}

// targets is the table: each target, what this run measured, and
// whether it is met.
func (r benchReport) targets() string {
	var b strings.Builder
	b.WriteString("Targets (issues 10 and 22), from this run; where a floor bounds a target, its figure: " +
		"a target the floor misses too is out of reach of any engine built as sseshim must be.\n\n" +
		"| | target | measured | floor | |\n|---|---|---|---|---|\n")
	finite := func(v float64, ok bool) bool { return ok && !math.IsNaN(v) && !math.IsInf(v, 0) }
	// floorRow is a target with the floor that bounds it: floorName's
	// figure fv, on the same scale.
	floorRow := func(what, target string, v float64, ok bool, limit float64, unit, floorName string, fv float64, fok bool) {
		measured, floorCell, verdict := "n/a", "–", "–"
		if finite(fv, fok) {
			floorCell = fmt.Sprintf("%s: %.2f%s", floorName, fv, unit)
		}
		if finite(v, ok) {
			measured = fmt.Sprintf("%.2f%s", v, unit)
			verdict = targetVerdict(v <= limit, finite(fv, fok) && fv > limit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", what, target, measured, floorCell, verdict)
	}
	row := func(what, target string, v float64, ok bool, limit float64, unit string) {
		floorRow(what, target, v, ok, limit, unit, "", 0, false)
	}
	// ratio is variant's median to another's; n/a when either did not score
	// or the other's is zero (a heap peak under the sampling period).
	ratio := func(variant, kind string, f func(benchRun) float64, to string) (float64, bool) {
		a, _, ok1 := r.metric(variant, kind, f)
		n, _, ok2 := r.metric(to, kind, f)
		if !ok1 || !ok2 || n.med <= 0 {
			return 0, false
		}
		return a.med / n.med, true
	}
	v, ok := ratio("sseshim", kind1KiB, perEvent, "native")
	row("CPU per 1 KiB UTF-8 event", "≤ 1.0× the browser's", v, ok, 1.0, "×")
	v, ok = ratio("sseshim", kindLosant, perEvent, "native")
	row("CPU per Losant event, the handler parsing both levels", "≤ 1.0×", v, ok, 1.0, "×")
	v, ok = ratio("sseshim-json", kindLosant, perEvent, "native")
	row("CPU per Losant event, reading `e.json` (json: true)", "≤ 1.0×", v, ok, 1.0, "×")
	v, ok = ratio("sseshim", kind32B, perEvent, "native")
	row("CPU per 32 B event", "≤ 0.8×", v, ok, 0.8, "×")
	// Latency: issue 22's targets, which replace issue 10's p50 ≤ 1.2×. The
	// floor: each chunk through a Go program's export and back through
	// safejs, as any engine in Go must take it.
	goP50, okGoP50 := ratio("floor-go", kindPaced, p50, "native")
	goP99, okGoP99 := ratio("floor-go", kindPaced, p99, "native")
	v, ok = ratio("sseshim", kindPaced, p50, "native")
	floorRow("latency p50, events 1 ms apart", "≤ 1.3×", v, ok, 1.3, "×", "Go export", goP50, okGoP50)
	v, ok = ratio("sseshim", kindPaced, p99, "native")
	floorRow("latency p99", "≤ 1.5×", v, ok, 1.5, "×", "Go export", goP99, okGoP99)
	// Start-up and size: issue 22's targets, which replace issue 10's
	// (cold start ≤ 1.1× bare, everything ≤ 600 KB) from a measured
	// 1.47× and 723 KB.
	cold, ok1 := r.startup("sseshim", "cold")
	bare, ok2 := r.startup("bare", "cold")
	// The floor: the bare program on safejs, which the engine must use.
	safejsCold, ok6 := r.startup("bare-safejs", "cold")
	floorRow("cold start → first event, to the bare Go program's", "≤ 1.3×", cold.med/bare.med, ok1 && ok2 && bare.med > 0, 1.3, "×",
		"on safejs", safejsCold.med/bare.med, ok6 && ok2 && bare.med > 0)
	warm, ok3 := r.startup("sseshim", "warm")
	// The floor: the same for the bare program on safejs, whose warm visit
	// could take its code from V8's cache as the engine's could.
	safejsWarm, ok7 := r.startup("bare-safejs", "warm")
	floorRow("warm start, to sseshim's own cold start", "≤ 0.5×", warm.med/cold.med, ok1 && ok3 && cold.med > 0, 0.5, "×",
		"on safejs, to its own", safejsWarm.med/safejsCold.med, ok6 && ok7 && safejsCold.med > 0)
	size, ok4 := r.Sizes["sseshim"]
	row("everything a page loads, brotli", "≤ 670 KB", float64(size["brotli"])/1000, ok4, 670, " KB")
	// What the engine and its scripts add over the same program on safejs
	// (the module and wasm_exec.js), which any engine that must use safejs
	// pays: half of the 130–150 KB issue 22 measured.
	floor, ok5 := r.Sizes["bare-safejs"]
	row("what sseshim loads over the safejs floor's, brotli", "≤ 75 KB", float64(size["brotli"]-floor["brotli"])/1000, ok4 && ok5, 75, " KB")
	v, ok = ratio("sseshim", kindMemory, peakHeap, "native")
	row(fmt.Sprintf("peak JS heap during %d events", r.Events[kindMemory]), "≤ 2×", v, ok, 2, "×")
	v, ok = ratio("sseshim-batch", kind32B, perEvent, "native")
	row("batch mode: CPU per 32 B event", "≤ 0.25×", v, ok, 0.25, "×")
	v, ok = ratio("sseshim-batch", kind1KiB, perEvent, "native")
	row("batch mode: CPU per 1 KiB UTF-8 event", "≤ 0.25×", v, ok, 0.25, "×")
	// The floors that bound the latency targets: what a client on fetch()
	// pays before any engine, and what any engine compiled to WebAssembly,
	// or from Go, adds per chunk.
	b.WriteString("\nThe latency floors, p50 / p99 to the browser's:")
	for i, f := range [][2]string{{"fetch", "a fetch() reader"}, {"floor-events", "+ TextDecoder and a MessageEvent"},
		{"floor-wasm", "+ a minimal wasm export per chunk"}, {"floor-go", "the same with a Go program's export instead"}} {
		sep := ";"
		if i == 0 {
			sep = ""
		}
		v50, ok50, v99, ok99 := goP50, okGoP50, goP99, okGoP99
		if f[0] != "floor-go" {
			v50, ok50 = ratio(f[0], kindPaced, p50, "native")
			v99, ok99 = ratio(f[0], kindPaced, p99, "native")
		}
		if ok50 && ok99 {
			fmt.Fprintf(&b, "%s %s %.2f× / %.2f×", sep, f[1], v50, v99)
		} else {
			fmt.Fprintf(&b, "%s %s n/a", sep, f[1])
		}
	}
	b.WriteString(".\n")
	return b.String()
}

// variantName is a variant's name in the tables (its id if it has none).
func variantName(id string) string {
	for _, v := range benchVariants {
		if v.id == id {
			return v.name
		}
	}
	return id
}
