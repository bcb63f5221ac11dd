package eventsource

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An NDJSON event type that is not a string, or that has escapes, must not be
// taken for the previous type by the no-allocation shortcut.
func TestNDJSONEventTypeNotTakenFromThePreviousOne(t *testing.T) {
	t.Parallel()
	for _, sink := range []func() Sink{
		func() Sink { return logSink{newRecorder()} },
		func() Sink { return logWriter{&writerRecorder{recorder: newRecorder()}} },
	} {
		clk, tr := newFakeClock(), newFakeTransport()
		rec := sink()
		src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr, Format: FormatNDJSON}, rec)
		require.NoError(t, err)
		tr.next(t)
		b := tr.answer(200, "application/x-ndjson")
		log := rec.(interface{ log() chan string }).log()
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

// blockingSink holds every Events call until released.
type blockingSink struct {
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func (b *blockingSink) Opened(OpenInfo) {}
func (b *blockingSink) Events([]Event) {
	b.entered <- struct{}{}
	<-b.release
	b.returned.Store(true)
}
func (b *blockingSink) Failed(*Error, ReadyState)   {}
func (b *blockingSink) Retrying(time.Duration, int) {}

// Close on another goroutine while a sink call runs waits for it: once Close
// has returned, the sink is not running and is never called again.
func TestCloseWaitsForASinkCallOnAnotherGoroutine(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	sink := &blockingSink{entered: make(chan struct{}), release: make(chan struct{})}
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr}, sink)
	require.NoError(t, err)
	tr.next(t)
	b := tr.answerSSE()
	b.send("data: 1\n\n")
	<-sink.entered
	closed := make(chan struct{})
	go func() { src.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while the sink was still delivering")
	case <-time.After(50 * time.Millisecond):
	}
	close(sink.release)
	<-closed
	assert.True(t, sink.returned.Load())
	waitDone(t, src)
}

// countingSink fails the test when a call starts after Close has returned.
type countingSink struct {
	t           *testing.T
	closeReturn atomic.Bool
	calls       atomic.Int64
}

func (c *countingSink) check() {
	c.calls.Add(1)
	if c.closeReturn.Load() {
		c.t.Error("sink called after Close returned")
	}
}
func (c *countingSink) Opened(OpenInfo)             { c.check() }
func (c *countingSink) Events([]Event)              { c.check() }
func (c *countingSink) Failed(*Error, ReadyState)   { c.check() }
func (c *countingSink) Retrying(time.Duration, int) { c.check() }

// Nothing is delivered after Close returns, whenever another goroutine calls
// it: a stress run over the moments a chunk can be in flight (run with -race).
func TestNothingDeliveredAfterCloseReturns(t *testing.T) {
	t.Parallel()
	for i := 0; i < 200; i++ {
		clk, tr := newFakeClock(), newFakeTransport()
		sink := &countingSink{t: t}
		src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr}, sink)
		require.NoError(t, err)
		tr.next(t)
		b := tr.answerSSE()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				select {
				case b.chunks <- []byte("data: x\n\n"):
				case <-b.closed:
					return
				}
			}
		}()
		for sink.calls.Load() < int64(1+i%10) {
			time.Sleep(10 * time.Microsecond)
		}
		src.Close()
		sink.closeReturn.Store(true)
		waitDone(t, src)
		wg.Wait()
	}
}

// A cross-origin server that allows the stream but not the Last-Event-ID
// header: the reconnect is refused by CORS (futile), so the source retries
// at once with the id in a query parameter, and keeps that choice.
func TestLastEventIDInQueryWhenTheHeaderIsRefused(t *testing.T) {
	t.Parallel()
	e := start(t, Config{URL: "http://example.test/s?x=1"})
	e.tr.next(t)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.send("id: 7\ndata: a\n\n")
	e.rec.expect(t, `events message:"a"#7`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	r := e.tr.next(t)
	assert.Equal(t, "7", r.Header["Last-Event-ID"])
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CONNECTING", "retrying 0s #2")
	assert.Contains(t, e.src.Stats().LastError, "query parameter lastEventId")
	r = e.tr.next(t)
	assert.Equal(t, "http://example.test/s?x=1&lastEventId=7", r.URL)
	assert.NotContains(t, r.Header, "Last-Event-ID")
	b = e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.send("id: 8\ndata: b\n\n")
	e.rec.expect(t, `events message:"b"#8`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 3s #3")
	e.clk.Advance(3 * time.Second)
	r = e.tr.next(t)
	assert.Equal(t, "http://example.test/s?x=1&lastEventId=8", r.URL, "the choice is kept")
	// Refused even so: reconnecting is futile.
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
}

func TestLastEventIDParamOffOrNeverAllowed(t *testing.T) {
	t.Parallel()
	// Off: a refused reconnect fails the connection, as before.
	e := start(t, Config{LastEventIDParam: "-", LastEventID: "5"})
	e.tr.next(t)
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	e.tr.next(t)
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
	// A first request refused with the header: the server never allowed
	// this source, so the header is not to blame.
	e = start(t, Config{LastEventID: "5"})
	r := e.tr.next(t)
	assert.Equal(t, "5", r.Header["Last-Event-ID"])
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
}

// A fetch the user agent aborted (window.stop()) fails the connection.
func TestAbortedByTheUserAgentFails(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.fail(fmt.Errorf("%w: AbortError", ErrAborted))
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
	e = start(t, Config{})
	b := e.openSSE(t)
	b.errs <- fmt.Errorf("%w: AbortError", ErrAborted)
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
}

func TestConfigDefaultsResolvedOnce(t *testing.T) {
	t.Parallel()
	c, err := Config{URL: "http://x/", Retry: &Retry{}}.resolve()
	require.NoError(t, err)
	assert.Equal(t, Retry{Max: DefaultRetryMax, Factor: DefaultRetryFactor, ImmediateAfter: DefaultImmediateAfter}, *c.Retry)
	assert.Equal(t, DefaultReconnectionTime, c.ReconnectionTime)
	assert.Equal(t, DefaultMaxEventSize, c.MaxEventSize)
	assert.Equal(t, Ping{Leeway: DefaultPingLeeway, Param: DefaultPingParam, EventType: DefaultPingEventType}, c.Ping)
	assert.Equal(t, DefaultLastEventIDParam, c.LastEventIDParam)
	c, err = Config{URL: "http://x/", Retry: &Retry{Initial: time.Second, ImmediateAfter: Off}}.resolve()
	require.NoError(t, err)
	assert.Equal(t, time.Second, c.ReconnectionTime)
	assert.Equal(t, Off, c.Retry.ImmediateAfter)
	c, err = Config{URL: "http://x/"}.resolve()
	require.NoError(t, err)
	assert.Nil(t, c.Retry, "no policy: the spec's reconnection")
	// The caller's policy is not changed.
	r := &Retry{}
	_, err = Config{URL: "http://x/", Retry: r}.resolve()
	require.NoError(t, err)
	assert.Equal(t, Retry{}, *r)
}

// With a retry policy, a connection that lasted DefaultImmediateAfter and
// ended cleanly reconnects at once; Off turns that off.
func TestImmediateAfterDefaultAndOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		retry *Retry
		want  string
	}{
		{&Retry{}, "retrying 0s #1"},
		{&Retry{ImmediateAfter: Off}, "retrying 3s #1"},
		{nil, "retrying 3s #1"},
	} {
		e := start(t, Config{Retry: tc.retry})
		b := e.openSSE(t)
		e.clk.Advance(DefaultImmediateAfter)
		b.end()
		e.rec.expect(t, "error end CONNECTING", tc.want)
	}
}
