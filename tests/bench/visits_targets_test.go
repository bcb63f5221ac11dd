//go:build !js

package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVisitTargetsVerdicts: the repeat-visit targets table calls a target
// out of reach only when the floor on safejs misses it too, and missed when
// the floor meets it.
func TestVisitTargetsVerdicts(t *testing.T) {
	visit := func(impl, c string, ready, first float64, cached bool) visitResult {
		v := visitResult{Impl: impl, Case: c, Ready: ready, First: first, Trace: map[string]int{traceStreamed: 1}}
		if cached {
			v.Trace[traceCacheHit] = 1
		}
		return v
	}
	r := visitReport{Visits: []visitResult{
		visit("native", "first", 0, 100, false),
		visit("native", "reload", 0, 50, false),
		visit("native", "restart", 0, 100, false),
		// sseshim: ready on reload 0.4× its first visit's (met), on restart
		// 0.8× (missed); first event on reload 4× the browser's, on
		// restart 5×.
		visit("sseshim", "first", 500, 510, false),
		visit("sseshim", "reload", 200, 200, false),
		visit("sseshim", "restart", 400, 500, false),
		// The floor on safejs: its restart ready 0.9× its first (misses
		// too), its reload first event 2× the browser's (meets it), its
		// restart first event 4× (misses too), its code not cached either.
		visit("bare-safejs", "first", 400, 400, false),
		visit("bare-safejs", "reload", 100, 100, false),
		visit("bare-safejs", "restart", 360, 400, false),
	}}
	var b strings.Builder
	r.targetsTable(&b)
	verdict := func(target, visit string) string {
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(line, "| "+target+" | "+r.caseName(visit)+" |") {
				cells := strings.Split(strings.Trim(line, "| "), " | ")
				return cells[len(cells)-1]
			}
		}
		t.Fatalf("no row %q, %q in:\n%s", target, visit, b.String())
		return ""
	}
	assert.Equal(t, "met", verdict("sseshim.ready ≤ 0.5× the first visit's", "reload"))
	assert.Equal(t, "out of reach: the floor misses it too", verdict("sseshim.ready ≤ 0.5× the first visit's", "restart"))
	assert.Equal(t, "**missed**", verdict("first event ≤ 3× the browser's", "reload"))
	assert.Equal(t, "out of reach: the floor misses it too", verdict("first event ≤ 3× the browser's", "restart"))
	assert.Equal(t, "out of reach: the floor misses it too", verdict("the engine's code from V8's code cache after a restart (no compile)", "restart"))

	// Once the floor's code is cached after a restart, the engine's not
	// being cached is a miss of its own.
	for i, v := range r.Visits {
		if v.Impl == "bare-safejs" && v.Case == "restart" {
			r.Visits[i].Trace[traceCacheHit] = 1
		}
	}
	b.Reset()
	r.targetsTable(&b)
	assert.Equal(t, "**missed**", verdict("the engine's code from V8's code cache after a restart (no compile)", "restart"))
}
