//go:build !js

package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Server is a test's own HTTP server: dist/ at /dist/, the harness page, and
// whatever handlers the test adds to Mux.
type Server struct {
	*httptest.Server
	Mux *http.ServeMux
}

// NewServer starts a Server, closed when the test ends.
func NewServer(t *testing.T) *Server {
	t.Helper()
	s := &Server{Mux: http.NewServeMux()}
	s.Mux.Handle("/dist/", http.StripPrefix("/dist/", NoStore(http.FileServer(http.Dir(DistDir)))))
	s.Mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, harnessPage)
	})
	s.Mux.HandleFunc("/harness.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, harnessJS)
	})
	s.Server = httptest.NewServer(s.Mux)
	t.Cleanup(s.Close)
	return s
}

// NoStore serves h uncached, so that every test loads the current build.
func NoStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// StaticDir serves a folder as a real host serves it: cacheable, and
// .wasm from its brotli copy to clients that accept it.
func StaticDir(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		name := filepath.Join(dir, filepath.Clean("/"+r.URL.Path))
		if strings.HasSuffix(name, ".wasm") && strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
			if _, err := os.Stat(name + ".br"); err == nil {
				w.Header().Set("Content-Encoding", "br")
				w.Header().Set("Content-Type", "application/wasm")
				http.ServeFile(w, r, name+".br")
				return
			}
		}
		http.ServeFile(w, r, name)
	})
}

// CrossOriginIsolated makes a page cross-origin isolated (COOP and COEP):
// its performance.now() then counts in 5 µs steps rather than 100 µs.
func CrossOriginIsolated(w http.ResponseWriter) {
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
	w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
}

// ABDirs is the two builds a comparison runs: the folders in the
// environment variables prefix+"A" and prefix+"B", each dist/ by default.
func ABDirs(prefix string) map[string]string {
	dirs := map[string]string{"A": DistDir, "B": DistDir}
	for k := range dirs {
		if d := os.Getenv(prefix + k); d != "" {
			dirs[k] = d
		}
	}
	return dirs
}

// OpenHarness loads the harness page in a new tab and waits for the engine.
func OpenHarness(t *testing.T, s *Server) *Tab {
	tb := NewTab(t)
	tb.Navigate(s.URL + "/page.html")
	Eval[bool](tb, `sseshim.ready.then(() => true)`)
	return tb
}

const harnessPage = `<!doctype html>
<meta charset="utf-8"><title>sseshim harness</title>
<script>window.NativeEventSource = window.EventSource;</script>
<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script src="/harness.js"></script>
`

// harnessJS records what an EventSource does as lines of text, the same way
// for both implementations, until the stream sends a "done" event, the source
// closes for good, or a time limit passes.
const harnessJS = `
window.record = (impl, url, opts = {}) => new Promise((resolve) => {
  const ES = impl === 'native' ? window.NativeEventSource : sseshim.EventSource;
  const log = [];
  let es;
  try {
    es = new ES(url, opts.init);
  } catch (e) {
    resolve(['throws ' + e.name]);
    return;
  }
  let messages = 0;
  let finished = false;
  const finish = (why) => {
    if (finished) return;
    finished = true;
    es.close();
    log.push('end ' + why + ' rs=' + es.readyState);
    resolve(log);
  };
  // shape: what a page can see of the event object beside its data, the
  // same for both (but isTrusted: a page cannot make a trusted event); its
  // constructor is the realm's MessageEvent (#dispatchMessage).
  const shape = (e) => [e instanceof MessageEvent, e.constructor === MessageEvent, Object.prototype.toString.call(e), e.bubbles, e.cancelable,
    e.composed, e.source === null, e.ports.length, e.eventPhase, e.target === es, e.currentTarget === es].join();
  const onMsg = (e) => {
    log.push(e.type + ' ' + JSON.stringify(e.data) + ' id=' + JSON.stringify(e.lastEventId) +
      ' rs=' + es.readyState + ' origin=' + e.origin + ' shape=' + shape(e));
    messages++;
    if (opts.closeAfter && messages >= opts.closeAfter) {
      es.close();
      log.push('closed-in-listener rs=' + es.readyState);
      setTimeout(() => finish('after-close'), opts.settle || 300);
    }
  };
  es.onopen = () => log.push('open rs=' + es.readyState);
  es.onmessage = onMsg;
  for (const t of opts.types || []) es.addEventListener(t, onMsg);
  es.addEventListener('done', () => finish('done'));
  es.onerror = () => {
    log.push('error rs=' + es.readyState);
    if (es.readyState === 2) finish('closed');
  };
  setTimeout(() => finish('timeout'), opts.timeout || 8000);
});
`

// ServeABFrames serves two builds side by side: base+"/top.html" is one
// cross-origin isolated page holding a frame per build, whose id is the
// build's key in dirs (A, B), so that one visible tab runs both (a hidden
// tab's timers are throttled). Each build's folder is served at
// base+key+"/", and its frame's HTML is page(that prefix).
func ServeABFrames(mux *http.ServeMux, base string, dirs map[string]string, page func(prefix string) string) {
	html := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			CrossOriginIsolated(w)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		}
	}
	top := "<!doctype html>"
	for _, k := range []string{"A", "B"} {
		prefix := base + k + "/"
		mux.Handle(prefix, http.StripPrefix(prefix[:len(prefix)-1], StaticDir(dirs[k])))
		mux.HandleFunc(base+"/page"+k+".html", html(page(prefix)))
		top += fmt.Sprintf(`<iframe id="%s" src="%s/page%s.html"></iframe>`, k, base, k)
	}
	mux.HandleFunc(base+"/top.html", html(top))
}
