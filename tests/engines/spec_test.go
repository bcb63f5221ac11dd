//go:build !js

package engines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse/ssetest"
)

// departures lists, by engine and case name, where an engine's own
// EventSource does not do what the spec says; there sseshim is held to the
// spec alone, and the test logs what the engine did.
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
	// Two cases at a time, each with both implementations at once: four
	// streams, and the harness's poll, within the six connections an
	// engine opens to one HTTP/1.1 server.
	logs := eval[[][2][]string](t, b, `
const types = ['add', 'x', 'e', 'b', 'tëst', 'a\uFFFDb'];
return pool(%s, 2, (r) => Promise.all([
  record('native', r.url + '?run=native', {types, timeout: r.timeout}),
  record('shim', r.url + '?run=shim', {types, timeout: r.timeout}),
]));`, js)
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
