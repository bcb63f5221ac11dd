//go:build !js

package tests

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swStreamEvents is what /sw/stream sends, in pieces that cut a multi-byte
// character in two, so that the decoder must carry it across chunks
// (#parsing-an-event-stream: the stream is UTF-8, decoded as a whole).
var swStreamEvents = []string{
	"id: 1\ndata: héllo wörld\n\nid: 2\ndata: 日本",
	"語 ✓ \xf0\x9f",
	"\x9a\x80\n\nevent: done\ndata: .\n\n",
}

// swStreamLog is what a worker logs of /sw/stream and of a 401: the events
// in order, then the failure (kind status, CLOSED).
var swStreamLog = []string{
	"open", "message héllo wörld #1", "message 日本語 ✓ 🚀 #2", "done", "error status 401 rs=2",
}

// swLog is what each service worker's scenario (testdata/serviceworker/
// scenario.js) must log: its first run in a service worker's global.
var swLog = append([]string{"run 1", "realm true"}, swStreamLog...)

// serveSW serves the service worker fixtures and the streams they open,
// and records each stream request's Authorization header by realm.
func serveSW(mux *http.ServeMux) func(realm string) string {
	mux.Handle("/sw/", http.StripPrefix("/sw/", noStore(http.FileServer(http.Dir(filepath.Join("testdata", "serviceworker"))))))
	stream, auth := authStream("realm")
	mux.HandleFunc("/sw/stream", stream)
	mux.HandleFunc("/sw/401", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no token", http.StatusUnauthorized)
	})
	return auth
}

// authStream sends swStreamEvents and holds, and records the Authorization
// header of each request by its query parameter key: auth(value) says what
// the request with key=value carried.
func authStream(key string) (stream http.HandlerFunc, auth func(value string) string) {
	var (
		mu   sync.Mutex
		seen = map[string]string{}
	)
	stream = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get(key)] = r.Header.Get("Authorization")
		mu.Unlock()
		sseStart(w)
		_ = writeChunks(w, swStreamEvents)
		<-r.Context().Done()
	}
	auth = func(value string) string {
		mu.Lock()
		defer mu.Unlock()
		return seen[value]
	}
	return stream, auth
}

// TestServiceWorker runs sseshim in a classic service worker
// (importScripts('/dist/sseshim.js') in its first evaluation) and in a
// module one (import from '/dist/index.js'): the engine loads there, a
// stream with an Authorization header delivers its events in order, and a
// 401 fails the source with kind http. 127.0.0.1 is a secure context, so
// the page may register them.
func TestServiceWorker(t *testing.T) {
	s := newServer(t)
	authOf := serveSW(s.mux)
	tb := newTab(t)
	tb.navigate(s.URL + "/sw/page.html")
	run := `(async () => ({
  classic: await runSW('/sw/classic.js', 'classic'),
  module: await runSW('/sw/module.js', 'module'),
  exec: await runSW('/sw/classic-exec.js', 'classic'),
}))()`
	check := func(when string, got map[string][]string) {
		for _, realm := range []string{"classic", "module", "exec"} {
			assert.Equal(t, swLog, got[realm], "%s, %s", realm, when)
			assert.Equal(t, "Bearer sw-"+realm, authOf(realm), "%s, %s: the header the server saw", realm, when)
		}
	}
	check("first start", eval[map[string][]string](tb, run))
	// The browser stops idle service workers; the next message starts the
	// worker again, from the scripts it stored when it was installed
	// (importScripts now refuses any other), and the engine loads anew.
	stopServiceWorkers(t, tb)
	check("restarted", eval[map[string][]string](tb, run))
}

// stopServiceWorkers stops every service worker of the browser, as the
// browser does with idle ones: their streams end with them.
func stopServiceWorkers(t *testing.T, tb *tab) {
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, serviceworker.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, serviceworker.StopAllWorkers, cdp.Empty{})
		return err
	})))
}
