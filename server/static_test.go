package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	writeDist(t, cfg.dist)
	_, ts := startServer(t, cfg)
	fetch := func(path, enc string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body := fetch("/dist/sseshim.wasm", "gzip, deflate, br")
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Equal(t, "br", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "brotli bytes", body)
	assert.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding")
	resp, body = fetch("/dist/sseshim.wasm", "gzip")
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "gzip bytes", body)
	resp, body = fetch("/dist/sseshim.wasm", "br;q=0, identity")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "\x00asm plain", body)
	resp, _ = fetch("/dist/sseshim.js", "br")
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "no .br beside it")
	assert.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	resp, _ = fetch("/dist/missing.js", "")
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = fetch("/dist/../go.mod", "")
	assert.NotEqual(t, 200, resp.StatusCode)
	resp, body = fetch("/", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "<!doctype html>")
}

// TestWasmRevalidates: the engine is served no-cache, so that a rebuild shows
// on reload, and a browser revalidates it on every load. A 304 keeps
// Chromium's wasm code cache entry valid where a 200 would discard it
// (https://v8.dev/blog/wasm-code-caching, "Don’t change your code"), so
// the module must carry a validator that the server honours.
func TestWasmRevalidates(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	writeDist(t, cfg.dist)
	_, ts := startServer(t, cfg)
	get := func(h http.Header) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+"/dist/sseshim.wasm", nil)
		req.Header = h
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	first := get(http.Header{"Accept-Encoding": {"br"}})
	require.Equal(t, 200, first.StatusCode)
	assert.Equal(t, "no-cache", first.Header.Get("Cache-Control"))
	lm := first.Header.Get("Last-Modified")
	require.NotEmpty(t, lm, "a validator")
	again := get(http.Header{"Accept-Encoding": {"br"}, "If-Modified-Since": {lm}})
	assert.Equal(t, 304, again.StatusCode)
}

func writeDist(t *testing.T, dir string) {
	for name, body := range map[string]string{
		"sseshim.js": "/* js */", "sseshim.wasm": "\x00asm plain", "sseshim.wasm.br": "brotli bytes", "sseshim.wasm.gz": "gzip bytes",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
}

// TestNoSniff: no response may be sniffed into another type by a browser.
func TestNoSniff(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	for _, p := range []string{"/", "/index.html", "/common.js", "/nope", "/dist/nope.js", "/live-users",
		"/live-users?status=503", "/live-users?close_after=x", "/v2/projects/p/devices:stream"} {
		resp := get(t, ts, p, nil)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), p)
	}
	res, err := http.Post(ts.URL+"/api/streams/stall", "application/json", nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
}
