//go:build !js

package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tools the package test installs from npm into an ignored folder, in one
// npm install.
const (
	typescriptVersion = "5.9.3"
	viteVersion       = "8.4.0"
	webpackVersion    = "5.113.0"
	webpackCLIVersion = "7.3.1"
)

// timed runs f and logs how long it took, for the test's time budget.
func timed(t *testing.T, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	t.Logf("%s: %.1fs", what, time.Since(start).Seconds())
}

// The app the bundlers build: app.js is what a user writes; main.js starts
// it as it is, configured.js says where the engine is first.
const npmAppJS = `import { EventSource, ready, install, configure, CLOSED } from 'sseshim';

const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };

export function start() {
  const native = globalThis.EventSource;
  const kept = install() === EventSource && globalThis.EventSource === native; // auto: the browser has one
  install({ force: true });
  const forced = globalThis.EventSource === EventSource;
  const out = { kept, forced, readyType: typeof ready.then };
  // A shared source: one connection for every tab, in a SharedWorker the
  // bundler shipped beside the bundle (or the page's engine, where it could not).
  const shared = new Promise((resolve) => {
    const es = new EventSource('/stream', { share: 'npm' });
    es.addEventListener('reading', (e) => {
      out.sharedData = e.data;
      out.shared = es.stats.shared;
      out.notShared = es.stats.notShared;
      es.close();
      resolve();
    });
    es.addEventListener('error', (e) => { out.sharedError = e.kind + ': ' + e.message; resolve(); });
  });
  const own = new Promise((resolve) => {
    ready.then(() => { out.ready = 'resolved'; }, (e) => { out.ready = 'rejected: ' + e.message; });
    const es = new EventSource('/stream', { json: true });
    es.addEventListener('reading', (e) => {
      es.close();
      out.value = e.json.value;
      out.closed = es.readyState === CLOSED;
      out.late = attempt(() => configure({ wasmURL: '/elsewhere/sseshim.wasm' }));
      out.unknown = attempt(() => configure({ wasmUrl: '/elsewhere/sseshim.wasm' }));
      out.notURL = attempt(() => configure({ wasmURL: 42 }));
      resolve();
    });
    es.addEventListener('error', (e) => { out.error = e.kind + ': ' + e.message; resolve(); });
  });
  window.result = Promise.all([own, shared]).then(() => out);
}
`

const npmMainJS = `import { start } from './app.js';
start();
`

// npmConfiguredJS serves the engine from a folder of its own, not beside
// the bundle.
const npmConfiguredJS = `import { configure } from 'sseshim';
import { start } from './app.js';
configure({ wasmURL: '/engine/sseshim.wasm' });
start();
`

