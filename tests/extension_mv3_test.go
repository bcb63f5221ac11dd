//go:build !js

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sseshim/sseshim/tests/internal/browsertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extensionDir builds an unpacked extension in a temporary folder: the
// background script of testdata/extension-mv3/<kind> and its manifest (the
// module one's is the README's), the
// shared stream.js, the dist/ files a user would copy in, and config.js,
// which tells the background where the test server is.
func extensionDir(t *testing.T, kind, server string) string {
	dir := t.TempDir()
	wasmName, err := os.ReadFile(filepath.Join(distDir, ".gen", "wasm-name"))
	require.NoError(t, err, "dist/ is built (make build)")
	copyFile := func(from, name string) {
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	fixtures := filepath.Join("testdata", "extension-mv3")
	copyFile(filepath.Join(fixtures, kind, "background.js"), "background.js")
	if kind == "module" {
		writeReadmeManifest(t, filepath.Join(dir, "manifest.json"))
	} else {
		copyFile(filepath.Join(fixtures, kind, "manifest.json"), "manifest.json")
	}
	copyFile(filepath.Join(fixtures, "stream.js"), "stream.js")
	for _, name := range []string{"sseshim.js", "index.js", "wasm_exec.js", string(wasmName)} {
		copyFile(filepath.Join(distDir, name), name)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.js"),
		[]byte(fmt.Sprintf("self.testServer = %q;\n", server)), 0o644))
	return dir
}

// writeReadmeManifest writes the README's extension manifest (its one JSON
// snippet) to path, its host_permissions pointed at the test server: what
// the README tells users to write is what the test loads.
func writeReadmeManifest(t *testing.T, path string) {
	var manifests []map[string]any
	for _, s := range readmeSnippets(t) {
		if s.lang == "json" {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(s.code), &m), "README line %d", s.line)
			manifests = append(manifests, m)
		}
	}
	require.Len(t, manifests, 1, "the README's extension manifest")
	m := manifests[0]
	m["host_permissions"] = []string{"http://127.0.0.1/*"}
	b, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// TestExtensionMV3 loads two unpacked Manifest V3 extensions into a
// headless Chromium of their own, one with a classic background service
// worker (importScripts) and one with a module one (import): each streams
// from the test server with an Authorization header (host_permissions lets
// it reach 127.0.0.1 with no CORS) and posts what it received back to the
// server, which the test reads.
func TestExtensionMV3(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	results := make(chan [2]string, 4)
	mux := http.NewServeMux()
	stream, auth := authStream("ext")
	mux.HandleFunc("/ext/stream", stream)
	mux.HandleFunc("/ext/401", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no token", http.StatusUnauthorized)
	})
	mux.HandleFunc("/ext/result", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		results <- [2]string{r.URL.Query().Get("ext"), string(b)}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// Chromium (unlike Google's branded Chrome) still loads unpacked
	// extensions from --load-extension, in its new headless mode too.
	dirs := []string{extensionDir(t, "classic", srv.URL), extensionDir(t, "module", srv.URL)}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browsertest.ChromePath()),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-extensions", false),
		chromedp.Flag("load-extension", strings.Join(dirs, ",")),
		chromedp.Flag("disable-extensions-except", strings.Join(dirs, ",")),
		chromedp.Flag("disable-component-update", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "start Chromium with the extensions")

	got := map[string][]string{}
	wait := time.After(60 * time.Second) // a bound on a hang, not a measure
	for len(got) < 2 {
		select {
		case r := <-results:
			var log []string
			require.NoError(t, json.Unmarshal([]byte(r[1]), &log), r[1])
			got[r[0]] = log
		case <-wait:
			t.Fatalf("the extensions reported %v; want classic and module", got)
		}
	}
	for _, kind := range []string{"classic", "module"} {
		assert.Equal(t, append([]string{"chrome-extension: string"}, swStreamLog...), got[kind], kind)
		assert.Equal(t, "Bearer ext-"+kind, auth(kind), "%s: the header the server saw", kind)
	}
}
