package eventsource

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNDJSONEnvelopes(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Format: FormatNDJSON, RetryStatuses: nil})
	r := e.tr.next(t)
	assert.Contains(t, r.Header["Accept"], "application/x-ndjson")
	b := e.tr.answer(200, "application/json")
	e.rec.expect(t, "open ndjson")
	b.send(`{"result":{"event":{"eventId":"e1","eventType":"temperature","data":{"temperature":{"value":21.5}}}}}` + "\n" +
		`{"result":{"event":{"eventId":"p1","eventType":"ping","data":null}}}` + "\r\n\n" +
		`{"plain":true}` + "\nnot json\n")
	e.rec.expect(t, `events temperature:"{\"eventId\":\"e1\",\"eventType\":\"temperature\",\"data\":{\"temperature\":{\"value\":21.5}}}"#e1 ping message:"{\"plain\":true}"#p1`)
	assert.Equal(t, int64(1), e.src.Stats().Dropped, "the malformed line is counted")
	b.send(`{"error":{"code":408,"message":"closing stream","details":[]}}` + "\n" + `{"result":{"event":{"eventType":"late"}}}` + "\n")
	e.rec.expect(t, "error server CONNECTING code=408", "retrying 0s #1")
	r = e.tr.next(t)
	assert.Equal(t, "p1", r.Header["Last-Event-ID"])
	b = e.tr.answer(200, "application/x-ndjson")
	e.rec.expect(t, "open ndjson")
	b.send(`{"error":{"code":503,"message":"unavailable"}}`)
	b.end() // the last line has no LF: still a whole value
	e.rec.expect(t, "error server CONNECTING code=503", "retrying 3s #2")
	e.clk.Advance(3 * time.Second)
	e.tr.next(t)
	b = e.tr.answer(200, "application/x-ndjson")
	e.rec.expect(t, "open ndjson")
	b.send(`{"error":{"code":401,"message":"unauthenticated"}}` + "\n")
	e.rec.expect(t, "error server CLOSED code=401")
	waitDone(t, e.src)
}

func TestNDJSONCustomPaths(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Format: FormatNDJSON, EventTypePath: []string{"meta", "kind"}, IDPath: []string{"seq"}})
	e.tr.next(t)
	b := e.tr.answer(200, "application/x-ndjson")
	e.rec.expect(t, "open ndjson")
	b.send(`{"meta":{"kind":"reading"},"seq":7}` + "\n")
	e.rec.expect(t, `events reading:"{\"meta\":{\"kind\":\"reading\"},\"seq\":7}"#7`)
}

func TestAutoFormat(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Format: FormatAuto})
	r := e.tr.next(t)
	assert.Equal(t, "text/event-stream, application/x-ndjson;q=0.9, application/json;q=0.8", r.Header["Accept"])
	b := e.tr.answer(200, "application/x-ndjson")
	e.rec.expect(t, "open ndjson")
	b.send("{\"a\":1}\n")
	e.rec.expect(t, `events message:"{\"a\":1}"#`)
	_, b = e.endAndReconnect(t, b, 3*time.Second, 1)
	b.send("data: s\n\n")
	e.rec.expect(t, `events message:"s"#`)
}

// An NDJSON event type that is not a string, or that has escapes, must not be
// taken for the previous type by the no-allocation shortcut.
func TestNDJSONEventTypeNotTakenFromThePreviousOne(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	funcs, funcsLog := funcsRecorder()
	for _, sink := range []struct {
		Sink
		log chan string
	}{{rec, rec.log}, {funcs, funcsLog}} {
		clk, tr := newFakeClock(), newFakeTransport()
		src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr, Format: FormatNDJSON}, sink.Sink)
		require.NoError(t, err)
		tr.next(t)
		b := tr.answer(200, "application/x-ndjson")
		log := sink.log
		require.Equal(t, "open ndjson", <-log)
		b.send(`{"eventType":"234"}` + "\n" + `{"eventType":12345}` + "\n" +
			`{"eventType":"\\\\"}` + "\n" + `{"eventType":"\\"}` + "\n" +
			`{"eventType":"a"}` + "\n" + `{"eventType":"\u0061"}` + "\n")
		assert.Equal(t, `events 234:"{\"eventType\":\"234\"}"# message:"{\"eventType\":12345}"# `+
			`\\:"{\"eventType\":\"\\\\\\\\\"}"# \:"{\"eventType\":\"\\\\\"}"# `+
			`a:"{\"eventType\":\"a\"}"# a:"{\"eventType\":\"\\u0061\"}"#`, <-log)
		src.Close()
		waitDone(t, src)
	}
}

// Disruptive Technologies sends pings over text/event-stream as data-only
// frames holding a ping envelope: with the watchdog on, they are pings.
func TestEnvelopePingsOverSSE(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Ping: Ping{Interval: 10 * time.Second}})
	r := e.tr.next(t)
	assert.Contains(t, r.URL, "ping_interval=10s")
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.send(`data: {"result":{"event":{"eventId":"p1","targetName":"projects/P","eventType":"ping","data":null,"timestamp":"2026-01-01T00:00:00Z"}}}` + "\n\n" +
		`data: {"result":{"event":{"eventId":"e1","eventType":"touch","data":{"note":"\"ping\""}}}}` + "\n\n" +
		`data: {"eventType":"ping"}` + "\n\n" +
		`data: "ping"` + "\n\n")
	e.rec.expect(t, `events ping `+
		`message:"{\"result\":{\"event\":{\"eventId\":\"e1\",\"eventType\":\"touch\",\"data\":{\"note\":\"\\\"ping\\\"\"}}}}"# `+
		`message:"{\"eventType\":\"ping\"}"# message:"\"ping\""#`)
	assert.Equal(t, int64(1), e.src.Stats().Pings)
	assert.Equal(t, int64(3), e.src.Stats().Events)
	// Without the watchdog the frames are ordinary messages, as the spec says.
	e2 := start(t, Config{})
	e2.tr.next(t)
	b2 := e2.tr.answerSSE()
	e2.rec.expect(t, "open sse")
	b2.send(`data: {"result":{"event":{"eventType":"ping"}}}` + "\n\n")
	e2.rec.expect(t, `events message:"{\"result\":{\"event\":{\"eventType\":\"ping\"}}}"#`)
}

// The quick search before the envelope scan finds the quoted type wherever
// it is, not only where the type's name first occurs.
func TestHasQuoted(t *testing.T) {
	t.Parallel()
	assert.True(t, hasQuoted(`{"a":"xping","eventType":"ping"}`, "ping"))
	assert.True(t, hasQuoted(`"ping"`, "ping"))
	assert.False(t, hasQuoted(`{"a":"xping","b":pingx}`, "ping"))
	assert.False(t, hasQuoted(`ping"`, "ping"))
	assert.False(t, hasQuoted(`{"pin`, "ping"))
}

// A raw CR inside an NDJSON line is white space between JSON tokens: the
// event's data carries a space instead, as text/event-stream data has no CRs.
func TestNDJSONCRBecomesSpace(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Format: FormatNDJSON})
	e.tr.next(t)
	b := e.tr.answer(200, "application/x-ndjson")
	e.rec.expect(t, "open ndjson")
	b.send("{\"a\":\r1,\r\"b\":2}\n")
	e.rec.expect(t, `events message:"{\"a\": 1, \"b\":2}"#`)
}
