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

// streamSink implements the Sink methods that deliver nothing, so that the
// sinks below need only say what a delivering call does.
type streamSink struct{}

func (streamSink) Event(Event) {}
func (streamSink) Discard()    {}

// blockingSink holds every Flush until released.
type blockingSink struct {
	streamSink
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func (b *blockingSink) Opened(OpenInfo) {}
func (b *blockingSink) Flush(string, time.Duration) {
	b.entered <- struct{}{}
	<-b.release
	b.returned.Store(true)
}
func (b *blockingSink) Failed(*Error, ReadyState)           {}
func (b *blockingSink) Retrying(time.Duration, int, string) {}

// Close never waits, not even for a sink call running on another goroutine:
// it returns at once, and Done is closed once that call has returned.
func TestCloseReturnsAtOnceAndDoneWaitsForTheSink(t *testing.T) {
	t.Parallel()
	clk, tr := newFakeClock(), newFakeTransport()
	sink := &blockingSink{entered: make(chan struct{}), release: make(chan struct{})}
	src, err := New(Config{URL: "http://x.test/", Clock: clk, Transport: tr}, sink)
	require.NoError(t, err)
	tr.next(t)
	b := tr.answerSSE()
	b.send("data: 1\n\n")
	<-sink.entered
	src.Close() // would deadlock this test if it waited for the sink
	assert.Equal(t, Closed, src.ReadyState())
	select {
	case <-src.Done():
		t.Fatal("Done closed while the sink was still delivering")
	default:
	}
	close(sink.release)
	waitDone(t, src)
	assert.True(t, sink.returned.Load())
}

// countingSink counts the delivering calls, and fails the test when one
// starts after the source's Done.
type countingSink struct {
	streamSink
	t     *testing.T
	done  atomic.Bool
	calls atomic.Int64
}

func (c *countingSink) check() {
	c.calls.Add(1)
	if c.done.Load() {
		c.t.Error("sink called after Done")
	}
}
func (c *countingSink) Opened(OpenInfo)                     { c.check() }
func (c *countingSink) Flush(string, time.Duration)         { c.check() }
func (c *countingSink) Failed(*Error, ReadyState)           { c.check() }
func (c *countingSink) Retrying(time.Duration, int, string) { c.check() }

// Once Close has returned, at most the delivering call already under way
// completes, and none follows Done, whenever another goroutine closes the
// source: a stress run over the moments a chunk can be in flight (run with
// -race, and with SSESHIM_PUSH=1 for chunks delivered on the body's
// goroutine).
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
		atClose := sink.calls.Load()
		waitDone(t, src)
		sink.done.Store(true)
		assert.LessOrEqual(t, sink.calls.Load(), atClose+1, "calls after Close returned")
		wg.Wait()
	}
}