// TestNPMPackage packs dist/ as npm would publish it, installs the tarball
// and every tool in one npm install, type-checks a TypeScript use of it, and
// builds the app as a new user would: esbuild's default format (iife) with and
// without configure(), esbuild --format=esm, Vite and webpack. Each build,
// served by the test's server, runs in Chromium against a stream.
func TestNPMPackage(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required under CI")
		}
		t.Skip("npm is not installed")
	}
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	work, err := filepath.Abs(filepath.Join(".npm-work"))
	require.NoError(t, err)
	app := filepath.Join(work, "app")
	require.NoError(t, os.MkdirAll(app, 0o755))
	dist, err := filepath.Abs(distDir)
	require.NoError(t, err)

	// What the tarball holds.
	var packed []struct {
		Filename string `json:"filename"`
		Files    []struct {
			Path string `json:"path"`
		} `json:"files"`
	}
	out := run(t, work, "npm", "pack", dist, "--json", "--pack-destination", work)
	require.NoError(t, json.Unmarshal([]byte(out[strings.Index(out, "["):]), &packed))
	require.Len(t, packed, 1)
	var files []string
	for _, f := range packed[0].Files {
		files = append(files, f.Path)
	}
	hashed, err := os.ReadFile(filepath.Join(dist, ".gen", "wasm-name")) // the engine's content-hashed name (Makefile)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"index.js", "index.js.map", "index.d.ts", "sseshim.js", "sseshim.js.map",
		"sseshim-share.js", "sseshim-share.js.map", "sseshim.wasm", string(hashed), "wasm_exec.js", "package.json"}, files)

	require.NoError(t, os.WriteFile(filepath.Join(app, "package.json"), []byte(`{"name":"app","private":true,"type":"module"}`), 0o644))
	// The tarball's version does not change between builds: remove the copy
	// a previous run installed so that npm installs this one.
	require.NoError(t, os.RemoveAll(filepath.Join(app, "node_modules", "sseshim")))
	timed(t, "npm install", func() {
		run(t, app, "npm", "install", "--no-save", "--prefer-offline", "--no-package-lock",
			filepath.Join(work, packed[0].Filename), "esbuild@"+esbuildVersion, "typescript@"+typescriptVersion,
			"vite@"+viteVersion, "webpack@"+webpackVersion, "webpack-cli@"+webpackCLIVersion)
	})
	pkg := filepath.Join(app, "node_modules", "sseshim")
	for _, f := range []string{"index.js", "sseshim.js", "sseshim.wasm"} {
		a, err := os.ReadFile(filepath.Join(pkg, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dist, f))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "the installed %s is this build's", f)
	}
	wasm, err := os.ReadFile(filepath.Join(pkg, "sseshim.wasm"))
	require.NoError(t, err)

	t.Run("types", func(t *testing.T) {
		// The types describe the API a TypeScript user writes against.
		ts := `import { EventSource, SseshimErrorEvent, RetryingEvent, ready, install, configure, type EngineOptions, type SseshimMessageEvent } from 'sseshim';
configure({ wasmURL: '/assets/sseshim.wasm' });
configure({ wasmURL: new URL('https://cdn.example/sseshim/sseshim.wasm'), wasmExecURL: 'https://cdn.example/sseshim/wasm_exec.js' });
const opts: EngineOptions = { wasmURL: '/a.wasm' };
configure(opts);
// @ts-expect-error: unknown option
configure({ wasmUrl: '/a.wasm' });
// @ts-expect-error: not a URL
configure({ wasmURL: 42 });
const nothing: void = configure({});
const es = new EventSource('/x', { json: true, headers: async () => ({ Authorization: 'Bearer t' }), ping: { interval: 10000 }, retry: { max: 30000, maxAttempts: 5 } });
es.addEventListener('mqttMessage', (e: SseshimMessageEvent<{ message: { data: { t: number } } }>) => { const n: number | undefined = e.json?.message.data.t; console.log(n); });
es.addEventListener('error', (e) => { const s: number | undefined = e.status; console.log(s, e.kind); });
es.addEventListener('retrying', (e) => { const r: RetryingEvent = e; console.log(r.delay + r.attempt); });
const made = new SseshimErrorEvent('error', { kind: 'network', message: 'm' });
// @ts-expect-error: not a kind
new SseshimErrorEvent('error', { kind: 'nope' });
console.log(made instanceof Event, made.kind, new EventSource('/y', { lastEventIdParam: false, retry: { immediateAfter: 0 } }).url);
es.onmessage = (e) => console.log(e.data.length, es.stats.reconnects);
const state: number = es.readyState;
void ready.then(() => install({ force: false }));
console.log(state, EventSource.CLOSED, nothing);
`
		require.NoError(t, os.WriteFile(filepath.Join(app, "check.ts"), []byte(ts), 0o644))
		timed(t, "tsc", func() {
			run(t, app, "node_modules/.bin/tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
				"--moduleResolution", "nodenext", "--lib", "es2022,dom", "check.ts")
		})
	})

	for name, src := range map[string]string{"app.js": npmAppJS, "main.js": npmMainJS, "configured.js": npmConfiguredJS} {
		require.NoError(t, os.WriteFile(filepath.Join(app, name), []byte(src), 0o644))
	}
	outDir := filepath.Join(app, "out")
	require.NoError(t, os.RemoveAll(outDir))
	page := func(t *testing.T, dir, script string) {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"),
			[]byte(`<!doctype html><meta charset="utf-8">`+script), 0o644))
	}

	s := newServer(t)
	s.mux.Handle("/app/", http.StripPrefix("/app/", noStore(http.FileServer(http.Dir(outDir)))))
	var engineHits atomic.Int32
	s.mux.HandleFunc("/engine/sseshim.wasm", func(w http.ResponseWriter, r *http.Request) {
		engineHits.Add(1)
		w.Header().Set("Content-Type", "application/wasm")
		_, _ = w.Write(wasm)
	})
	s.mux.HandleFunc("/stream", holdStream("event: reading\ndata: {\"value\": 42}\n\n"))
	open := func(t *testing.T, path string) map[string]any {
		tb := newTab(t)
		tb.navigate(s.URL + path)
		return eval[map[string]any](tb, `window.result`)
	}
	works := func(t *testing.T, got map[string]any) {
		t.Helper()
		assert.Equal(t, "resolved", got["ready"])
		assert.Nil(t, got["error"], "no error event")
		assert.Equal(t, float64(42), got["value"], "the event's data arrives")
		assert.Equal(t, "function", got["readyType"])
		assert.Equal(t, true, got["kept"], "install() keeps the browser's own EventSource")
		assert.Equal(t, true, got["forced"], "install({force: true}) replaces it")
		assert.Equal(t, true, got["closed"])
		assert.Contains(t, got["late"], "Error: sseshim: configure() was called too late")
		assert.Contains(t, got["unknown"], `TypeError: sseshim: configure(): unknown option "wasmUrl"`)
		assert.Contains(t, got["notURL"], "TypeError: sseshim: configure(): wasmURL must be a string or a URL")
		assert.Equal(t, `{"value": 42}`, got["sharedData"], "the shared source's event arrives: %v", got["sharedError"])
	}
	// sharesAcrossTabs: the build shipped sseshim-share.js where the module
	// finds it, and it found the engine.
	sharesAcrossTabs := func(t *testing.T, got map[string]any) {
		t.Helper()
		assert.Equal(t, true, got["shared"], "shared; not because: %v", got["notShared"])
	}
	// shipsWasm: the build put sseshim.wasm among its files, under any name.
	shipsWasm := func(t *testing.T, dir string) {
		t.Helper()
		var found []string
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wasm") {
				if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, wasm) {
					found = append(found, p)
				}
			}
			return err
		}))
		assert.Len(t, found, 1, "the build ships sseshim.wasm once")
	}
	esbuild := func(t *testing.T, entry, dir string, args ...string) {
		timed(t, strings.TrimSpace("esbuild "+strings.Join(args, " ")), func() {
			run(t, app, "node_modules/.bin/esbuild", append([]string{entry, "--bundle", "--outfile=" + filepath.Join(dir, "main.js")}, args...)...)
		})
	}

	t.Run("esbuild-iife-configure", func(t *testing.T) {
		dir := filepath.Join(outDir, "iife-configure")
		esbuild(t, "configured.js", dir) // esbuild's default format
		page(t, dir, `<script src="main.js"></script>`)
		before := engineHits.Load()
		works(t, open(t, "/app/iife-configure/index.html"))
		assert.Equal(t, before+1, engineHits.Load(), "the engine came from configure()'s wasmURL")
	})

	t.Run("esbuild-iife-unconfigured", func(t *testing.T) {
		dir := filepath.Join(outDir, "iife")
		esbuild(t, "main.js", dir)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sseshim.wasm"), wasm, 0o644)) // even beside it
		page(t, dir, `<script src="main.js"></script>`)
		got := open(t, "/app/iife/index.html")
		const clear = "sseshim: cannot locate sseshim.wasm: import.meta.url is not available in this build " +
			"(esbuild's default iife format empties import.meta). Call configure({ wasmURL: '/path/to/sseshim.wasm' }) " +
			"from 'sseshim' before first use and serve the file there, or bundle as an ES module (esbuild --format=esm)"
		assert.Equal(t, "rejected: "+clear, got["ready"], "ready rejects naming the fix")
		assert.Equal(t, "engine: sseshim: the engine did not load: "+strings.TrimPrefix(clear, "sseshim: "), got["error"], "and so does the error event")
		assert.Nil(t, got["value"])
	})

	t.Run("esbuild-esm", func(t *testing.T) {
		dir := filepath.Join(outDir, "esm")
		esbuild(t, "main.js", dir, "--format=esm")
		// esbuild leaves new URL('./sseshim.<hash>.wasm', import.meta.url)
		// alone: the app ships the module beside its bundle, as the README says.
		require.NoError(t, os.WriteFile(filepath.Join(dir, string(hashed)), wasm, 0o644))
		share, err := os.ReadFile(filepath.Join(pkg, "sseshim-share.js"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "sseshim-share.js"), share, 0o644))
		page(t, dir, `<script type="module" src="main.js"></script>`)
		got := open(t, "/app/esm/index.html")
		works(t, got)
		sharesAcrossTabs(t, got)
	})

	t.Run("vite", func(t *testing.T) {
		dir := filepath.Join(outDir, "vite")
		require.NoError(t, os.WriteFile(filepath.Join(app, "index.html"),
			[]byte(`<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>`), 0o644))
		timed(t, "vite build", func() {
			run(t, app, "node_modules/.bin/vite", "build", "--outDir", dir, "--emptyOutDir", "--base", "/app/vite/", "--logLevel", "warn")
		})
		shipsWasm(t, dir)
		got := open(t, "/app/vite/index.html")
		works(t, got)
		sharesAcrossTabs(t, got)
	})

	t.Run("webpack", func(t *testing.T) {
		dir := filepath.Join(outDir, "webpack")
		timed(t, "webpack", func() {
			run(t, app, "node_modules/.bin/webpack", "--mode", "production", "--entry", "./main.js", "--output-path", dir)
		})
		shipsWasm(t, dir)
		page(t, dir, `<script src="main.js"></script>`)
		got := open(t, "/app/webpack/index.html")
		works(t, got)
		sharesAcrossTabs(t, got)
	})
}

