//go:build !js

package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// TestProfileBench profiles a benchmark run in Chromium's sampling profiler
// and prints where the renderer's time went, by function: make profile
// (SSESHIM_PROFILE=variant: native, sseshim, sseshim-json, sseshim-batch,
// sseshim-batch-json, eventsource, event-source-polyfill, fetch) runs
// 100,000 events; make test a small run that checks the profile sees
// sseshim's own code. SSESHIM_PROFILE_KIND: text (default), losant, dt,
// paced; SSESHIM_PROFILE_SIZE: the text events' size, 32 (default), 128 or
// 1024.
func TestProfileBench(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	impl, n := os.Getenv("SSESHIM_PROFILE"), 100000
	if impl == "" {
		impl, n = "sseshim", 3000
	}
	kind, size := "text", 32
	if k := os.Getenv("SSESHIM_PROFILE_KIND"); k != "" && k != "fast" {
		kind = k
	}
	if v, err := strconv.Atoi(os.Getenv("SSESHIM_PROFILE_SIZE")); err == nil {
		require.Contains(t, benchSizes, v, "SSESHIM_PROFILE_SIZE")
		size = v
	}
	if kind == "paced" && n > 5000 {
		n = 5000 // 1 ms apart
	}
	lib := benchLibs(t)
	s := benchServer(t, lib, "")
	tb := browsertest.NewTab(t)
	tb.Navigate(s.URL + "/bench/page.html")
	browsertest.Eval[bool](tb, `sseshim.ready.then(() => true)`)
	var prof *profiler.Profile
	call := func(f func(ctx context.Context, tg *chromedp.Target) error) {
		require.NoError(t, chromedp.Do(tb.Ctx, chromedp.Func(f)))
	}
	call(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Disable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, profiler.Start, cdp.Empty{})
		return err
	})
	res := browsertest.Eval[map[string]any](tb, fmt.Sprintf(`runBench(%q, %q, %d, %d, 55000, 1)`, impl, kind, n, size))
	call(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := cdp.Call(ctx, tg, profiler.Stop, cdp.Empty{})
		prof = r.Profile
		return err
	})
	t.Logf("run: %v", res)
	self := map[string]int{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, n := range prof.Nodes {
		byID[n.ID] = n
	}
	total := 0
	for _, id := range prof.Samples {
		n := byID[id]
		name := n.CallFrame.FunctionName
		if name == "" {
			name = "(anonymous)"
		}
		self[fmt.Sprintf("%s %s:%d", name, n.CallFrame.URL, n.CallFrame.LineNumber)]++
		total++
	}
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range self {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	for i, e := range list {
		if i == 25 {
			break
		}
		t.Logf("%5.1f%%  %s", 100*float64(e.v)/float64(total), e.k)
	}
	// By file: the engine's wasm functions each take a sliver, and a
	// paced stream is mostly idle; per event is what a lone event costs.
	byFile := map[string]int{}
	for _, id := range prof.Samples {
		f := byID[id].CallFrame
		switch {
		case f.URL != "":
			byFile[f.URL]++
		case strings.HasPrefix(f.FunctionName, "("):
			byFile[f.FunctionName]++ // (idle), (program), (garbage collector)
		default:
			byFile["the browser's builtins"]++
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return byFile[files[i]] > byFile[files[j]] })
	interval := float64(prof.EndTime-prof.StartTime) / float64(total) // µs a sample
	for _, f := range files {
		t.Logf("%5.1f%%  %7.2f µs/event  %s", 100*float64(byFile[f])/float64(total), float64(byFile[f])*interval/float64(n), f)
	}
	require.Equal(t, "", res["err"], "the run ended well")
	require.Equal(t, float64(n), res["events"], "every event delivered while profiling")
	require.Equal(t, float64(0), res["bad"], "every event's data right")
	require.Positive(t, total, "the profiler took samples")
	if strings.HasPrefix(impl, "sseshim") {
		seen := false
		for _, e := range list {
			if strings.Contains(e.k, "sseshim.js") || strings.Contains(e.k, "sseshim.wasm") {
				seen = true
			}
		}
		require.True(t, seen, "the profile attributes time to sseshim's own code")
	}
}
