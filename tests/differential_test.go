//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse/ssetest"
)

// conn is what the server answers to one connection attempt.
type conn struct {
	status   int      // 0 means 200
	ct       string   // "" means text/event-stream
	chunks   []string // written and flushed one by one; {{LEID}} becomes the request's Last-Event-ID
	location string   // a redirect target, with a 3xx status
	hold     bool     // keep the connection open after the chunks
	header   map[string]string
}

// scenario is a sequence of connections: attempt n gets conns[n], the last
// one repeating.
type scenario struct {
	name  string
	conns []conn
	opts  string // the harness options object, as JavaScript
}

const (
	done      = "event: done\ndata: .\n\n"
	fastRetry = "retry: 20\n\n"
)

// scenarioHandler serves scenarios at /s/{name}?run=R, counting attempts per
// run so that each implementation sees the same sequence.
type scenarioHandler struct {
	mu     sync.Mutex
	byName map[string]scenario
	counts map[string]int
	seen   map[string][]http.Header
}

func newScenarioHandler(list []scenario) *scenarioHandler {
	h := &scenarioHandler{byName: map[string]scenario{}, counts: map[string]int{}, seen: map[string][]http.Header{}}
	for _, s := range list {
		h.byName[s.name] = s
	}
	return h
}

func (h *scenarioHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/s/")
	key := name + "?" + r.URL.Query().Get("run")
	h.mu.Lock()
	sc, ok := h.byName[name]
	n := h.counts[key]
	h.counts[key]++
	h.seen[key] = append(h.seen[key], r.Header.Clone())
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	c := sc.conns[min(n, len(sc.conns)-1)]
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	if c.location != "" {
		http.Redirect(w, r, c.location+"?run="+r.URL.Query().Get("run"), c.status)
		return
	}
	ct := c.ct
	if ct == "" {
		ct = "text/event-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	status := c.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	w.(http.Flusher).Flush()
	chunks := make([]string, len(c.chunks))
	for i, ch := range c.chunks {
		chunks[i] = strings.ReplaceAll(ch, "{{LEID}}", r.Header.Get("Last-Event-ID"))
	}
	if writeChunks(w, chunks) != nil {
		return
	}
	if c.hold {
		<-r.Context().Done()
	}
}

// headers returns the request headers the server saw for a run.
func (h *scenarioHandler) headers(name, run string) []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[name+"?"+run]
}

// runBoth records a scenario with the browser's EventSource and with
// sseshim's and returns both logs.
func runBoth(t *testing.T, tb *tab, base string, sc scenario) (native, shim []string) {
	t.Helper()
	opts := sc.opts
	if opts == "" {
		opts = "{}"
	}
	url := base + "/s/" + sc.name
	native = eval[[]string](tb, fmt.Sprintf(`record('native', %q, %s)`, url+"?run=native", opts))
	shim = eval[[]string](tb, fmt.Sprintf(`record('shim', %q, %s)`, url+"?run=shim", opts))
	return native, shim
}

// specScenarios turns every conformance case into a stream: a first
// connection sets a short reconnection time, the second carries the case and
// ends (so an incomplete event at its end must be dropped), the third says done.
func specScenarios() []scenario {
	var out []scenario
	for i, c := range ssetest.Cases {
		out = append(out, scenario{
			name: fmt.Sprintf("case%d", i),
			conns: []conn{
				{chunks: []string{fastRetry}},
				{chunks: []string{c.In}},
				{chunks: []string{"data: after id={{LEID}}\n\n", done}},
			},
			opts: `{types: ['add', 'x', 'e', 'b', 'tëst', 'a\uFFFDb']}`,
		})
	}
	return out
}

