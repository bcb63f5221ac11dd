package eventsource

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	// A connection that carries an event but ends at once is failing too:
	// the count goes on.
	b := e.openSSE(t)
	b.send("data: x\n\n")
	e.rec.expect(t, `events message:"x"#`)
	assert.Equal(t, 6, e.src.Stats().Failures)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 10s #7")
	e.clk.Advance(10 * time.Second)
	// One that carries events and stays open HealthyAfter was healthy.
	b = e.openSSE(t)
	e.clk.Advance(DefaultHealthyAfter)
	b.send("data: y\n\n")
	e.rec.expect(t, `events message:"y"#`)
	assert.Equal(t, 0, e.src.Stats().Failures)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 1s #8")
}

// The server's retry field cannot defeat a Retry policy: "retry: 0" is
// raised to the floor, a huge value lowered to the ceiling; and a stream
// that connects, sends a little and closes reaches MaxAttempts.
func TestRetryFieldBoundedByThePolicy(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Retry: &Retry{Initial: time.Second, Max: 30 * time.Second, MaxAttempts: 3}})
	b := e.openSSE(t)
	b.send("retry: 0\ndata: a\n\n")
	e.rec.expect(t, `events message:"a"#`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 1s #1")
	e.clk.Advance(time.Second)
	b = e.openSSE(t)
	b.send("retry: 9999999999999\ndata: b\n\n")
	e.rec.expect(t, `events message:"b"#`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 30s #2")
	e.clk.Advance(30 * time.Second)
	b = e.openSSE(t)
	b.send("data: c\n\n")
	e.rec.expect(t, `events message:"c"#`)
	b.end()
	e.rec.expect(t, "error max-attempts CLOSED")
	waitDone(t, e.src)
}

// Without a policy the spec's reconnection time holds, but never a tight
// loop: "retry: 0" waits MinReconnectDelay.
func TestNoTightLoopWithoutPolicy(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	b := e.openSSE(t)
	b.send("retry: 0\ndata: a\n\n")
	e.rec.expect(t, `events message:"a"#`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 250ms #1")
	e.clk.Advance(249 * time.Millisecond)
	select {
	case <-e.tr.reqs:
		t.Fatal("reconnected before the floor")
	case <-time.After(20 * time.Millisecond):
	}
	e.clk.Advance(time.Millisecond)
	b = e.openSSE(t)
	b.send("retry: 400\ndata: b\n\n")
	e.rec.expect(t, `events message:"b"#`)
	b.end()
	e.rec.expect(t, "error end CONNECTING", "retrying 400ms #2")
}

// A server that accepts the connection but never answers: with a policy,
// the connect timeout fails the attempt and the source retries.
func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Retry: &Retry{Initial: time.Second}})
	e.tr.next(t) // never answered
	e.clk.Advance(DefaultConnectTimeout)
	e.rec.expect(t, "error timeout CONNECTING", "retrying 1s #1")
	e.clk.Advance(time.Second)
	b := e.openSSE(t)
	e.clk.Advance(DefaultConnectTimeout) // an open stream is the watchdog's business, not this one's
	b.send("data: x\n\n")
	e.rec.expect(t, `events message:"x"#`)
	// A header function that never returns is bounded too.
	e2 := start(t, Config{ConnectTimeout: 5 * time.Second, HeaderFunc: func(ctx Ctx) (map[string]string, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	require.Eventually(t, func() bool { return e2.clk.pending() == 1 }, 5*time.Second, time.Millisecond)
	e2.clk.Advance(5 * time.Second)
	e2.rec.expect(t, "error timeout CONNECTING", "retrying 3s #1")
	// Without a policy, no timeout: the spec's behaviour.
	e3 := start(t, Config{})
	e3.tr.next(t)
	assert.Equal(t, 0, e3.clk.pending())
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

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := InstantOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, 120*time.Second, parseRetryAfter("120", now))
	assert.Equal(t, 30*time.Second, parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("soon", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("-5", now))
	assert.Equal(t, 24*time.Hour, parseRetryAfter("99999999999", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Thu, 01 Foo 2026 00:00:30 GMT", now))
	assert.Equal(t, time.Duration(0), parseRetryAfter("Thu, 01 Jan 2026 25:00:30 GMT", now))
	assert.Equal(t, 90*time.Minute, parseRetryAfter("Thu, 01 Jan 2026 01:30:00 GMT", now))
	// delay-seconds is 1*DIGIT, surrounded by HTTP whitespace at most; a
	// number too large to hold is as long as a day, not malformed.
	assert.Equal(t, 5*time.Second, parseRetryAfter(" \t5\r\n", now))
	assert.Equal(t, 24*time.Hour, parseRetryAfter("99999999999999999999999999", now))
	for _, bad := range []string{"+5", "5s", "5 5", "\v5", "\u00a05", "", " "} {
		assert.Equal(t, time.Duration(0), parseRetryAfter(bad, now), "%q", bad)
	}
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

// powUint must round as math.Pow does, so that the delays stay the same to
// the nanosecond.
func TestPowUintIsMathPow(t *testing.T) {
	t.Parallel()
	for _, x := range []float64{1, 1.0000001, 1.1, 1.3, 1.5, 1.7, 2, 2.5, 3.7, 10, 1e10} {
		for n := range uint(2000) {
			if got, want := powUint(x, n), math.Pow(x, float64(n)); got != want {
				t.Fatalf("powUint(%v, %d) = %v, math.Pow says %v", x, n, got, want)
			}
		}
	}
}
