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

// TestHashedNames: which names of the build output count as content-hashed.
func TestHashedNames(t *testing.T) {
	t.Parallel()
	for name, hashed := range map[string]bool{
		"sseshim.3f9a1c2b7e.wasm":         true,
		"sseshim.3f9a1c2b.wasm":           true, // 8 digits, the fewest
		"sseshim-share.0a1b2c3d.js":       true,
		"index.min.0a1b2c3d.js":           true,
		"x.0123456789abcdef0123456789.js": true,
		"/sub/dir/chunk.deadbeef.js":      true, // the last element is what counts
		"sseshim.wasm":                    false,
		"sseshim.js":                      false,
		"index.d.ts":                      false,
		"package.json":                    false,
		"sseshim.3f9a1c2.wasm":            false, // 7 digits
		"sseshim.3F9A1C2B.wasm":           false, // upper case
		"sseshim.3f9a1c2g.wasm":           false, // not hex
		"sseshim-3f9a1c2b.wasm":           false, // not dot-separated
		"3f9a1c2b.wasm":                   false, // no name before the hash
		".3f9a1c2b.wasm":                  false,
		"..3f9a1c2b.wasm":                 false, // a name may not begin with a dot
		"sseshim.3f9a1c2b":                false, // no extension
		"sseshim.3f9a1c2b.":               false,
		"sseshim.3f9a1c2b.wasm.br":        false, // never requested by name: served for the .wasm
		"sseshim.3f9a1c2b.wasm.map":       false, // one extension after the hash
		"sseshim.3f9a1c2b/sseshim.wasm":   false, // a hashed folder is not a hashed file
	} {
		want := cacheUnhashed
		if hashed {
			want = cacheHashed
		}
		assert.Equal(t, want, distCacheControl(name), name)
	}
}

// TestHashedCaching: a content-hashed file of dist/ is served for a year,
// immutable, whichever copy (brotli, gzip, plain) answers; an unhashed one
// is revalidated each time; a missing hashed name is not cached.
func TestHashedCaching(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	for name, body := range map[string]string{
		"sseshim.3f9a1c2b7e.wasm": "\x00asm plain", "sseshim.3f9a1c2b7e.wasm.br": "brotli bytes", "sseshim.3f9a1c2b7e.wasm.gz": "gzip bytes",
		"sseshim.0a1b2c3d.js": "/* hashed js */", "sseshim.js": "/* js */", "sseshim.wasm": "\x00asm plain", "sseshim.wasm.br": "brotli bytes",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(cfg.dist, name), []byte(body), 0o644))
	}
	_, ts := startServer(t, cfg)
	fetch := func(path, enc string, h http.Header) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if h != nil {
			req.Header = h
		}
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct{ path, enc, encoding, cache string }{
		{"/dist/sseshim.3f9a1c2b7e.wasm", "br, gzip", "br", cacheHashed},
		{"/dist/sseshim.3f9a1c2b7e.wasm", "gzip", "gzip", cacheHashed},
		{"/dist/sseshim.3f9a1c2b7e.wasm", "identity", "", cacheHashed},
		{"/dist/sseshim.0a1b2c3d.js", "br", "", cacheHashed},
		{"/dist/sseshim.wasm", "br", "br", "no-cache"},
		{"/dist/sseshim.wasm", "", "", "no-cache"},
		{"/dist/sseshim.js", "br", "", "no-cache"},
	} {
		resp := fetch(c.path, c.enc, nil)
		require.Equal(t, 200, resp.StatusCode, c.path)
		assert.Equal(t, c.encoding, resp.Header.Get("Content-Encoding"), "%s %s", c.path, c.enc)
		assert.Equal(t, c.cache, resp.Header.Get("Cache-Control"), "%s %s", c.path, c.enc)
		assert.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding", c.path)
	}
	assert.Equal(t, "application/wasm", fetch("/dist/sseshim.3f9a1c2b7e.wasm", "br", nil).Header.Get("Content-Type"))

	// A hashed file still carries a validator, and a conditional request
	// (a browser that lost its copy's freshness) gets a 304 saying the same.
	first := fetch("/dist/sseshim.3f9a1c2b7e.wasm", "br", nil)
	lm := first.Header.Get("Last-Modified")
	require.NotEmpty(t, lm)
	again := fetch("/dist/sseshim.3f9a1c2b7e.wasm", "br", http.Header{"If-Modified-Since": {lm}})
	assert.Equal(t, 304, again.StatusCode)
	assert.Equal(t, cacheHashed, again.Header.Get("Cache-Control"))

	// Not there (yet): a 404 a browser must ask again about.
	for _, p := range []string{"/dist/sseshim.0badc0de.wasm", "/dist/sseshim.3f9a1c2b7e.wasm.br"} {
		resp := fetch(p, "br", nil)
		assert.Equal(t, 404, resp.StatusCode, p)
		assert.NotContains(t, resp.Header.Get("Cache-Control"), "max-age", p)
		assert.NotContains(t, resp.Header.Get("Cache-Control"), "immutable", p)
	}
}
