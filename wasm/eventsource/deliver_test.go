package eventsource

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDedupeAcrossReconnects(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Dedupe: 100})
	b := e.openSSE(t)
	b.send("id: 1\ndata: a\n\nid: 2\ndata: b\n\n")
	e.rec.expect(t, `events message:"a"#1 message:"b"#2`)
	_, b = e.endAndReconnect(t, b, 3*time.Second, 1)
	b.send("id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: b-tail\n\nid: 3\ndata: c\n\n")
	e.rec.expect(t, `events message:"c"#3`)
	assert.Equal(t, int64(3), e.src.Stats().Dropped)
}

func TestTooLargeClosesAfterDeliveringEarlierEvents(t *testing.T) {
	t.Parallel()
	e := start(t, Config{MaxEventSize: 32})
	b := e.openSSE(t)
	b.send("data: ok\n\ndata: " + string(make([]byte, 64)) + "\n\n")
	e.rec.expect(t, `events message:"ok"#`, "error too-large CLOSED")
	waitDone(t, e.src)
}

// SinkFuncs batches what the streaming Sink interface hands over: its
// OnEvents sees each chunk's events at once, as strings of their own with
// invalid UTF-8 replaced, just as a streaming sink that decodes them does.
func TestSinkFuncsBatchesAsAStreamingSink(t *testing.T) {
	t.Parallel()
	run := func(sink Sink, log chan string, cfg Config, ct string, chunks ...string) []string {
		clk, tr := newFakeClock(), newFakeTransport()
		cfg.URL, cfg.Clock, cfg.Transport = "http://x.test/", clk, tr
		src, err := New(cfg, sink)
		require.NoError(t, err)
		defer func() { src.Close(); <-src.Done() }()
		tr.next(t)
		b := tr.answer(200, ct)
		for _, c := range chunks {
			b.send(c)
		}
		b.end()
		var got []string
		for {
			l := <-log
			got = append(got, l)
			if strings.HasPrefix(l, "retrying") || strings.Contains(l, "CLOSED") {
				return got
			}
		}
	}
	cases := []struct {
		cfg    Config
		ct     string
		chunks []string
		want   []string
	}{
		{Config{Ping: Ping{Interval: time.Minute}, Dedupe: 10}, "text/event-stream",
			[]string{"id: 1\ndata: a\xffb\n\nevent: ping\ndata: p\n\nid: 1\ndata: dup\n\n", "id: 2\nevent: x\ndata: \xe2\x82", "\n\ndata: last\n\n"},
			[]string{"open sse", "events message:\"a\uFFFDb\"#1 ping message:\"dup\"#1",
				"events x:\"\uFFFD\"#2 message:\"last\"#2", "error end CONNECTING", "retrying 3s #1"}},
		{Config{Format: FormatNDJSON}, "application/x-ndjson",
			[]string{`{"result":{"event":{"eventId":"a","eventType":"t","data":"\u00e9"}}}` + "\n", `{"result":{"event":{"eventType":"ping"}}}` + "\n{\"x\":\"\xff\"}\n"},
			[]string{"open ndjson", `events t:"{\"eventId\":\"a\",\"eventType\":\"t\",\"data\":\"\\u00e9\"}"#a`,
				"events ping message:\"{\\\"x\\\":\\\"\uFFFD\\\"}\"#a", "error end CONNECTING", "retrying 3s #1"}},
	}
	for _, c := range cases {
		rec := newRecorder()
		streamed := run(rec, rec.log, c.cfg, c.ct, c.chunks...)
		funcs, log := funcsRecorder()
		batched := run(funcs, log, c.cfg, c.ct, c.chunks...)
		funcs, log = funcsRecorder()
		byPointer := run(&funcs, log, c.cfg, c.ct, c.chunks...)
		assert.Equal(t, c.want, streamed)
		assert.Equal(t, c.want, batched)
		assert.Equal(t, c.want, byPointer)
	}
}

// Without a sink the source runs as with one, and its stats count what it
// drops.
// embeddingSink embeds SinkFuncs and has an Event of its own.
type embeddingSink struct {
	SinkFuncs
	events *[]string
}

func (e embeddingSink) Event(ev Event) { *e.events = append(*e.events, strings.Clone(ev.Data)) } // Data is borrowed

// A sink type that embeds SinkFuncs is used as it is: New gives a batch of
// its own only to a SinkFuncs itself, and keeps an embedder's methods.
func TestSinkEmbeddingSinkFuncs(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	var got []string
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr, Once: true}, embeddingSink{events: &got})
	require.NoError(t, err)
	tr.next(t)
	b := tr.answer(200, "text/event-stream")
	b.send("data: a\n\ndata: b\n\n")
	b.end()
	waitDone(t, src)
	assert.Equal(t, []string{"a", "b"}, got)
}

func TestNilSink(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr, Once: true}, nil)
	require.NoError(t, err)
	tr.next(t)
	b := tr.answer(200, "text/event-stream")
	b.send("data: a\n\ndata: b\n\n")
	b.end()
	waitDone(t, src)
	st := src.Stats()
	assert.Equal(t, int64(2), st.Events)
	assert.Equal(t, Closed, st.State)
}
