//go:build !js

package engines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse/ssetest"
)

// departures lists, by engine and case name (a spec case's, or a
// connection case's), where an engine's own EventSource does not do what
// the spec says; there sseshim is held to the spec alone, and the test logs
// what the engine did.
var departures = map[string]map[string]string{
	"chromium": {
		"retry overflow clamped": retryOverflow,
	},
	"firefox": {
		"id with NUL ignored": "Firefox drops the whole event whose id field holds U+0000; " +
			"the spec ignores that field alone (#processField)",
		"id set without data still commits": idWithoutData,
		"id then a blank run":               idWithoutData,
		"NUL in data kept": "Firefox removes U+0000 from the data; the spec keeps every character " +
			"but at a line's end (#processField)",
	},
	"webkit": {
		"retry overflow clamped":            retryOverflow,
		"id set without data still commits": idWithoutData,
		// A connection case (the only departure among them).
		"bom-split": "WebKit does not strip a byte order mark that arrives split across reads " +
			"(UTF-8 decode strips it however the bytes arrive, #event-stream-interpretation), " +
			"so the first field's name is not data",
	},
}

const (
	retryOverflow = "it ignores a retry value too large for its integer type; " +
		"the spec accepts any run of ASCII digits (#processField)"
	idWithoutData = "it does not set the last event ID string from an event without data; " +
		"the spec sets it at every blank line (#dispatchMessage, step 1)"
)

// shape is what record logs of a spec-conformant event object
// (#dispatchMessage): its constructor is MessageEvent, it is a MessageEvent
// and an Event, does not bubble, cannot be canceled, has no source and no
// ports, and targets the source.
const shape = "true,true,true,false,false,true,0,true"

