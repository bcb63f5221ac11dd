//go:build !js

package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRepeatVisitsCodeCache checks that nothing on sseshim's side keeps the
// engine out of Chromium's wasm code cache: the module is fetch()ed and its
// Response, as fetch() gave it (through the HTTP cache, application/wasm,
// not wrapped, cloned or read), goes straight to
// WebAssembly.instantiateStreaming, which is what Blink needs to attach the
// cache to the compile. Whether V8 then offers its code is V8's choice: it
// waits for its optimized code to stop growing for a while
// (--wasm-caching-timeout-ms), which a page that keeps receiving events may
// never give it; here V8 is told to offer it at once, so that the test sees
// the path, not that heuristic. The page, the stream and dist/ are the
// repeat-visit benchmark's, served by the dev server.
func TestRepeatVisitsCodeCache(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	s := visitServer(t, startDevServer(t, visitDist(t)))
	url := s.URL + "/visits/page.html?impl=sseshim"
	profile := t.TempDir()
	const flags = "--wasm-caching-timeout-ms=0"

	b := launchVisitBrowser(t, profile, flags)
	first := b.visit(t, s, url, 500*time.Millisecond)
	b.close(t)
	require.Empty(t, first.Error)
	require.Positive(t, first.Trace[traceStreamed], "the module was compiled as it streamed: %v", first.Trace)
	require.Positive(t, first.Trace[traceCacheWrite], "Blink wrote V8's code to the cache: %v", first.Trace)
	require.Positive(t, wasmCacheFiles(t, profile), "the profile's Code Cache/wasm has an entry")

	b = launchVisitBrowser(t, profile, flags)
	again := b.visit(t, s, url, 0)
	b.close(t)
	require.Empty(t, again.Error)
	require.Positive(t, again.Trace[traceCacheHit], "the restarted browser found the module's code in the cache: %v", again.Trace)
	for name := range again.Trace {
		require.False(t, strings.HasPrefix(name, "v8.wasm.moduleCacheInvalid"), "the cached code was usable: %v", again.Trace)
	}
	require.Equal(t, "none", again.moduleAnswer(), "the module itself came from the HTTP cache: %v", again.Dist)
}
