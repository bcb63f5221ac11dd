//go:build !js

// Package browsertest is what the browser tests and the benchmarks share:
// one headless Chromium per test binary, tabs that fail a test on a console
// error, a test server serving dist/ and a harness page, and readings of the
// browser's CPU time.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// browser is the Chromium that Main started, shared by every test of the
// binary: each test opens its own tabs in it.
var browser context.Context

// DistDir is the build output the pages load: dist/ at the module's root,
// wherever the test binary runs.
var DistDir = filepath.Join(moduleRoot(), "dist")

// moduleRoot is the nearest folder above the working directory that holds
// go.mod (a test binary runs in its package's folder).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ".."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// ChromePath is the Chromium the tests run: $CHROME_PATH, else
// /usr/bin/chromium.
func ChromePath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Main is a test binary's TestMain: it starts Chromium, points *ctx at it,
// runs the tests and ends the browser. Without Chromium the tests run with
// *ctx nil (browser tests skip), except under CI, which requires it.
func Main(m *testing.M, ctx *context.Context) int {
	chrome := ChromePath()
	if _, err := os.Stat(chrome); err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "browser tests: Chromium not found at %s (set CHROME_PATH); CI requires it\n", chrome)
			return 1
		}
		fmt.Fprintf(os.Stderr, "browser tests: Chromium not found at %s; skipping (run make deps)\n", chrome)
		return m.Run()
	}
	if _, err := os.Stat(filepath.Join(DistDir, "sseshim.wasm")); err != nil {
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
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests: cannot start Chromium:", err)
		return 1
	}
	browser = bctx
	*ctx = bctx
	return m.Run()
}

// BrowserPID is the browser's main process, the root of the process tree
// whose CPU time TakeCPU reads (0 when it is not known).
func BrowserPID() int {
	if browser == nil {
		return 0
	}
	if p := chromedp.FromContext(browser).Browser.Process(); p != nil {
		return p.Pid
	}
	return 0
}
