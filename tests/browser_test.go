//go:build !js

// Package tests drives sseshim in headless Chromium with chromedp: the same
// scenarios against the browser's own EventSource and sseshim's, compared
// event by event, and the extensions the browser's cannot do. What it shares
// with the benchmarks (tests/bench) is in tests/internal/browsertest; the
// names below are that package's, as the tests here call them.
package tests

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// browser is the one Chromium shared by every test in this binary; each test
// gets a fresh tab and a fresh server.
var browser context.Context

// distDir is the build output the pages load.
var distDir = browsertest.DistDir

func TestMain(m *testing.M) {
	os.Exit(browsertest.Main(m, &browser))
}

// tab is a fresh tab: console errors and uncaught exceptions fail the test
// unless the test says it expects them.
type tab struct {
	*browsertest.Tab
	ctx context.Context
	t   *testing.T
}

func newTab(t *testing.T) *tab {
	t.Helper()
	return tabOf(browsertest.NewTab(t))
}

func tabOf(bt *browsertest.Tab) *tab { return &tab{Tab: bt, ctx: bt.Ctx, t: bt.T} }

func (tb *tab) navigate(url string)            { tb.t.Helper(); tb.Navigate(url) }
func (tb *tab) expectConsole(substr string)    { tb.ExpectConsole(substr) }
func eval[T any](tb *tab, script string) T     { tb.t.Helper(); return browsertest.Eval[T](tb.Tab, script) }
func openHarness(t *testing.T, s *server) *tab { return tabOf(browsertest.OpenHarness(t, s.Server)) }

// server is a test's own HTTP server: dist/, the harness page, and whatever
// stream handlers the test adds to mux.
type server struct {
	*browsertest.Server
	mux *http.ServeMux
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := browsertest.NewServer(t)
	return &server{Server: s, mux: s.Mux}
}

// esbuildVersion is the esbuild the npm tests install.
const esbuildVersion = browsertest.EsbuildVersion

var (
	run           = browsertest.Run
	sseStart      = browsertest.SSEStart
	noStore       = browsertest.NoStore
	abDirs        = browsertest.ABDirs
	serveABFrames = browsertest.ServeABFrames
	networkOff    = browsertest.NetworkOff
	writeChunks   = browsertest.WriteChunks
)

// cpuSnapshot is the CPU time of each of the browser's threads.
type cpuSnapshot struct{ browsertest.CPUSnapshot }

func takeCPU(root int) cpuSnapshot { return cpuSnapshot{browsertest.TakeCPU(root)} }

func (now cpuSnapshot) since(before cpuSnapshot) time.Duration {
	return now.CPUSnapshot.Since(before.CPUSnapshot)
}
