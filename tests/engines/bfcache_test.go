//go:build !js

package engines

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noRestore lists, by engine, why a page with an open sseshim source is not
// kept in the back/forward cache there although the probe (a page with
// nothing in flight) is: the page is reloaded instead, and the scenario
// asserts that reload (a new source, no Last-Event-ID).
var noRestore = map[string]string{
	"firefox": "Firefox keeps a page with a request in flight out of the cache (its BFCache " +
		"flag REQUEST; MOZ_LOG=SHIPBFCache:5 shows it) and sseshim's open stream is a fetch() " +
		"in flight; a page with Firefox's own EventSource open is not cached either",
}

// bfRuns is the server's side of the bfcache scenario: what the page under
// test reports (by beacon, in its own order) and the Last-Event-ID of each
// connection to its stream, by run.
type bfRuns struct {
	mu    sync.Mutex
	logs  map[string]map[int]string
	leids map[string][]string
	goNow chan struct{}
}

func (s *bfRuns) serveGo(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.goNow:
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	}
}

func (s *bfRuns) serveLog(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil {
		http.Error(w, "n", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	run := r.URL.Query().Get("run")
	if s.logs[run] == nil {
		s.logs[run] = map[int]string{}
	}
	s.logs[run][n] = string(body)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// serveStream counts the run's connections: each sends one event, its id
// the connection's number, asks for a minute's reconnection delay (which a
// restore must not wait out), and holds.
func (s *bfRuns) serveStream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	run := r.URL.Query().Get("run")
	s.leids[run] = append(s.leids[run], lastEventID(r))
	c := len(s.leids[run])
	s.mu.Unlock()
	f := sseStart(w)
	fmt.Fprintf(w, "retry: 60000\nid: %d\ndata: conn %d leid=%s\n\n", c, c, lastEventID(r))
	f.Flush()
	<-r.Context().Done()
}

// log returns the run's report in order up to its "done", and whether it
// has come that far.
func (s *bfRuns) log(run string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.logs[run]
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for i, k := range keys {
		if k != i {
			return out, false // a beacon still on its way
		}
		if m[k] == "done" {
			return out, true // what follows is the page leaving for the harness
		}
		out = append(out, m[k])
	}
	return out, false
}

// openBF navigates the harness to the page under test, waits for its report
// to end and for the harness to be back.
func openBF(t *testing.T, b *browser, s *bfRuns, page, run string) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	target := "/bf/" + page + sep + "run=" + url.QueryEscape(run)
	// The harness leaves only once the server has its answer to this job
	// (when /bf/go answers), and once its own engine has loaded: in Firefox
	// a request the harness leaves in flight stays with the tab's next page
	// and keeps that out of the cache.
	eval[any](t, b, `await sseshim.ready; fetch('/bf/go').then(() => { location.href = %q; }); return null`, target)
	select {
	case s.goNow <- struct{}{}:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: the harness did not ask to leave for %s", b.engine, page)
	}
	var got []string
	ok := assert.Eventually(t, func() bool {
		var done bool
		got, done = s.log(run)
		return done
	}, 20*time.Second, 50*time.Millisecond, "the page under test did not finish")
	if !ok {
		t.Logf("%s: its report so far: %q", b.engine, got)
	}
	assert.Equal(t, "/page/harness.html", eval[string](t, b, `return location.pathname`), "the harness is back")
	return got
}

// The back/forward cache (whatwg/html PR #12381, web-platform-tests PR
// #59568) in every engine, as tests/bfcache_test.go checks it in Chromium
// through its automation protocol: entering the cache aborts the
// connection; a restore reconnects at once, with Last-Event-ID, with no
// error event and no reconnection delay (the stream asks for a minute's),
// and open fires again; stats.reconnectReason says why.
var _ = scenario("bfcache", func(t *testing.T, b *browser) {
	s := &bfRuns{logs: map[string]map[int]string{}, leids: map[string][]string{}, goNow: make(chan struct{})}
	// The pages under test are served without no-store, which would keep
	// them out of the cache.
	b.mux.Handle("/bf/", http.StripPrefix("/bf/", http.FileServer(http.Dir("page"))))
	b.mux.HandleFunc("/bf/log", s.serveLog)
	b.mux.HandleFunc("/bf/stream", s.serveStream)
	b.mux.HandleFunc("/bf/go", s.serveGo)

	// The probe: a page with nothing in flight, left and gone back to. Every
	// engine restores it; were one not to, nothing else here would mean much.
	probe := openBF(t, b, s, "bf-probe.html", "probe")
	require.Equal(t, []string{"pageshow persisted=false", "pagehide persisted=true", "pageshow persisted=true"}, probe,
		"the probe is restored from the cache")

	got := openBF(t, b, s, "bf-a.html", "source")
	want := []string{"pageshow persisted=false reason=undefined", "open rs=1", "conn 1 leid="}
	// Firefox and WebKit abort the page's fetches as the navigation begins,
	// before pagehide: sseshim holds that failure's error and retrying from
	// beforeunload, and pagehide drops them (shim/lifecycle.js leaving).
	s.mu.Lock()
	leids := s.leids["source"]
	s.mu.Unlock()
	if why, ok := noRestore[b.engine]; ok {
		t.Logf("%s: the page is reloaded, not restored: %s", b.engine, why)
		// So is a page with the engine's own EventSource open: sseshim
		// does as the browser does. Were the browser's restored, this
		// entry would be stale.
		native := openBF(t, b, s, "bf-a.html?impl=native", "native")
		assert.Equal(t, []string{"pageshow persisted=false", "open rs=1", "conn 1 leid=",
			"pagehide persisted=false", "pageshow persisted=false", "open rs=1", "conn 2 leid="}, native,
			"the engine's own EventSource: reloaded as well")
		want = append(want, "pagehide persisted=false", "pageshow persisted=false reason=undefined", "open rs=1", "conn 2 leid=")
		assert.Equal(t, want, got, "reloaded: a new source")
		assert.Equal(t, []string{"", ""}, leids, "a new source, with no last event ID")
		return
	}
	want = append(want, "pagehide persisted=true", "pageshow persisted=true reason=restored", "open rs=1", "conn 2 leid=1")
	assert.Equal(t, want, got, "restored from the cache (not reloaded): no error, no retrying, no delay")
	assert.Equal(t, []string{"", "1"}, leids, "one connection before, one after, with the last event ID")
})
