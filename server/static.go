package main

import (
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sseshim/sseshim/demo"
)

// demoPages are the demo pages: the embedded copy, or with dev the demo/
// folder on disk, so that edits show on reload.
func demoPages(dev bool) fs.FS {
	if dev {
		return os.DirFS("demo")
	}
	return demo.FS
}

// servePages serves the demo pages.
func (s *server) servePages() http.Handler { return noCache(http.FileServerFS(s.pages)) }

// serveDist serves the build output at /dist/.
func (s *server) serveDist() http.Handler {
	return http.StripPrefix("/dist/", http.HandlerFunc(s.serveDistFile))
}

// Cache-Control of the build output. A content-hashed file never changes
// under its name, so a browser may keep it for a year without asking again
// (RFC 9111 §5.2.2.1 max-age; RFC 8246 immutable: not even on reload); a
// repeat visit then loads the engine with no request at all, and its wasm
// code cache entry, keyed to the response, stays valid. Every other file is
// revalidated on each use (a 304 when unchanged), so a rebuild shows on
// reload.
const (
	cacheHashed   = "public, max-age=31536000, immutable"
	cacheUnhashed = "no-cache"
)

// hashedName matches a content-hashed file name, <name>.<hash>.<ext>: the
// hash is the dot-separated element just before the one extension, of 8 or
// more lowercase hex digits (sseshim.3f9a1c2b7e.wasm, sseshim-share.0a1b2c3d.js,
// index.min.0a1b2c3d.js). The name before it is not empty and does not begin
// with a dot; the extension is letters and digits. A copy's .br or .gz is never requested by name
// (serveDistFile answers those 404): it is served for the hashed name, with
// that name's Cache-Control. An unhashed name whose element before the
// extension happens to be 8+ hex digits (build.20261207.js) counts as
// hashed: the build must not make such names for files that change.
var hashedName = regexp.MustCompile(`^[^./][^/]*\.[0-9a-f]{8,}\.[A-Za-z0-9]+$`)

// distCacheControl is the Cache-Control for a file of the build output, by
// its name (the last element of its path).
func distCacheControl(name string) string {
	if hashedName.MatchString(path.Base(name)) {
		return cacheHashed
	}
	return cacheUnhashed
}

// serveDistFile serves one file of the build output, choosing a
// precompressed .br or .gz copy when the client accepts it.
func (s *server) serveDistFile(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") || name == "/" {
		http.NotFound(w, r)
		return
	}
	file := filepath.Join(s.cfg.dist, filepath.FromSlash(name))
	h := w.Header()
	// no-cache until the file is found: a missing hashed name must not be
	// remembered for a year (a page may ask before a deploy has finished).
	h.Set("Cache-Control", cacheUnhashed)
	h.Add("Vary", "Accept-Encoding")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	if path.Ext(name) == ".wasm" {
		// WebAssembly.instantiateStreaming insists on this type.
		h.Set("Content-Type", "application/wasm")
	}
	accept := r.Header.Get("Accept-Encoding")
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(accept, enc.token) {
			continue
		}
		if st, err := os.Stat(file + enc.ext); err == nil && !st.IsDir() {
			h.Set("Content-Encoding", enc.token)
			f, err := os.Open(file + enc.ext)
			if err != nil {
				break
			}
			defer f.Close()
			h.Set("Cache-Control", distCacheControl(name))
			http.ServeContent(w, r, name, st.ModTime(), f)
			return
		}
	}
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	h.Set("Cache-Control", distCacheControl(name))
	http.ServeFile(w, r, file)
}

// acceptsEncoding tells whether an Accept-Encoding header accepts the
// coding: named, and not with q=0.
func acceptsEncoding(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), token) {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}
