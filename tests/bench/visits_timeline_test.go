//go:build !js

package bench

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// When, during a visit and its hold, V8 tiered a module up and offered its
// code for caching. V8 offers a module's optimized code to the embedder
// (Blink's v8.wasm.compiledModule, then v8.wasm.cachedModule once Blink has
// serialized it) only after its optimizing compiler has added at least
// --wasm-caching-threshold bytes of code and then published no more for
// --wasm-caching-timeout-ms, or at once when --wasm-caching-hard-threshold
// bytes have piled up (CompilationStateImpl::TriggerOutstandingCallbacks
// and TriggerCachingAfterTimeout, src/wasm/module-compiler.cc), and marks
// the moment with wasm.CompilationChunkFinished. The wait is a delayed task
// that posts itself again when more code came meanwhile, passing the
// milliseconds left where CallDelayedOnWorkerThread takes seconds: a module
// that tiers up over a few seconds is offered minutes later. The timeline
// shows what V8 did.

// traceEvent is the part of a Chrome trace event the benchmark reads.
type traceEvent struct {
	Name string
	Ph   string  // phase: X complete (with Dur), B/E begin/end, I/R/n instant
	Pid  int     // the process
	Ts   float64 // µs, on the trace clock
	Dur  float64 // µs, for X
	Args json.RawMessage
}

// Names of the timeline's events. The marks are the page's own
// (performance.mark, traced in blink.user_timing).
const (
	traceTopTier      = "wasm.TopTierCompilation"       // V8 ran its optimizing compiler on a batch of functions
	traceChunk        = "wasm.CompilationChunkFinished" // V8 offered the module's code for caching
	markInstantiated  = "sseshim:instantiated"          // the module instantiated (the shim's mark; the controls make it too)
	markHoldEnd       = "visit:hold-end"                // the visit's hold over (the benchmark's)
	traceUserTimingCh = "blink.user_timing"             // the category of the page's marks
)

// isTimelineEvent tells the trace events the benchmark keeps.
func isTimelineEvent(name string) bool {
	return strings.Contains(name, "wasm") || name == markInstantiated || name == markHoldEnd
}

// timelineTrace collects a visit's timeline events, on the trace clock (µs).
type timelineTrace struct {
	instantiated, holdEnd     float64
	topTier, offered, written []float64 // when each ended
}

func (c *timelineTrace) add(e traceEvent) {
	if e.Ph == "B" {
		return // its E (or the X it is part of) has the end
	}
	end := e.Ts + e.Dur // Dur is 0 but for X
	switch e.Name {
	case markInstantiated:
		if c.instantiated == 0 {
			c.instantiated = e.Ts
		}
	case markHoldEnd:
		c.holdEnd = e.Ts
	case traceTopTier:
		c.topTier = append(c.topTier, end)
	case traceChunk:
		c.offered = append(c.offered, end)
	case traceCacheWrite:
		c.written = append(c.written, end)
	}
}

// traceTimeline is a visit's timeline, in ms after its module was
// instantiated; all 0 when the trace has no sseshim:instantiated mark.
type traceTimeline struct {
	TopTier      int       // optimizing compiles (batches of functions)
	TopTierAt    []float64 // when each ended
	LastTopTier  float64   // when the last one ended
	QuietAtEnd   float64   // from then to the hold's end: V8 waits for --wasm-caching-timeout-ms of it
	LongestQuiet float64   // the longest time without one, from the first to the hold's end
	Offered      []float64 // when V8 offered the module's code for caching
	Written      []float64 // when Blink wrote it to the cache
	HoldEnd      float64   // when the visit's hold ended
}

// settle turns what was collected into the visit's timeline.
func (c timelineTrace) settle() traceTimeline {
	if c.instantiated == 0 {
		return traceTimeline{}
	}
	ms := func(us float64) float64 { return math.Round((us-c.instantiated)/100) / 10 }
	tl := traceTimeline{TopTier: len(c.topTier)}
	tops := slices.Sorted(slices.Values(c.topTier))
	for i, us := range tops {
		if i > 0 {
			tl.LongestQuiet = max(tl.LongestQuiet, (us-tops[i-1])/1000)
		}
		tl.TopTierAt = append(tl.TopTierAt, ms(us))
		tl.LastTopTier = ms(us)
	}
	if c.holdEnd > 0 {
		tl.HoldEnd = ms(c.holdEnd)
		if len(tops) > 0 {
			tl.QuietAtEnd = tl.HoldEnd - tl.LastTopTier
			tl.LongestQuiet = max(tl.LongestQuiet, tl.QuietAtEnd)
		}
	}
	for _, us := range c.offered {
		tl.Offered = append(tl.Offered, ms(us))
	}
	for _, us := range c.written {
		tl.Written = append(tl.Written, ms(us))
	}
	return tl
}