// TestNPMScriptConfigure: the script-tag build (the package's sseshim/script)
// takes configure() from the same script, e.g. when sseshim.js is part of a
// bundle; from a separate script it is too late and says so; and a missing
// engine is reported with its URL.
func TestNPMScriptConfigure(t *testing.T) {
	s := newServer(t)
	dist, err := filepath.Abs(distDir)
	require.NoError(t, err)
	file := func(name, ctype string, extra string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, err := os.ReadFile(filepath.Join(dist, name))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", ctype)
			_, _ = w.Write(append(b, extra...))
		}
	}
	var besideHits atomic.Int32
	s.mux.HandleFunc("/lib/", func(w http.ResponseWriter, r *http.Request) {
		besideHits.Add(1)
		http.NotFound(w, r)
	})
	s.mux.HandleFunc("/lib/bundle.js", file("sseshim.js", "text/javascript",
		"\nsseshim.configure({ wasmURL: '/moved/engine.wasm', wasmExecURL: '/moved/go.js' });\n"))
	s.mux.HandleFunc("/moved/engine.wasm", file("sseshim.wasm", "application/wasm", ""))
	s.mux.HandleFunc("/moved/go.js", file("wasm_exec.js", "text/javascript", ""))
	s.mux.HandleFunc("/nowasm/sseshim.js", file("sseshim.js", "text/javascript", ""))
	s.mux.HandleFunc("/nowasm/wasm_exec.js", file("wasm_exec.js", "text/javascript", ""))
	s.mux.HandleFunc("/stream", holdStream("event: reading\ndata: 42\n\n"))
	page := func(path, body string) {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><meta charset="utf-8">`+body)
		})
	}
	const attempt = `const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };`
	page("/bundled.html", `<script src="/lib/bundle.js" data-polyfill="off"></script>`)
	page("/late.html", `<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>`+attempt+`
