//go:build !js

package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScriptBuildIsOneFile: the script-tag build carries Go's wasm_exec.js,
// so a page loads sseshim.js and sseshim.wasm and nothing else, and the Go
// class it uses stays its own: a page's globalThis.Go (another Go program's,
// perhaps of another Go version) is left as it was, and none is added.
func TestScriptBuildIsOneFile(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/stream", holdStream("data: one file\n\n"))
	page := func(path, before string) {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, firstEventPage(before, "/dist/sseshim.js"))
		})
	}
	page("/own-go.html", `<script>window.Go = 'the page\'s Go';</script>`)
	page("/no-go.html", ``)
	// (A new browser's first page may also fetch /favicon.ico: not the page's.)
	loaded := `performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p !== '/stream' && p !== '/favicon.ico')`

	tb := newTab(t)
	tb.navigate(s.URL + "/own-go.html")
	assert.Equal(t, "one file", eval[string](tb, `window.result`))
	hashed, err := os.ReadFile(filepath.Join(distDir, ".gen", "wasm-name")) // the engine's content-hashed name (Makefile)
	require.NoError(t, err)
	assert.Equal(t, []string{"/dist/sseshim.js", "/dist/" + string(hashed)}, eval[[]string](tb, loaded))
	assert.Equal(t, "the page's Go", eval[string](tb, `String(window.Go)`))

	tb = newTab(t)
	tb.navigate(s.URL + "/no-go.html")
	assert.Equal(t, "one file", eval[string](tb, `window.result`))
	assert.False(t, eval[bool](tb, `'Go' in window`), "no global Go is left behind")
}

// firstEventPage is a page that runs before, loads sseshim from script and
// sets window.result to a promise of /stream's first event's data (or the
// error's kind and message).
func firstEventPage(before, script string) string {
	return `<!doctype html><meta charset="utf-8">` + before + `
<script src="` + script + `" data-polyfill="off"></script>
<script>window.result = new Promise((resolve) => {
  const es = new sseshim.EventSource('/stream');
  es.onmessage = (e) => { es.close(); resolve(e.data); };
  es.onerror = (e) => resolve(e.kind + ': ' + e.message);
});</script>`
}

// TestHashedScriptFromManifest: dist/manifest.json names the script-tag
// build's content-hashed copy and the engine's; the copy is sseshim.js byte
// for byte under a name made of its SHA-256, and a page that loads it by
// that name loads the engine by its hashed name beside it and streams.
func TestHashedScriptFromManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(distDir, "manifest.json"))
	require.NoError(t, err, "make build writes dist/manifest.json")
	var manifest map[string]string
	require.NoError(t, json.Unmarshal(b, &manifest))
	plain, err := os.ReadFile(filepath.Join(distDir, "sseshim.js"))
	require.NoError(t, err)
	sum := sha256.Sum256(plain)
	script := "sseshim." + hex.EncodeToString(sum[:])[:10] + ".js"
	require.Equal(t, script, manifest["sseshim.js"], "the script's hashed name")
	copied, err := os.ReadFile(filepath.Join(distDir, script))
	require.NoError(t, err)
	assert.Equal(t, plain, copied, "the hashed copy is sseshim.js")
	hashed, err := os.ReadFile(filepath.Join(distDir, ".gen", "wasm-name"))
	require.NoError(t, err)
	require.Equal(t, string(hashed), manifest["sseshim.wasm"], "the engine's hashed name")

	s := newServer(t)
	s.mux.HandleFunc("/stream", holdStream("data: hashed\n\n"))
	s.mux.HandleFunc("/hashed.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, firstEventPage("", "/dist/"+script))
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/hashed.html")
	assert.Equal(t, "hashed", eval[string](tb, `window.result`))
	assert.Equal(t, []string{"/dist/" + script, "/dist/" + string(hashed)},
		eval[[]string](tb, `performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/dist/'))`))
}
