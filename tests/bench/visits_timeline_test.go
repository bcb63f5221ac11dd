//go:build !js

package bench

import (
	"math"
	"slices"
	"strings"
)

// When, during a visit and its hold, V8 tiered the engine's functions up
// and offered its code for caching. V8 offers a module's optimized code to
// the embedder (Blink's v8.wasm.compiledModule, then v8.wasm.cachedModule
// once Blink has serialized it) only after its optimizing compiler has
// added at least --wasm-caching-threshold bytes of code and then published
// no more for --wasm-caching-timeout-ms (each newly optimized function
// starts the wait again), or at once when --wasm-caching-hard-threshold
// bytes have piled up (V8's CompilationStateImpl::TriggerOutstandingCallbacks
// and TriggerCachingAfterTimeout, src/wasm/module-compiler.cc); it marks the
// moment with wasm.CompilationChunkFinished. The timeline shows whether a
// page ever gave it that quiet time.

// traceEvent is the part of a Chrome trace event the benchmark reads.
type traceEvent struct {
	Name string
	Ph   string  // phase: X complete (with Dur), B/E begin/end, I/R/n instant
	Ts   float64 // µs, on the trace clock
	Dur  float64 // µs, for X
}

// Names of the timeline's events. The marks are the page's own
// (performance.mark, traced in blink.user_timing).
const (
	traceTopTier      = "wasm.TopTierCompilation"       // V8 ran its optimizing compiler on a batch of functions
	traceChunk        = "wasm.CompilationChunkFinished" // V8 offered the module's code for caching
	traceLazy         = "wasm.CompileLazy"              // V8 compiled a function on its first call (baseline)
	traceCompiled     = "v8.wasm.compiledModule"        // Blink was handed it, and serializes it
	markInstantiated  = "sseshim:instantiated"
	markHoldEnd       = "visit:hold-end"
	traceUserTimingCh = "blink.user_timing" // the category of the page's marks
)

// traceTimeline is a visit's timeline, in ms after the engine's module was
// instantiated (the page's sseshim:instantiated mark): 0 for none.
type traceTimeline struct {
	start, end float64 // µs on the trace clock: instantiated, the hold's end
	topTier    []float64
	topStart   []float64
	lazy       []float64
	chunk      []float64
	written    []float64

	TopTier      int       // optimizing compiles (batches of functions)
	TopTierAt    []float64 // when each ended
	TopTierFrom  []float64 // when each began
	LastTopTier  float64   // when the last one ended
	QuietAtEnd   float64   // from then to the hold's end: V8 needs --wasm-caching-timeout-ms of it
	LongestQuiet float64   // the longest time without one between the first and the hold's end
	LazyAfter    []float64 // baseline compiles on first call, after the first second: when
	Offered      []float64 // when V8 offered the module's code for caching
	Written      []float64 // when Blink wrote it (v8.wasm.cachedModule)
	HoldEnd      float64   // when the visit's hold ended
}

// add takes one trace event.
func (tl *traceTimeline) add(e traceEvent) {
	end := e.Ts
	if e.Ph == "X" {
		end += e.Dur
	}
	switch {
	case e.Name == markInstantiated && tl.start == 0:
		tl.start = e.Ts
	case e.Name == markHoldEnd:
		tl.end = e.Ts
	case e.Name == traceTopTier && e.Ph != "B":
		tl.topTier = append(tl.topTier, end)
		tl.topStart = append(tl.topStart, e.Ts)
	case e.Name == traceLazy && e.Ph != "B":
		tl.lazy = append(tl.lazy, end)
	case e.Name == traceChunk:
		tl.chunk = append(tl.chunk, end)
	case e.Name == traceCacheWrite:
		tl.written = append(tl.written, end)
	}
}

// settle turns the trace clock's times into the summary, in ms after the
// engine was instantiated.
func (tl traceTimeline) settle() traceTimeline {
	if tl.start == 0 {
		return traceTimeline{}
	}
	ms := func(us float64) float64 { return (us - tl.start) / 1000 }
	out := traceTimeline{TopTier: len(tl.topTier)}
	if tl.end > 0 {
		out.HoldEnd = ms(tl.end)
	}
	tops := slices.Clone(tl.topTier)
	slices.Sort(tops)
	for i, us := range tops {
		if i > 0 {
			out.LongestQuiet = max(out.LongestQuiet, (us-tops[i-1])/1000)
		}
		out.LastTopTier = ms(us)
		out.TopTierAt = append(out.TopTierAt, math.Round(ms(us)))
	}
	if len(tops) > 0 && tl.end > 0 {
		out.QuietAtEnd = ms(tl.end) - out.LastTopTier
		out.LongestQuiet = max(out.LongestQuiet, out.QuietAtEnd)
	}
	for _, us := range tl.topStart {
		out.TopTierFrom = append(out.TopTierFrom, math.Round(ms(us)))
	}
	for _, us := range tl.lazy {
		if ms(us) > 1000 {
			out.LazyAfter = append(out.LazyAfter, math.Round(ms(us)))
		}
	}
	for _, us := range tl.chunk {
		out.Offered = append(out.Offered, ms(us))
	}
	for _, us := range tl.written {
		out.Written = append(out.Written, ms(us))
	}
	return out
}

// isTimelineCategory: the trace categories the timeline needs beyond
// wasmTraceCategories.
func isTimelineEvent(name string) bool {
	return strings.Contains(name, "wasm") || name == markInstantiated || name == markHoldEnd
}
