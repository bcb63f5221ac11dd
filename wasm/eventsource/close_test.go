package eventsource

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
// has returned, the sink is not running and is never called again. (Not so
// for a PushBody's events, as Close says: the body here is never one.)
func TestCloseWaitsForASinkCallOnAnotherGoroutine(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	tr.pull = true
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
		tr.pull = true // Close does not wait for a PushBody's events
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
