package eventsource

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// openSSE takes the next request, answers it with an SSE body, and waits
// for the source to open.
func (e *env) openSSE(t *testing.T) *fakeBody {
	t.Helper()
	e.tr.next(t)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	return b
}

// endAndReconnect ends the open body, expects the spec's reconnect after
// delay, and answers the next request with a fresh SSE body.
func (e *env) endAndReconnect(t *testing.T, b *fakeBody, delay time.Duration, attempt int) (*Request, *fakeBody) {
	t.Helper()
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying "+delay.String()+" #"+strconv.Itoa(attempt))
	require.Equal(t, Connecting, e.src.ReadyState())
	e.clk.Advance(delay)
	req := e.tr.next(t)
	nb := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	return req, nb
}

func TestOpenEventsReconnectWithLastEventID(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	req := e.tr.next(t)
	assert.Equal(t, "text/event-stream", req.Header["Accept"])
	assert.NotContains(t, req.Header, "Last-Event-ID")
	assert.Equal(t, Connecting, e.src.ReadyState())

	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	assert.Equal(t, Open, e.src.ReadyState())
	b.send("id: 1\ndata: a\n\nevent: x\ndata: b\n\n")
	e.rec.expect(t, `events message:"a"#1 x:"b"#1`)
	b.send("id: 2\ndata: partial")
	req, b = e.endAndReconnect(t, b, 3*time.Second, 1)
	assert.Equal(t, "1", req.Header["Last-Event-ID"], "the incomplete event's id is not committed")
	b.send("data: c\n\n")
	e.rec.expect(t, `events message:"c"#1`)
	st := e.src.Stats()
	assert.Equal(t, int64(3), st.Events)
	assert.Equal(t, int64(1), st.Reconnects)
}

func TestServerRetrySetsReconnectionTime(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	b := e.openSSE(t)
	b.send("retry: 1500\n\n")
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 1.5s #1")
	e.clk.Advance(1499 * time.Millisecond)
	select {
	case <-e.tr.reqs:
		t.Fatal("reconnected early")
	default:
	}
	e.clk.Advance(time.Millisecond)
	e.tr.next(t)
}

func TestFailTheConnection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		ct     string
		want   string
	}{
		{204, "", "error status CLOSED status=204"},
		{500, "text/event-stream", "error status CLOSED status=500"},
		{404, "text/html", "error status CLOSED status=404"},
		{200, "text/plain", "error content-type CLOSED status=200"},
		{200, "", "error content-type CLOSED status=200"},
	}
	for _, tc := range cases {
		e := start(t, Config{})
		e.tr.next(t)
		e.tr.answer(tc.status, tc.ct)
		e.rec.expect(t, tc.want)
		waitDone(t, e.src) // no reconnect: the source stopped for good
		assert.Equal(t, Closed, e.src.ReadyState())
		e.rec.quiet(t)
	}
}

func TestContentTypeParametersAndCase(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.answer(200, "Text/Event-Stream; charset=utf-8")
	e.rec.expect(t, "open sse")
}

func TestRetryableStatusWithRetryAfter(t *testing.T) {
	t.Parallel()
	e := start(t, Config{RetryStatuses: []int{503, 408}})
	e.tr.next(t)
	e.tr.resps <- fakeAnswer{resp: &Response{Status: 503, RetryAfter: "20", Body: newBody()}}
	e.rec.expect(t, "error status CONNECTING status=503", "retrying 20s #1")
	e.clk.Advance(20 * time.Second)
	e.tr.next(t)
	e.tr.answer(408, "")
	e.rec.expect(t, "error status CONNECTING status=408", "retrying 0s #2")
	e.tr.next(t)
	e.tr.answer(500, "")
	e.rec.expect(t, "error status CLOSED status=500")
}

