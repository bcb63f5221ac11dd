package eventsource

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// A source that reads one stream (EventSource.fromReadableStream): its end
// fails the connection, and ResetBuffers discards an unfinished event while
// the last event ID and the reconnection time persist.
func TestOnceAndResetBuffers(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	rec := newRecorder()
	src, err := New(Config{URL: "about:event-stream", Once: true, Transport: tr, Clock: clk}, rec)
	require.NoError(t, err)
	tr.next(t)
	b := tr.answerSSE()
	rec.expect(t, "open sse")
	b.send("retry: 5000\nid: 42\ndata: first\n\ndata: unfinish")
	rec.expect(t, `events message:"first"#42`)
	src.ResetBuffers()
	b.send("ed\n\ndata: fresh\n\n") // "ed" is a line of its own now: an unknown field
	rec.expect(t, `events message:"fresh"#42`)
	assert.Equal(t, 5*time.Second, src.Stats().ReconnectionTime)
	b.end()
	rec.expect(t, "error end CLOSED")
	waitDone(t, src)
	_, err = New(Config{URL: "about:event-stream", Once: true}, nil)
	require.Error(t, err, "only with a transport that hands over the stream")
}

// The page's lifecycle: Pause ends the connection and makes no attempt,
// counting nothing; Reconnect resumes at once with Last-Event-ID and a
// reason; Reconnect on an open connection replaces it at once.
func TestPauseAndReconnect(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	rec := newRecorder()
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr}, rec)
	require.NoError(t, err)
	t.Cleanup(func() { src.Close(); <-src.Done() })
	tr.next(t)
	b := tr.answerSSE()
	rec.expect(t, "open sse")
	b.send("id: 5\ndata: a\n\n")
	rec.expect(t, `events message:"a"#5`)
	src.Pause()
	rec.expect(t, "error lifecycle CONNECTING")
	select {
	case r := <-tr.reqs:
		t.Fatalf("an attempt while paused: %v", r)
	case <-time.After(50 * time.Millisecond):
	}
	assert.Equal(t, 0, src.Stats().Failures, "a pause is no failure")
	src.Reconnect("online")
	rec.expect(t, "retrying 0s #1 online")
	r := tr.next(t)
	assert.Equal(t, "5", r.Header["Last-Event-ID"])
	b = tr.answerSSE()
	rec.expect(t, "open sse")
	src.Reconnect("wake")
	rec.expect(t, "error lifecycle CONNECTING", "retrying 0s #2 wake")
	tr.next(t)
	tr.answerSSE()
	rec.expect(t, "open sse")
	assert.Equal(t, 0, src.Stats().Failures)
}

// The page's lifecycle does not override a server's Retry-After: a
// Reconnect (online, wake) during one waits out what is left of it, and so
// does the end of a Pause.
func TestReconnectWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	rec := newRecorder()
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr, RetryStatuses: []int{503}}, rec)
	require.NoError(t, err)
	t.Cleanup(func() { src.Close(); <-src.Done() })
	tr.next(t)
	tr.resps <- fakeAnswer{resp: &Response{Status: 503, RetryAfter: "20", Body: newBody()}}
	rec.expect(t, "error status CONNECTING status=503", "retrying 20s #1")
	clk.Advance(5 * time.Second)
	src.Reconnect("online")
	rec.expect(t, "retrying 15s #1 online")
	src.Reconnect("wake") // changes nothing
	clk.Advance(14 * time.Second)
	select {
	case r := <-tr.reqs:
		t.Fatalf("an attempt before the Retry-After's end: %v", r)
	case <-time.After(50 * time.Millisecond):
	}
	clk.Advance(time.Second)
	tr.next(t)
	tr.resps <- fakeAnswer{resp: &Response{Status: 503, RetryAfter: "20", Body: newBody()}}
	rec.expect(t, "error status CONNECTING status=503", "retrying 20s #2")
	src.Pause()
	clk.Advance(10 * time.Second)
	src.Reconnect("online")
	rec.expect(t, "retrying 10s #2 online")
	clk.Advance(10 * time.Second)
	tr.next(t)
	tr.answerSSE()
	rec.expect(t, "open sse")
	// Without a Retry-After, a Reconnect is at once.
	src.Reconnect("wake")
	rec.expect(t, "error lifecycle CONNECTING", "retrying 0s #3 wake")
	tr.next(t)
}