func TestDifferentialSpecCases(t *testing.T) {
	scs := specScenarios()
	h := newScenarioHandler(scs)
	s := newServer(t)
	s.mux.Handle("/s/", h)
	tb := openHarness(t, s)
	for i, sc := range scs {
		c := ssetest.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			if c.ChromiumDeparts != "" {
				specOverChromium(t, tb, s.URL, sc, c)
				return
			}
			native, shim := runBoth(t, tb, s.URL, sc)
			require.Equal(t, native, shim, "input %q", c.In)
			require.Contains(t, native[len(native)-1], "end done", "the scenario ran to its end")
			// And both agree with the expected events of the case.
			n := 0
			for _, line := range native {
				if strings.HasPrefix(line, "open") || strings.HasPrefix(line, "error") ||
					strings.HasPrefix(line, "end") || strings.Contains(line, `"after id=`) {
					continue
				}
				n++
			}
			assert.Equal(t, len(c.Want), n, "events dispatched for %q: %v", c.In, native)
		})
	}
}

// specOverChromium runs a case where Chromium departs from the spec: the
// only such cases set a reconnection time too large for Chromium, which
// ignores it, and sseshim keeps it, so it does not reconnect.
func specOverChromium(t *testing.T, tb *tab, base string, sc scenario, c ssetest.Case) {
	url := base + "/s/" + sc.name
	native := eval[[]string](tb, fmt.Sprintf(`record('native', %q, {types: []})`, url+"?run=native"))
	t.Logf("Chromium departs from the spec (%s): %q", c.ChromiumDeparts, native)
	require.True(t, c.RetrySet && c.Retry == ssetest.MaxRetry, "the only departures are retry values")
	shim := eval[[]string](tb, fmt.Sprintf(`record('shim', %q, {timeout: 1500})`, url+"?run=shim"))
	assert.Equal(t, []string{"open rs=1", "error rs=0", "open rs=1", "error rs=0", "end timeout rs=2"}, shim,
		"the case's retry field leaves sseshim waiting (for ~292 years) after the second connection")
}

// TestDifferentialChunking splits streams at awkward places across reads.
func TestDifferentialChunking(t *testing.T) {
	scs := []scenario{
		{name: "cr-then-lf", conns: []conn{{chunks: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n" + done}}}},
		{name: "utf8-split", conns: []conn{{chunks: []string{"data: \xE2\x82", "\xAC and \xF0\x9F", "\x98\x80\n\n", done}}}},
		{name: "bom-split", conns: []conn{{chunks: []string{"\xEF", "\xBB", "\xBFdata: x\n\n", done}}}},
		{name: "field-split", conns: []conn{{chunks: []string{"da", "ta", ":", " y", "\n", "\n", "ev", "ent: done\ndata: .\n\n"}}}},
		{name: "invalid-split", conns: []conn{{chunks: []string{"data: \xE2", "A\xF0\x9F\n\n", done}}}},
	}
	h := newScenarioHandler(scs)
	s := newServer(t)
	s.mux.Handle("/s/", h)
	tb := openHarness(t, s)
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			native, shim := runBoth(t, tb, s.URL, sc)
			require.Equal(t, native, shim)
			require.Contains(t, native[len(native)-1], "end done")
		})
	}
}

