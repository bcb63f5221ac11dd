//go:build !js

package bench

import (
	"fmt"
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

func (r visitReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Repeat visits (%s mode), %s, %s. Each round, for each row in random order, a Chromium with a fresh persistent profile: "+
		"the first visit; the page kept open %.1f s (events every %s), then visited again in the same tab and kept open as long; "+
		"the browser closed, started again on the same profile, and the page visited once more. dist/ is served by the dev server. "+
		"Medians over %d rounds [min–max]; (×) the ratio to the browser's EventSource in the same visit; ms from the navigation's start.\n\n",
		r.Mode, r.Date, r.Machine, r.Hold.Seconds(), visitTick, r.rounds())
	b.WriteString("| | sseshim.ready | first event | dist/ transferred | of it the module | the module's request | wasm code cache (trace) |\n|---|---|---|---|---|---|---|\n")
	for _, c := range visitCases {
		for _, impl := range []struct{ id, name string }{{"native", "browser EventSource"}, {"sseshim", "sseshim"}} {
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
			name := c.name
			if c.id == "reload" {
				name = fmt.Sprintf("reload after %.1f s open", r.Hold.Seconds())
			}
			row := []string{name + ": " + impl.name, "–", statCell(first, "ms", r.nativeFirst(c.id), impl.id != "native"), "–", "–", "–", "–"}
			if impl.id == "sseshim" {
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
				row[6] = fmt.Sprintf("from the code cache %d, reused in the renderer %d, compiled %d; written to the cache %d (of %d)",
					hit, reused, compiled, written, len(vs))
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	var files []string
	for _, v := range r.of("sseshim", "reload") {
		files = append(files, fmt.Sprint(v.CacheFiles))
	}
	fmt.Fprintf(&b, "\nsseshim.ready: the engine instantiated and its Go side running. Transferred: Resource Timing's transferSize "+
		"of the page's dist/ files (headers and body; 0 when the HTTP cache answered, the headers alone for a 304). "+
		"The module's request: what the dev server answered, or none (the HTTP cache answered). Code cache, from a browser-wide trace "+
		"of each visit and its hold (categories %s): from the code cache, Blink found V8's cached code for the module "+
		"(v8.wasm.moduleCacheHit); reused in the renderer, V8 took the module this renderer process had compiled on the visit before "+
		"(wasm.GetNativeModuleFromCache); compiled, neither; written, Blink stored V8's code in the cache (v8.wasm.cachedModule). "+
		"Entries in the profile's Code Cache/wasm when the browser had closed, before the restart, per round: %s.\n",
		strings.Join(wasmTraceCategories, ", "), strings.Join(files, ", "))
	return b.String()
}

func (r visitReport) rounds() int {
	n := 0
	for _, v := range r.Visits {
		n = max(n, v.Round)
	}
	return n
}

func (r visitReport) nativeFirst(c string) float64 {
	var first []float64
	for _, v := range r.of("native", c) {
		first = append(first, v.First)
	}
	s, _ := summarize(first)
	return s.med
}

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