// message is the line record logs for one event.
func message(typ, data, id, origin string) string {
	return fmt.Sprintf("%s %s id=%s origin=%s shape=%s", typ, jsonString(data), jsonString(id), origin, shape)
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// specStream turns a conformance case into a stream. The case's connection
// ends after it (so an incomplete event at its end must be dropped), and
// the next reports the Last-Event-ID it was sent and says done. The case
// opens with a short reconnection time, or, where it tests the start of a
// stream (a byte order mark), a connection of its own sets it first.
func specStream(i int, c ssetest.Case) stream {
	cs := []conn{
		{chunks: []string{fastRetry + c.In}},
		{chunks: []string{"data: after id={{LEID}}\n\n", done}},
	}
	if startsStream(c) {
		cs = append([]conn{{chunks: []string{fastRetry}}}, conn{chunks: []string{c.In}}, cs[1])
	}
	return stream{name: fmt.Sprintf("case%d", i), conns: cs}
}

func startsStream(c ssetest.Case) bool {
	return strings.HasPrefix(c.In, "\xEF")
}

// specLog is what the spec says record logs for a case's stream.
func specLog(c ssetest.Case, origin string) []string {
	log := []string{"open rs=1"}
	if startsStream(c) {
		log = append(log, "error rs=0", "open rs=1")
	}
	for _, e := range c.Want {
		log = append(log, message(e.Type, e.Data, e.ID, origin))
	}
	log = append(log, "error rs=0")
	if c.RetrySet && c.Retry == ssetest.MaxRetry {
		// Reconnecting waits longer than the test: it ends on its timeout.
		return append(log, "end timeout")
	}
	// The server sees the header's value without the spaces at its ends
	// (HTTP's optional whitespace).
	sent := strings.Trim(c.LastID, " \t")
	return append(log, "open rs=1", message("message", "after id="+sent, c.LastID, origin), "end done")
}

var _ = scenario("spec-cases", func(t *testing.T, b *browser) {
	var list []stream
	for i, c := range ssetest.Cases {
		list = append(list, specStream(i, c))
	}
	b.mux.Handle("/spec/", newStreams(list))
	type run struct {
		URL     string `json:"url"`
		Timeout int    `json:"timeout"`
	}
	var runs []run
	for i, c := range ssetest.Cases {
		r := run{URL: b.srv.URL + "/spec/" + list[i].name, Timeout: 10000}
		if c.RetrySet && c.Retry == ssetest.MaxRetry {
			r.Timeout = 4000
		}
		runs = append(runs, r)
	}
	js, _ := json.Marshal(runs)
	// As many cases at a time as the engine's connections allow, each with
	// both implementations at once, beside the harness's poll.
	logs := eval[[][2][]string](t, b, `
const types = ['add', 'x', 'e', 'b', 'tëst', 'a\uFFFDb'];
return pool(%s, %d, (r) => Promise.all([
  record('native', r.url + '?run=native', {types, timeout: r.timeout}),
  record('shim', r.url + '?run=shim', {types, timeout: r.timeout}),
]));`, js, (b.conns-1)/2)
	require.Len(t, logs, len(ssetest.Cases))
	for i, c := range ssetest.Cases {
		native, shim := logs[i][0], logs[i][1]
		want := specLog(c, b.srv.URL)
		t.Run(c.Name, func(t *testing.T) {
			assert.Equal(t, want, shim, "sseshim, input %q", c.In)
			if why := departures[b.engine][c.Name]; why != "" {
				t.Logf("%s departs from the spec here (%s): %q", b.engine, why, native)
				assert.NotEqual(t, want, native, "%s no longer departs: drop the entry in departures", b.engine)
				return
			}
			assert.Equal(t, want, native, "%s's own EventSource, input %q", b.engine, c.In)
		})
	}
})

// Streams split at awkward places across reads, and what ends or redirects
// a connection: sseshim does what the engine's own EventSource does.
var _ = scenario("connection-cases", func(t *testing.T, b *browser) {
	list := []stream{
		{name: "cr-then-lf", conns: []conn{{chunks: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n" + done}}}},
		{name: "utf8-split", conns: []conn{{chunks: []string{"data: \xE2\x82", "\xAC and \xF0\x9F", "\x98\x80\n\n", done}}}},
		{name: "bom-split", conns: []conn{{chunks: []string{"\xEF", "\xBB", "\xBFdata: x\n\n", done}}}},
		{name: "field-split", conns: []conn{{chunks: []string{"da", "ta", ":", " y", "\n", "\n", "ev", "ent: done\ndata: .\n\n"}}}},
		{name: "invalid-split", conns: []conn{{chunks: []string{"data: \xE2", "A\xF0\x9F\n\n", done}}}},
		{name: "reconnect-last-event-id", conns: []conn{
			{chunks: []string{fastRetry, "id: 1\ndata: one\n\n", "id: 2\ndata: two\n\nid: 3\ndata: partial"}},
			{chunks: []string{"data: resumed after {{LEID}}\n\n"}},
			{chunks: []string{"data: still {{LEID}}\n\n", done}},
		}},
		{name: "204-stops", conns: []conn{{status: 204}}},
		{name: "204-after-open", conns: []conn{{chunks: []string{fastRetry, "data: a\n\n"}}, {status: 204}}},
		{name: "500-stops", conns: []conn{{status: 500, chunks: []string{"data: no\n\n"}}}},
		{name: "404-stops", conns: []conn{{status: 404, ct: "text/html"}}},
		{name: "wrong-content-type", conns: []conn{{ct: "text/plain", chunks: []string{"data: no\n\n"}}}},
		{name: "content-type-params", conns: []conn{{ct: "Text/Event-Stream; charset=UTF-8", chunks: []string{"data: ok\n\n", done}}}},
		{name: "redirect", conns: []conn{{status: 307, location: "redirected"}}},
		{name: "redirected", conns: []conn{{chunks: []string{"data: landed\n\n", done}}}},
	}
	h := newStreams(list)
	b.mux.Handle("/conn/", h)
	var names []string
	for _, s := range list {
		if s.name != "redirected" {
			names = append(names, s.name)
		}
	}
	js, _ := json.Marshal(names)
	logs := eval[[][2][]string](t, b, `
return pool(%s, 2, (name) => Promise.all([
  record('native', '/conn/' + name + '?run=native'),
  record('shim', '/conn/' + name + '?run=shim'),
]));`, js)
	require.Len(t, logs, len(names))
	for i, name := range names {
		native, shim := logs[i][0], logs[i][1]
		t.Run(name, func(t *testing.T) {
			if why := departures[b.engine][name]; why != "" {
				t.Logf("%s departs from the spec here (%s): %q", b.engine, why, native)
				// What the spec says, for the connection cases an engine departs on.
				specSays := map[string][]string{
					"bom-split": {"open rs=1", message("message", "x", "", b.srv.URL), "end done"},
				}
				want, ok := specSays[name]
				require.True(t, ok, "no spec log written for %s", name)
				assert.Equal(t, want, shim, "sseshim, as the spec says")
				assert.NotEqual(t, want, native, "%s no longer departs: drop the entry in departures", b.engine)
				return
			}
			assert.Equal(t, native, shim, "sseshim against %s's own EventSource", b.engine)
			assert.NotContains(t, native[len(native)-1], "timeout", "the stream must end by itself: %q", native)
		})
	}
	for _, run := range []string{"native", "shim"} {
		rs := h.requests("reconnect-last-event-id", run)
		require.Len(t, rs, 3, run)
		assert.Equal(t, "", rs[0].Header.Get("Last-Event-ID"), run)
		assert.Equal(t, "2", rs[1].Header.Get("Last-Event-ID"), run)
		assert.Equal(t, "2", rs[2].Header.Get("Last-Event-ID"), run)
		assert.Equal(t, "text/event-stream", rs[0].Header.Get("Accept"), run)
	}
})

// A stream on another origin, with and without credentials, with and
// without the CORS headers that allow it: sseshim does what the engine's
// own EventSource does, and asks for a stream as often.
var _ = scenario("cross-origin", func(t *testing.T, b *browser) {
	page := b.srv.URL
	cors := func(creds bool) map[string]string {
		if creds {
			return map[string]string{"Access-Control-Allow-Origin": page, "Access-Control-Allow-Credentials": "true"}
		}
		return map[string]string{"Access-Control-Allow-Origin": "*"}
	}
	list := []stream{
		{name: "cors-anonymous", conns: []conn{{header: cors(false), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-credentials", opts: `{init: {withCredentials: true}}`, conns: []conn{{header: cors(true), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-credentials-wildcard", opts: `{init: {withCredentials: true}, timeout: 3000}`, conns: []conn{{header: cors(false), chunks: []string{"data: hi\n\n", done}}}},
		{name: "cors-missing", opts: `{timeout: 3000}`, conns: []conn{{chunks: []string{"data: hi\n\n", done}}}},
		// Allowed, but not with a Last-Event-ID header (a preflight is
		// refused): sseshim reconnects with the ID in the query instead.
		{name: "cors-no-last-event-id", conns: []conn{
			{header: cors(false), chunks: []string{fastRetry + "id: 5\ndata: a\n\n"}},
			{header: cors(false), chunks: []string{"data: after {{LEID}}\n\n", done}},
		}},
	}
	h := newStreams(list)
	b.mux.Handle("/cors/", h)
	// localhost and 127.0.0.1 are two origins of one server.
	other := strings.Replace(page, "127.0.0.1", "localhost", 1)
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			url := other + "/cors/" + sc.name
			opts := sc.opts
			if opts == "" {
				opts = "{}"
			}
			logs := eval[[2][]string](t, b, `return [await record('native', %q, %s), await record('shim', %q, %s)];`,
				url+"?run=native", opts, url+"?run=shim", opts)
			if sc.name == "cors-no-last-event-id" {
				t.Logf("%s's own EventSource: %q", b.engine, logs[0])
				assert.Equal(t, []string{"open rs=1", message("message", "a", "5", other), "error rs=0", "error rs=0",
					"open rs=1", message("message", "after 5", "5", other), "end done"}, logs[1], "sseshim")
				return
			}
			assert.Equal(t, logs[0], logs[1], "sseshim against %s's own EventSource", b.engine)
			end := "end closed" // refused: the connection fails
			if sc.name == "cors-anonymous" || sc.name == "cors-credentials" {
				end = "end done"
			}
			assert.Equal(t, end, logs[0][len(logs[0])-1], "%q", logs[0])
			// Where CORS refuses, sseshim also sends one no-cors HEAD to tell a
			// refusal from an unreachable server: not a stream request.
			streams := func(rs []*http.Request) int {
				n := 0
				for _, r := range rs {
					if r.Header.Get("Accept") == "text/event-stream" {
						n++
					}
				}
				return n
			}
			native, shim := h.requests(sc.name, "native"), h.requests(sc.name, "shim")
			assert.Equal(t, streams(native), streams(shim), "stream requests")
			assert.LessOrEqual(t, len(shim)-streams(shim), 1, "at most one probe")
		})
	}
})
