//go:build !js

package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// benchJob is one stream of the browser benchmark: the report's kind, the
// page's (runBench's), how many events and of what size.
type benchJob struct {
	kind, page string
	n, size    int
}

// benchJobs are the streams of a mode, in the order each round runs them.
func benchJobs(mode benchMode) []benchJob {
	return []benchJob{{kind32B, "text", mode.n32, 32}, {kind1KiB, "text", mode.n1k, 1024}, {kindLosant, "losant", mode.nJSON, 0},
		{kindDT, "dt", mode.nJSON, 0}, {kindPaced, "paced", mode.pacedN, 0}, {kindMemory, "memory", mode.memoryN, 128}}
}

// benchRounds runs mode.rounds rounds of jobs in the benchmark page: in
// each round, for each job, every variant that runs the job's kind (and
// that use allows) in a random order. eval runs the page's code and returns
// what it resolves to; the CPU of a run is what the process tree under
// browserPID spent from before to after it. Each run goes into rep; a
// variant whose delivery is checked (benchChecked) fails the test if it
// drops, reorders or garbles an event.
func (s *benchSrv) benchRounds(t *testing.T, mode benchMode, rep *benchReport, jobs []benchJob, use func(variant string) bool,
	eval func(code string) map[string]any, browserPID int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rid := 0
	for round := 1; round <= mode.rounds; round++ {
		for _, j := range jobs {
			rep.Events[j.kind] = j.n
			var order []string
			for _, v := range benchVariants {
				if slices.Contains(v.kinds, j.kind) && use(v.id) {
					order = append(order, v.id)
				}
			}
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, variant := range order {
				rid++
				cpu0 := browsertest.TakeCPU(browserPID)
				res := eval(fmt.Sprintf(`runBench(%q, %q, %d, %d, %d, %d)`,
					variant, j.page, j.n, j.size, mode.runTimeout.Milliseconds(), rid))
				cpu := browsertest.TakeCPU(browserPID).Since(cpu0)
				r := benchRun{Variant: variant, Kind: j.kind, Round: round, ExpectedEvents: j.n,
					Events: int(res["events"].(float64)), Bad: int(res["bad"].(float64)), Ms: res["ms"].(float64),
					CPU: float64(cpu) / float64(time.Millisecond), P50: res["p50"].(float64), P99: res["p99"].(float64),
					Bytes: int(res["bytes"].(float64)), Err: res["err"].(string)}
				if m, ok := res["mem"].(map[string]any); ok {
					r.PeakHeap, r.RetainedHeap, r.Wasm = m["peak"].(float64), m["retained"].(float64), m["wasm"].(float64)
				}
				if variant == "fetch" && r.Err == "" {
					s.mu.Lock()
					want := s.sent[strconv.Itoa(rid)]
					s.mu.Unlock()
					if r.Bytes != want {
						r.Err = fmt.Sprintf("read %d bytes of %d", r.Bytes, want)
					}
				}
				rep.Runs = append(rep.Runs, r)
				if benchChecked(variant) {
					require.Equal(t, "", r.Err, "%s %s", variant, r.Kind)
					require.Equal(t, j.n, r.Events, "%s %s", variant, r.Kind)
					require.Zero(t, r.Bad, "%s %s: events with wrong data", variant, r.Kind)
				} else if r.Err != "" || r.Bad > 0 || r.Events != j.n {
					t.Logf("%s %s: %d of %d events, %d wrong, %q: does not score", variant, r.Kind, r.Events, j.n, r.Bad, r.Err)
				}
			}
		}
	}
}
