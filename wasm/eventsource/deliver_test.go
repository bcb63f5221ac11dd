package eventsource

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
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

// writerRecorder takes events through the EventWriter path: borrowed data,
// copied and decoded here as a WHATWG UTF-8 decoder would.
type writerRecorder struct {
	*recorder
	pending []Event
}

func (w *writerRecorder) WriteEvent(ev Event) {
	ev.Data = string(sse.ToValidUTF8([]byte(ev.Data)))
	w.pending = append(w.pending, ev)
}

func (w *writerRecorder) FlushEvents() {
	w.recorder.Events(w.pending)
	w.pending = nil
}

func (w *writerRecorder) DiscardEvents() { w.pending = nil }

func TestEventWriterPathMatchesBatches(t *testing.T) {
	t.Parallel()
	run := func(sink Sink, cfg Config, ct string, chunks ...string) []string {
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
		var log []string
		rec := sink.(interface{ log() chan string }).log()
		for {
			l := <-rec
			log = append(log, l)
			if strings.HasPrefix(l, "retrying") || strings.Contains(l, "CLOSED") {
				return log
			}
		}
	}
	cases := []struct {
		cfg    Config
		ct     string
		chunks []string
	}{
		{Config{Ping: Ping{Interval: time.Minute}, Dedupe: 10}, "text/event-stream",
			[]string{"id: 1\ndata: a\xffb\n\nevent: ping\ndata: p\n\nid: 1\ndata: dup\n\n", "id: 2\nevent: x\ndata: \xe2\x82", "\n\ndata: last\n\n"}},
		{Config{Format: FormatNDJSON}, "application/x-ndjson",
			[]string{`{"result":{"event":{"eventId":"a","eventType":"t","data":"\u00e9"}}}` + "\n", `{"result":{"event":{"eventType":"ping"}}}` + "\n{\"x\":\"\xff\"}\n"}},
	}
	for _, c := range cases {
		batches := run(logSink{newRecorder()}, c.cfg, c.ct, c.chunks...)
		written := run(logWriter{&writerRecorder{recorder: newRecorder()}}, c.cfg, c.ct, c.chunks...)
		assert.Equal(t, batches, written)
		assert.Contains(t, strings.Join(batches, "\n"), "events")
	}
}

// logSink and logWriter expose the recorder's log to the test above.
type logSink struct{ *recorder }

func (l logSink) log() chan string { return l.recorder.log }

type logWriter struct{ *writerRecorder }

func (l logWriter) log() chan string { return l.writerRecorder.recorder.log }
