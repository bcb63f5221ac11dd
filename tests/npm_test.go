//go:build !js

package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tools the package test installs from npm into an ignored folder.
const (
	esbuildVersion    = "0.28.2"
	typescriptVersion = "5.9.3"
)

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_audit=false", "npm_config_fund=false", "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// TestNPMPackage packs dist/ as npm would publish it, installs the tarball
// into a small app, type-checks a TypeScript use of it, bundles the app with
// esbuild, and runs the bundle in Chromium against a stream.
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
	assert.ElementsMatch(t, []string{"index.js", "index.d.ts", "sseshim.js", "sseshim.wasm", "wasm_exec.js", "package.json"}, files)

	require.NoError(t, os.WriteFile(filepath.Join(app, "package.json"), []byte(`{"name":"app","private":true,"type":"module"}`), 0o644))
	run(t, app, "npm", "install", "--no-save", "--prefer-offline",
		filepath.Join(work, packed[0].Filename), "esbuild@"+esbuildVersion, "typescript@"+typescriptVersion)

	// The types describe the API a TypeScript user writes against.
	ts := `import { EventSource, ready, install, type SseshimMessageEvent } from 'sseshim';
const es = new EventSource('/x', { json: true, headers: async () => ({ Authorization: 'Bearer t' }), ping: { interval: 10000 }, retry: { max: 30000, maxAttempts: 5 } });
es.addEventListener('mqttMessage', (e: SseshimMessageEvent<{ message: { data: { t: number } } }>) => { const n: number | undefined = e.json?.message.data.t; console.log(n); });
es.addEventListener('error', (e) => { const s: number | undefined = e.status; console.log(s, e.kind); });
es.onmessage = (e) => console.log(e.data.length, es.stats.reconnects);
const state: number = es.readyState;
void ready.then(() => install({ force: false }));
console.log(state, EventSource.CLOSED);
`
	require.NoError(t, os.WriteFile(filepath.Join(app, "check.ts"), []byte(ts), 0o644))
	run(t, app, "node_modules/.bin/tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
		"--moduleResolution", "nodenext", "--lib", "es2022,dom", "check.ts")

	main := `import { EventSource, ready, install, CLOSED } from 'sseshim';
const native = globalThis.EventSource;
const kept = install() === EventSource && globalThis.EventSource === native; // auto: the browser has one
install({ force: true });
const forced = globalThis.EventSource === EventSource;
window.result = new Promise((resolve) => {
  const es = new EventSource('/stream', { json: true });
  es.addEventListener('reading', (e) => { es.close(); resolve({ value: e.json.value, ready: typeof ready.then, kept, forced, closed: es.readyState === CLOSED }); });
});
`
	require.NoError(t, os.WriteFile(filepath.Join(app, "main.js"), []byte(main), 0o644))
	outDir := filepath.Join(app, "out")
	run(t, app, "node_modules/.bin/esbuild", "main.js", "--bundle", "--format=esm", "--outdir="+outDir)
	// esbuild leaves new URL('./sseshim.wasm', import.meta.url) alone: the
	// app ships the module beside its bundle, as the README says.
	wasm, err := os.ReadFile(filepath.Join(app, "node_modules", "sseshim", "sseshim.wasm"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "sseshim.wasm"), wasm, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "index.html"),
		[]byte(`<!doctype html><meta charset="utf-8"><script type="module" src="main.js"></script>`), 0o644))

	s := newServer(t)
	s.mux.Handle("/app/", http.StripPrefix("/app/", http.FileServer(http.Dir(outDir))))
	s.mux.HandleFunc("/stream", holdStream("event: reading\ndata: {\"value\": 42}\n\n"))
	tb := newTab(t)
	tb.navigate(s.URL + "/app/index.html")
	got := eval[map[string]any](tb, `window.result`)
	assert.Equal(t, float64(42), got["value"])
	assert.Equal(t, "function", got["ready"])
	assert.Equal(t, true, got["kept"], "install() keeps the browser's own EventSource")
	assert.Equal(t, true, got["forced"], "install({force: true}) replaces it")
	assert.Equal(t, true, got["closed"])
}
