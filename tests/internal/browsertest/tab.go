//go:build !js

package browsertest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Tab is a browser tab. A tab from NewTab fails its test on a console error
// or an uncaught exception, unless the test said it expects it.
type Tab struct {
	Ctx      context.Context
	T        *testing.T
	mu       sync.Mutex
	problems []string
	allow    []string // substrings of console errors the test expects
}

// NewTab opens a fresh tab, closed when the test ends.
func NewTab(t *testing.T) *Tab {
	t.Helper()
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	ctx, cancel := chromedp.NewContext(browser)
	tb := &Tab{Ctx: ctx, T: t}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			tb.report("uncaught exception: " + msg)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				tb.report("console error: " + strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("page problem: %s", p)
		}
	})
	return tb
}

// Attach is a Tab over a tab the caller opened and closes, with no console
// checks: for pages that are measured, not judged.
func Attach(t *testing.T, ctx context.Context) *Tab {
	return &Tab{Ctx: ctx, T: t}
}

func (tb *Tab) report(p string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, a := range tb.allow {
		if strings.Contains(p, a) {
			return
		}
	}
	tb.problems = append(tb.problems, p)
}

// ExpectConsole lets console errors that contain substr pass.
func (tb *Tab) ExpectConsole(substr string) {
	tb.mu.Lock()
	tb.allow = append(tb.allow, substr)
	tb.mu.Unlock()
}

// Navigate loads url and waits for its load event.
func (tb *Tab) Navigate(url string) {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.T.Fatalf("navigate %s: %v", url, err)
	}
}

// Eval runs a script (awaiting a promise it returns) and decodes the result.
func Eval[T any](tb *Tab, script string) T {
	tb.T.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.T.Fatalf("evaluate %.200s: %v", script, err)
	}
	return v
}

// NetworkOff turns the DevTools Network domain off in a tab, clearing the
// browser's HTTP cache first when clear is set: with it on, the browser's
// EventSource reports every message to DevTools, and every fetch() costs a
// stack trace, which would distort what is measured.
func NetworkOff(t *testing.T, ctx context.Context, clear bool) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if clear {
			if _, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{}); err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, tg, network.Disable, cdp.Empty{})
		return err
	})))
}
