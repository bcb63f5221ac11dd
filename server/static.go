package main

import (
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
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
	h.Set("Cache-Control", "no-cache")
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
			http.ServeContent(w, r, name, st.ModTime(), f)
			return
		}
	}
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
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