func TestNetworkErrorReconnects(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.fail(errors.New("connection refused"))
	e.rec.expect(t, "error network CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	b := e.openSSE(t)
	b.errs <- errors.New("connection reset")
	e.rec.expect(t, "error network CONNECTING", "retrying 3s #2")
}

func TestBackoffGrowsCapsAndResets(t *testing.T) {
	t.Parallel()
	e := start(t, Config{ReconnectionTime: time.Second, Retry: &Retry{Max: 10 * time.Second}})
	for i, want := range []string{"1s", "2s", "4s", "8s", "10s", "10s"} {
		e.tr.next(t)
		e.tr.fail(errors.New("down"))
		e.rec.expect(t, "error network CONNECTING", "retrying "+want+" #"+strconv.Itoa(i+1))
		e.clk.Advance(10 * time.Second)
	}
	b := e.openSSE(t)
	b.send("data: x\n\n")
	e.rec.expect(t, `events message:"x"#`)
	assert.Equal(t, 0, e.src.Stats().Failures)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 1s #7")
}

func TestJitter(t *testing.T) {
	t.Parallel()
	e := start(t, Config{ReconnectionTime: 4 * time.Second,
		Retry: &Retry{Max: time.Minute, Jitter: 0.5, Random: func() float64 { return 0.5 }}})
	e.tr.next(t)
	e.tr.fail(errors.New("down"))
	e.rec.expect(t, "error network CONNECTING", "retrying 3s #1")
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()
	e := start(t, Config{ReconnectionTime: time.Second, Retry: &Retry{Max: time.Minute, MaxAttempts: 3}})
	e.tr.next(t)
	e.tr.fail(errors.New("down"))
	e.rec.expect(t, "error network CONNECTING", "retrying 1s #1")
	e.clk.Advance(time.Second)
	e.tr.next(t)
	e.tr.answer(200, "text/html")
	e.rec.expect(t, "error content-type CLOSED status=200")
	waitDone(t, e.src)

	e = start(t, Config{ReconnectionTime: time.Second, Retry: &Retry{Max: time.Minute, MaxAttempts: 2}})
	e.tr.next(t)
	e.tr.fail(errors.New("down"))
	e.rec.expect(t, "error network CONNECTING", "retrying 1s #1")
	e.clk.Advance(time.Second)
	e.tr.next(t)
	e.tr.fail(errors.New("down"))
	e.rec.expect(t, "error max-attempts CLOSED")
	waitDone(t, e.src)
	assert.Contains(t, e.src.Stats().LastError, "2 consecutive failed attempts")
}

func TestImmediateReconnectAfterLongHealthyConnection(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Retry: &Retry{Max: time.Minute, ImmediateAfter: time.Hour}})
	b := e.openSSE(t)
	e.clk.Advance(time.Hour)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 0s #1")
	e.tr.next(t)
	b = e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.end() // a short connection: the usual delay
	e.rec.expect(t, "error end CONNECTING", "retrying 3s #2")
}

func TestCloseDuringConnect(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.src.Close()
	waitDone(t, e.src)
	assert.Equal(t, Closed, e.src.ReadyState())
	e.rec.quiet(t)
}

func TestCloseWhileOpen(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	b := e.openSSE(t)
	e.src.Close()
	waitDone(t, e.src)
	select {
	case <-b.closed:
	default:
		t.Fatal("the body was not closed")
	}
	e.rec.quiet(t)
	e.src.Close() // twice is fine
}

func TestCloseWhileWaitingToRetry(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.fail(errors.New("down"))
	e.rec.expect(t, "error network CONNECTING", "retrying 3s #1")
	require.Equal(t, 1, e.clk.pending(), "the reconnect is scheduled")
	e.src.Close()
	waitDone(t, e.src)
	assert.Equal(t, 0, e.clk.pending(), "Close cancels the scheduled reconnect")
	e.rec.quiet(t)
}

func TestCloseFromInsideSink(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	var src *Source
	got := make(chan []Event, 10)
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr}, SinkFuncs{
		OnEvents: func(evs []Event) {
			got <- append([]Event(nil), evs...)
			src.Close()
		},
		OnError: func(*Error, ReadyState) { t.Error("no error after close") },
	})
	require.NoError(t, err)
	tr.next(t)
	b := tr.answerSSE()
	b.send("data: 1\n\n")
	b.send("data: 2\n\n")
	waitDone(t, src)
	assert.Len(t, <-got, 1)
	assert.Empty(t, got)
}

func TestHeaderFuncBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	n := 0
	e := start(t, Config{
		Header: map[string]string{"X-Static": "s", "Authorization": "old"},
		HeaderFunc: func(context.Context) (map[string]string, error) {
			n++
			if n == 2 {
				return nil, errors.New("token service down")
			}
			return map[string]string{"Authorization": "Bearer t" + strconv.Itoa(n)}, nil
		},
	})
	r := e.tr.next(t)
	assert.Equal(t, "Bearer t1", r.Header["Authorization"])
	assert.Equal(t, "s", r.Header["X-Static"])
	e.tr.answerSSE().end()
	e.rec.expect(t, "open sse", "error end CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	e.rec.expect(t, "error headers CONNECTING", "retrying 3s #2")
	e.clk.Advance(3 * time.Second)
	r = e.tr.next(t)
	assert.Equal(t, "Bearer t3", r.Header["Authorization"])
}

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

func TestWatchdog(t *testing.T) {
	t.Parallel()
	e := start(t, Config{URL: "http://x.test/s?a=1", Ping: Ping{Interval: 10 * time.Second}})
	r := e.tr.next(t)
	assert.Equal(t, "http://x.test/s?a=1&ping_interval=10s", r.URL)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	e.clk.Advance(8 * time.Second)
	b.send("event: ping\ndata: x\n\n")
	e.rec.expect(t, "events ping")
	e.clk.Advance(11 * time.Second) // 19 s since open, 11 s since the ping: alive
	b.send("data: m\n\n")
	e.rec.expect(t, `events message:"m"#`)
	e.clk.Advance(12 * time.Second)
	e.rec.expect(t, "error watchdog CONNECTING", "retrying 3s #1")
	assert.Equal(t, int64(1), e.src.Stats().Pings)
}

func TestWatchdogRequireEvent(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Ping: Ping{Interval: 5 * time.Second, Leeway: time.Second, RequireEvent: true, Dispatch: true, Param: "-"}})
	r := e.tr.next(t)
	assert.Equal(t, "http://example.test/s", r.URL)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	e.clk.Advance(3 * time.Second)
	b.send("event: ping\ndata: 1\n\n")
	e.rec.expect(t, `events ping:"1"#`)
	e.clk.Advance(3 * time.Second)
	b.send("data: not a ping\n\n")
	e.rec.expect(t, `events message:"not a ping"#`)
	e.clk.Advance(3 * time.Second) // 6 s since the ping
	e.rec.expect(t, "error watchdog CONNECTING", "retrying 3s #1")
}

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

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	bad := []Config{
		{URL: ""},
		{URL: "/relative"},
		{URL: "ftp://x/"},
		{URL: "http://x/", Format: "xml"},
		{URL: "http://x/", Retry: &Retry{Factor: 0.5}},
		{URL: "http://x/", Retry: &Retry{Jitter: 2}},
		{URL: "http://x/", Retry: &Retry{MaxAttempts: -1}},
		{URL: "http://x/", Ping: Ping{Interval: -time.Second}},
		{URL: "http://x/", ReconnectionTime: -1},
	}
	for _, c := range bad {
		_, err := New(c, nil)
		var e *Error
		require.ErrorAs(t, err, &e, "%+v", c)
		assert.Equal(t, KindConfig, e.Kind)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, 120*time.Second, parseRetryAfter("120", now))
	assert.Equal(t, 30*time.Second, parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("soon", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("-5", now))
	assert.Equal(t, 24*time.Hour, parseRetryAfter("99999999999", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Thu, 01 Foo 2026 00:00:30 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Thu, 01 Jan 2026 25:00:30 GMT", now))
	assert.Equal(t, 90*time.Minute, parseRetryAfter("Thu, 01 Jan 2026 01:30:00 GMT", now))
}

func TestAddQuery(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "http://h/p?ping_interval=10s", addQuery("http://h/p", "ping_interval", "10s"))
	assert.Equal(t, "http://h/p?a=1&ping_interval=10s#f", addQuery("http://h/p?a=1#f", "ping_interval", "10s"))
	assert.Equal(t, "http://h/p?x=1500ms", addQuery("http://h/p?", "x", "1500ms"))
	assert.Equal(t, "http://h/?a%20b=%26", addQuery("http://h/", "a b", "&"))
	assert.True(t, isHTTPURL("HTTPS://example.com"))
	assert.False(t, isHTTPURL("http:///path"))
	assert.False(t, isHTTPURL("http://a b/"))
}

func TestFutileNetworkErrorFails(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CLOSED")
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
