//go:build !js

// Package engines runs the engine-neutral suite in every browser engine
// installed: Chromium, Firefox and WebKitGTK. Each engine is started as a
// plain process on a harness page that the test drives through its own
// server (tests/internal/enginedriver): the same path for all three, with
// no automation protocol to speak.
package engines

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sseshim/sseshim/tests/internal/enginedriver"
)

// distDir is the build output the pages load.
var distDir = filepath.Join("..", "..", "dist")

// TestEngines runs every scenario in every engine, one browser process per
// engine for the whole suite.
func TestEngines(t *testing.T) {
	if _, err := os.Stat(filepath.Join(distDir, "sseshim.wasm")); err != nil {
		t.Fatal("dist/ is not built: run make build (make test does)")
	}
	for _, e := range enginedriver.Engines {
		t.Run(e.Name, func(t *testing.T) {
			exe := e.Require(t)
			start := time.Now()
			b := launch(t, e, exe)
			for _, sc := range suite {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, b) })
			}
			t.Logf("%s: the suite took %s", e.Name, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// suite lists the scenarios; each file adds its own.
var suite []struct {
	name string
	run  func(t *testing.T, b *browser)
}

func scenario(name string, run func(t *testing.T, b *browser)) bool {
	suite = append(suite, struct {
		name string
		run  func(t *testing.T, b *browser)
	}{name, run})
	return true
}

// browser is one engine's harness page, driven through the test server.
type browser struct {
	engine string
	conns  int // see enginedriver.Engine.Conns
	srv    *httptest.Server
	mux    *http.ServeMux
	ctl    *enginedriver.Control
}

// launch starts the test server and the engine on its harness page, and
// waits until the page asks for work.
func launch(t *testing.T, e enginedriver.Engine, exe string) *browser {
	b := &browser{engine: e.Name, conns: e.Conns, mux: http.NewServeMux()}
	b.mux.Handle("/dist/", http.StripPrefix("/dist/", noStore(http.FileServer(http.Dir(distDir)))))
	b.mux.Handle("/page/", http.StripPrefix("/page/", noStore(http.FileServer(http.Dir("page")))))
	b.ctl = enginedriver.NewControl(e.Name, b.mux)
	b.srv = httptest.NewServer(b.mux)
	t.Cleanup(b.srv.Close)
	enginedriver.Launch(t, e, exe, b.srv.URL+"/page/harness.html", b.ctl)
	return b
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// eval runs code in the page (60 s at most) and decodes its result.
func eval[T any](t *testing.T, b *browser, code string, args ...any) T {
	t.Helper()
	return enginedriver.Eval[T](t, b.ctl, code, args...)
}
