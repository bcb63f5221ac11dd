//go:build !js

// Package tests drives sseshim in headless Chromium with chromedp: the same
// scenarios against the browser's own EventSource and sseshim's, compared
// event by event, and the extensions the browser's cannot do.
package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is the one Chromium shared by every test in this binary; each test
// gets a fresh tab and a fresh server.
var browser context.Context

// distDir is the build output the pages load.
var distDir = filepath.Join("..", "dist")

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	chrome := os.Getenv("CHROME_PATH")
	if chrome == "" {
		chrome = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chrome); err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "browser tests: Chromium not found at %s (set CHROME_PATH); CI requires it\n", chrome)
			return 1
		}
		fmt.Fprintf(os.Stderr, "browser tests: Chromium not found at %s; skipping (run make deps)\n", chrome)
		return m.Run()
	}
	if _, err := os.Stat(filepath.Join(distDir, "sseshim.wasm")); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests: dist/ is not built: run make build (make test does)")
		return 1
	}
	dir, err := os.MkdirTemp("", "sseshim-chrome-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("js-flags", "--expose-gc"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests: cannot start Chromium:", err)
		return 1
	}
	browser = ctx
	return m.Run()
}

// tab opens a fresh tab. Console errors and uncaught exceptions fail the test
// unless the test says it expects them.
type tab struct {
	ctx      context.Context
	t        *testing.T
	mu       sync.Mutex
	problems []string
	allow    []string // substrings of console errors the test expects
}

func newTab(t *testing.T) *tab {
	t.Helper()
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	ctx, cancel := chromedp.NewContext(browser)
	tb := &tab{ctx: ctx, t: t}
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

func (tb *tab) report(p string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, a := range tb.allow {
		if strings.Contains(p, a) {
			return
		}
	}
	tb.problems = append(tb.problems, p)
}

func (tb *tab) expectConsole(substr string) {
	tb.mu.Lock()
	tb.allow = append(tb.allow, substr)
	tb.mu.Unlock()
}

func (tb *tab) navigate(url string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		tb.t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval runs a script (awaiting a promise it returns) and decodes the result.
func eval[T any](tb *tab, script string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %.200s: %v", script, err)
	}
	return v
}

// server is a test's own HTTP server: dist/, the harness page, and whatever
// stream handlers the test adds.
type server struct {
	*httptest.Server
	mux *http.ServeMux
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{mux: http.NewServeMux()}
	s.mux.Handle("/dist/", http.StripPrefix("/dist/", noStore(http.FileServer(http.Dir(distDir)))))
	s.mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, harnessPage)
	})
	s.mux.HandleFunc("/harness.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, harnessJS)
	})
	s.Server = httptest.NewServer(s.mux)
	t.Cleanup(s.Close)
	return s
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// openHarness loads the harness page and waits for the engine.
func openHarness(t *testing.T, s *server) *tab {
	tb := newTab(t)
	tb.navigate(s.URL + "/page.html")
	eval[bool](tb, `sseshim.ready.then(() => true)`)
	return tb
}

const harnessPage = `<!doctype html>
<meta charset="utf-8"><title>sseshim harness</title>
<script>window.NativeEventSource = window.EventSource;</script>
<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script src="/harness.js"></script>
`

// harnessJS records what an EventSource does as lines of text, the same way
// for both implementations, until the stream sends a "done" event, the source
// closes for good, or a time limit passes.
const harnessJS = `
window.record = (impl, url, opts = {}) => new Promise((resolve) => {
  const ES = impl === 'native' ? window.NativeEventSource : sseshim.EventSource;
  const log = [];
  let es;
  try {
    es = new ES(url, opts.init);
  } catch (e) {
    resolve(['throws ' + e.name]);
    return;
  }
  let messages = 0;
  let finished = false;
  const finish = (why) => {
    if (finished) return;
    finished = true;
    es.close();
    log.push('end ' + why + ' rs=' + es.readyState);
    resolve(log);
  };
  // shape: what a page can see of the event object beside its data, the
  // same for both (but isTrusted: a page cannot make a trusted event); its
  // constructor is the realm's MessageEvent (#dispatchMessage).
  const shape = (e) => [e instanceof MessageEvent, e.constructor === MessageEvent, Object.prototype.toString.call(e), e.bubbles, e.cancelable,
    e.composed, e.source === null, e.ports.length, e.eventPhase, e.target === es, e.currentTarget === es].join();
  const onMsg = (e) => {
    log.push(e.type + ' ' + JSON.stringify(e.data) + ' id=' + JSON.stringify(e.lastEventId) +
      ' rs=' + es.readyState + ' origin=' + e.origin + ' shape=' + shape(e));
    messages++;
    if (opts.closeAfter && messages >= opts.closeAfter) {
      es.close();
      log.push('closed-in-listener rs=' + es.readyState);
      setTimeout(() => finish('after-close'), opts.settle || 300);
    }
  };
  es.onopen = () => log.push('open rs=' + es.readyState);
  es.onmessage = onMsg;
  for (const t of opts.types || []) es.addEventListener(t, onMsg);
  es.addEventListener('done', () => finish('done'));
  es.onerror = () => {
    log.push('error rs=' + es.readyState);
    if (es.readyState === 2) finish('closed');
  };
  setTimeout(() => finish('timeout'), opts.timeout || 8000);
});
`