func TestDifferentialConnection(t *testing.T) {
	scs := []scenario{
		{name: "reconnect-last-event-id", conns: []conn{
			{chunks: []string{fastRetry, "id: 1\ndata: one\n\n", "id: 2\ndata: two\n\nid: 3\ndata: partial"}},
			{chunks: []string{"data: resumed after {{LEID}}\n\n"}},
			{chunks: []string{"data: still {{LEID}}\n\n", done}},
		}},
		{name: "retry-field", conns: []conn{
			{chunks: []string{"retry: 40\ndata: a\n\n"}},
			{chunks: []string{"data: b\n\n", done}},
		}},
		{name: "bare-id-reset", conns: []conn{
			{chunks: []string{fastRetry, "id: 9\ndata: a\n\nid\ndata: b\n\n"}},
			{chunks: []string{"data: leid=[{{LEID}}]\n\n", done}},
		}},
		{name: "204-stops", conns: []conn{{status: 204}}},
		{name: "204-after-open", conns: []conn{{chunks: []string{fastRetry, "data: a\n\n"}}, {status: 204}}},
		{name: "500-stops", conns: []conn{{status: 500, chunks: []string{"data: no\n\n"}}}},
		{name: "404-stops", conns: []conn{{status: 404, ct: "text/html"}}},
		{name: "wrong-content-type", conns: []conn{{ct: "text/plain", chunks: []string{"data: no\n\n"}}}},
		{name: "content-type-params", conns: []conn{{ct: "Text/Event-Stream; charset=UTF-8", chunks: []string{"data: ok\n\n", done}}}},
		{name: "redirect", conns: []conn{{status: 307, location: "/s/redirected"}}},
		{name: "redirected", conns: []conn{{chunks: []string{"data: landed\n\n", done}}}},
		{name: "close-in-listener", opts: `{closeAfter: 1}`, conns: []conn{{chunks: []string{"data: 1\n\ndata: 2\n\ndata: 3\n\n"}, hold: true}}},
	}
	h := newScenarioHandler(scs)
	s := newServer(t)
	s.mux.Handle("/s/", h)
	tb := openHarness(t, s)
	for _, sc := range scs {
		if sc.name == "redirected" {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			native, shim := runBoth(t, tb, s.URL, sc)
			require.Equal(t, native, shim)
			last := native[len(native)-1]
			require.NotContains(t, last, "timeout", "the scenario must end by itself: %v", native)
		})
	}
	// The Last-Event-ID header both sent on reconnects.
	for _, run := range []string{"native", "shim"} {
		hs := h.headers("reconnect-last-event-id", run)
		require.Len(t, hs, 3, run)
		assert.Equal(t, "", hs[0].Get("Last-Event-ID"), run)
		assert.Equal(t, "2", hs[1].Get("Last-Event-ID"), run)
		assert.Equal(t, "2", hs[2].Get("Last-Event-ID"), run)
		assert.Equal(t, "text/event-stream", hs[0].Get("Accept"), run)
	}
}

// TestDifferentialCrossOrigin runs a stream on another origin, with and
// without credentials, with and without the CORS headers that allow it.
func TestDifferentialCrossOrigin(t *testing.T) {
	s := newServer(t)
	pageOrigin := s.URL
	cors := func(creds bool) map[string]string {
		h := map[string]string{"Access-Control-Allow-Origin": "*"}
		if creds {
			h = map[string]string{"Access-Control-Allow-Origin": pageOrigin, "Access-Control-Allow-Credentials": "true"}
		}
		return h
	}
	scs := []scenario{
		{name: "cors-anonymous", conns: []conn{{header: cors(false), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-credentials", opts: `{init: {withCredentials: true}}`, conns: []conn{{header: cors(true), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-credentials-wildcard", opts: `{init: {withCredentials: true}, timeout: 1500}`, conns: []conn{{header: cors(false), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-missing", opts: `{timeout: 1500}`, conns: []conn{{chunks: []string{"data: hi\n\n", done}}}},
	}
	h := newScenarioHandler(scs)
	other := httptest.NewServer(h)
	t.Cleanup(other.Close)
	// localhost and 127.0.0.1 are different origins for the same server.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	tb := openHarness(t, s)
	tb.expectConsole("CORS")
	tb.expectConsole("Access-Control")
	tb.expectConsole("net::ERR_FAILED")
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			native, shim := runBoth(t, tb, otherURL, sc)
			require.Equal(t, native, shim)
		})
	}
	// Both made the same stream requests in every scenario. (Where CORS
	// refuses, sseshim also sends one no-cors HEAD to tell a refusal from
	// an unreachable server; it does not ask for an event stream.)
	streams := func(hs []http.Header) int {
		n := 0
		for _, h := range hs {
			if h.Get("Accept") == "text/event-stream" {
				n++
			}
		}
		return n
	}
	for _, sc := range scs {
		native, shim := h.headers(sc.name, "native"), h.headers(sc.name, "shim")
		assert.Equal(t, streams(native), streams(shim), sc.name)
		assert.LessOrEqual(t, len(shim)-streams(shim), 1, "%s: at most one probe", sc.name)
	}
}