window.late = attempt(() => sseshim.configure({ wasmURL: '/moved/engine.wasm' }));
window.unknown = attempt(() => sseshim.configure({ wasm: '/moved/engine.wasm' }));
window.notObject = attempt(() => sseshim.configure('/moved/engine.wasm'));
window.empty = attempt(() => sseshim.configure({ wasmExecURL: '' }));
</script>`)
	page("/nowasm.html", `<script src="/nowasm/sseshim.js" data-polyfill="off"></script>`)
	receive := `new Promise((resolve) => {
  const es = new sseshim.EventSource('/stream');
  es.addEventListener('reading', (e) => { es.close(); resolve('data ' + e.data); });
  es.onerror = (e) => resolve(e.kind + ': ' + e.message);
})`

	t.Run("same-script", func(t *testing.T) {
		tb := newTab(t)
		tb.navigate(s.URL + "/bundled.html")
		assert.Equal(t, "data 42", eval[string](tb, receive))
		assert.Zero(t, besideHits.Load(), "nothing was fetched from beside the script")
	})
	t.Run("separate-script", func(t *testing.T) {
		tb := newTab(t)
		tb.navigate(s.URL + "/late.html")
		late := eval[string](tb, `window.late`)
		assert.Contains(t, late, "Error: sseshim: configure() was called too late")
		assert.Contains(t, late, "use the data-wasm and data-wasm-exec attributes")
		assert.Equal(t, `TypeError: sseshim: configure(): unknown option "wasm" (known: wasmURL, wasmExecURL, shareURL)`, eval[string](tb, `window.unknown`))
		assert.Equal(t, `TypeError: sseshim: configure() takes an object: { wasmURL, wasmExecURL, shareURL }`, eval[string](tb, `window.notObject`))
		assert.Equal(t, `TypeError: sseshim: configure(): wasmExecURL must not be empty`, eval[string](tb, `window.empty`))
		assert.Equal(t, "data 42", eval[string](tb, receive), "the engine still loads from beside the script")
	})
	t.Run("missing-engine", func(t *testing.T) {
		tb := newTab(t)
		tb.navigate(s.URL + "/nowasm.html")
		hashed, err := os.ReadFile(filepath.Join(distDir, ".gen", "wasm-name")) // the default: the engine's hashed name
		require.NoError(t, err)
		want := "sseshim: could not load the engine from " + s.URL + "/nowasm/" + string(hashed) + " (HTTP 404): " +
			"serve sseshim.wasm there, or tell sseshim where it is with configure({ wasmURL })"
		assert.Equal(t, "rejected: "+want, eval[string](tb, `sseshim.ready.then(() => 'resolved', (e) => 'rejected: ' + e.message)`))
		assert.Equal(t, "engine: sseshim: the engine did not load: "+strings.TrimPrefix(want, "sseshim: "), eval[string](tb, receive))
	})
}
