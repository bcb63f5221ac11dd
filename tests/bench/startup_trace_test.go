//go:build !js

package bench

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// wasmTrace counts V8's "v8.wasm" trace events, browser-wide, while it runs:
// wasm.SerializeModule is a compiled module written to Chromium's code
// cache, wasm.Deserialize a module taken from it instead of compiled. The
// category has a few dozen events a load, so tracing it does not move the
// figures measured meanwhile.
type wasmTrace struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	counts map[string]int
	keep   func(name string) bool
	events []traceEvent // the events keep wants
	done   chan struct{}
}

func startWasmTrace(t *testing.T) *wasmTrace {
	return startTrace(t, []string{"v8.wasm"}, nil)
}

// startTrace traces categories, browser-wide, counting every event and
// keeping those keep wants (keep may be nil).
func startTrace(t *testing.T, categories []string, keep func(name string) bool) *wasmTrace {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	w := &wasmTrace{ctx: ctx, cancel: cancel, counts: map[string]int{}, keep: keep, done: make(chan struct{})}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, v := range e.Value {
				var te traceEvent
				if json.Unmarshal([]byte(v), &te) == nil {
					w.counts[te.Name]++
					if w.keep != nil && w.keep(te.Name) {
						w.events = append(w.events, te)
					}
				}
			}
		case *tracing.EventTracingComplete:
			close(w.done)
		}
	}))
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, tracing.Start, tracing.StartParams{
			TransferMode: tracing.StartTransferModeReportEvents,
			TraceConfig:  &tracing.TraceConfig{IncludedCategories: categories, ExcludedCategories: []string{"*"}},
		})
		return err
	})))
	return w
}

// stop ends the trace and returns how many of each event it saw.
func (w *wasmTrace) stop(t *testing.T) map[string]int {
	t.Helper()
	defer w.cancel()
	require.NoError(t, chromedp.Do(w.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, tracing.End, cdp.Empty{})
		return err
	})))
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the trace did not complete")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts
}
