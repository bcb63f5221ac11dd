//go:build !js

// Package bench is sseshim's benchmark harness: the browser benchmark
// against the browser's own EventSource, npm's polyfills and the floors, the
// share benchmark, the soak, the profile and the A/B of two builds. make
// bench runs it for figures and rewrites README.md here with them; make test
// runs every benchmark once, small, as a check that each variant delivers
// every event right.
package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// browser is the one Chromium shared by every benchmark in this binary.
var browser context.Context

func TestMain(m *testing.M) {
	os.Exit(browsertest.Main(m, &browser))
}

// outDir is where the harness writes its tables, JSON and logs (ignored by
// git): tests/out, as for the browser tests' screenshots.
var outDir = filepath.Join("..", "out")
