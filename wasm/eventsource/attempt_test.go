package eventsource

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

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

func TestHeaderFuncBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	n := 0
	e := start(t, Config{
		Header: map[string]string{"X-Static": "s", "Authorization": "old"},
		HeaderFunc: func(Ctx) (map[string]string, error) {
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

func TestFutileNetworkErrorFails(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	e.tr.next(t)
	e.tr.fail(fmt.Errorf("%w: CORS", ErrFutile))
	e.rec.expect(t, "error network CLOSED")
	waitDone(t, e.src)
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

// A transport that would send a header's non-ASCII bytes re-encoded
// (WebKit's fetch) gets a non-ASCII last event ID in the query parameter,
// an ASCII one in the header as usual.
func TestNonASCIILastEventIDInQueryWhereHeadersAreUTF8(t *testing.T) {
	t.Parallel()
	e := start(t, Config{URL: "http://example.test/s", LastEventID: "é…", HeaderBytesAsUTF8: true})
	r := e.tr.next(t)
	assert.Equal(t, "http://example.test/s?lastEventId=%C3%A9%E2%80%A6", r.URL)
	assert.NotContains(t, r.Header, "Last-Event-ID")
	b := e.tr.answerSSE()
	e.rec.expect(t, "open sse")
	b.send("id: 9\ndata: a\n\n")
	e.rec.expect(t, `events message:"a"#9`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	r = e.tr.next(t)
	assert.Equal(t, "http://example.test/s", r.URL)
	assert.Equal(t, "9", r.Header["Last-Event-ID"])
	// With the fallback off, the header it is, whatever reaches the server.
	e = start(t, Config{LastEventID: "é", HeaderBytesAsUTF8: true, LastEventIDParam: "-"})
	r = e.tr.next(t)
	assert.Equal(t, "é", r.Header["Last-Event-ID"])
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

// Header names compare ASCII case-insensitively; values as they are.
func TestHeaderValue(t *testing.T) {
	h := map[string]string{"Authorization": "Bearer x", "accept": "text/event-stream"}
	v, ok := HeaderValue(h, "authorization")
	assert.True(t, ok)
	assert.Equal(t, "Bearer x", v)
	v, ok = HeaderValue(h, "ACCEPT")
	assert.True(t, ok)
	assert.Equal(t, "text/event-stream", v)
	_, ok = HeaderValue(h, "Authorizatio")
	assert.False(t, ok)
	_, ok = HeaderValue(nil, "Accept")
	assert.False(t, ok)
}
