package eventsource

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// fakeClock is a Clock that moves only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() Instant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return InstantOf(c.now)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	if d <= 0 {
		t.done = true
		go f()
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

// pending counts the timers that have neither fired nor been stopped.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// Advance moves time forward and runs, in order, every timer that falls due,
// including timers armed by the ones it runs.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var due *fakeTimer
		live := c.timers[:0]
		for _, t := range c.timers {
			if t.done {
				continue
			}
			live = append(live, t)
		}
		c.timers = live
		sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		if len(c.timers) > 0 && !c.timers[0].at.After(end) {
			due = c.timers[0]
			due.done = true
			if due.at.After(c.now) {
				c.now = due.at
			}
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		due.f()
	}
}

// fakeTransport hands each request to the test and answers what it is told.
type fakeTransport struct {
	reqs  chan *Request
	resps chan fakeAnswer
	pull  bool // never PushBodies, even under SSESHIM_PUSH
}

type fakeAnswer struct {
	resp *Response
	err  error
}

func newFakeTransport() *fakeTransport {
	return &fakeTransport{reqs: make(chan *Request, 100), resps: make(chan fakeAnswer, 100)}
}

func (t *fakeTransport) RoundTrip(ctx Ctx, r *Request) (*Response, error) {
	t.reqs <- r
	select {
	case a := <-t.resps:
		if b, ok := a.resp.bodyIfFake(); ok {
			b.ctx = ctx
			if pushBodies && !t.pull {
				a.resp.Body = pushedBody{b}
			}
		}
		return a.resp, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *Response) bodyIfFake() (*fakeBody, bool) {
	if r == nil {
		return nil, false
	}
	b, ok := r.Body.(*fakeBody)
	return b, ok
}

type fakeBody struct {
	ctx    Ctx
	chunks chan []byte
	errs   chan error
	closed chan struct{}
	once   sync.Once
}

func newBody() *fakeBody {
	return &fakeBody{chunks: make(chan []byte, 100), errs: make(chan error, 1), closed: make(chan struct{})}
}

func (b *fakeBody) Next() ([]byte, error) {
	select {
	case c, ok := <-b.chunks:
		if !ok {
			return nil, io.EOF
		}
		return c, nil
	case err := <-b.errs:
		return nil, err
	case <-b.ctx.Done():
		return nil, b.ctx.Err()
	}
}

func (b *fakeBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// pushBodies: the fake transport's bodies are PushBodies, so that the whole
// suite runs on the engine's push path too (SSESHIM_PUSH=1, as make test
// runs it): the browser's bodies are.
var pushBodies = os.Getenv("SSESHIM_PUSH") != ""

// pushedBody is a fakeBody as a PushBody: f is called on a goroutine of its
// own, as a browser's chunk callback runs on one, while the engine waits.
type pushedBody struct{ *fakeBody }

func (b pushedBody) Push(f func([]byte) bool) error {
	done := make(chan error, 1)
	go func() {
		for {
			c, err := b.Next()
			if len(c) > 0 && !f(c) {
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	return <-done
}

func (b *fakeBody) send(s string) { b.chunks <- []byte(s) }
func (b *fakeBody) end()          { close(b.chunks) }

// answer responds to the next request with status and content type, and
// returns its body.
func (t *fakeTransport) answer(status int, ct string) *fakeBody {
	b := newBody()
	t.resps <- fakeAnswer{resp: &Response{Status: status, ContentType: ct, URL: "http://example.test/s", Body: b}}
	return b
}

func (t *fakeTransport) answerSSE() *fakeBody { return t.answer(200, "text/event-stream") }

func (t *fakeTransport) fail(err error) { t.resps <- fakeAnswer{err: err} }

func (t *fakeTransport) next(tb testing.TB) *Request {
	tb.Helper()
	select {
	case r := <-t.reqs:
		return r
	case <-time.After(5 * time.Second):
		tb.Fatal("no request")
		return nil
	}
}

// recorder is a Sink that logs every call that delivers something as a
// line: a chunk's events as one line at its Flush.
type recorder struct {
	log     chan string
	pending []string // the chunk's events so far
}

func newRecorder() *recorder { return &recorder{log: make(chan string, 1000)} }

func (r *recorder) Opened(i OpenInfo) { r.log <- "open " + string(i.Format) }

func (r *recorder) Event(e Event) {
	// The data is borrowed: copied and decoded here, as Sink.Event asks.
	e.Data = string(sse.ToValidUTF8([]byte(e.Data)))
	r.pending = append(r.pending, eventLine(e))
}

func (r *recorder) Flush(string, time.Duration) {
	if len(r.pending) > 0 {
		r.log <- "events " + strings.Join(r.pending, " ")
		r.pending = r.pending[:0]
	}
}

func (r *recorder) Discard() { r.pending = r.pending[:0] }

func (r *recorder) Failed(err *Error, s ReadyState) {
	line := fmt.Sprintf("error %s %s", err.Kind, s)
	if err.Status != 0 {
		line += fmt.Sprintf(" status=%d", err.Status)
	}
	if err.Code != 0 {
		line += fmt.Sprintf(" code=%d", err.Code)
	}
	r.log <- line
}

func (r *recorder) Retrying(d time.Duration, n int, reason string) {
	r.log <- strings.TrimSpace(fmt.Sprintf("retrying %s #%d %s", d, n, reason))
}

func eventLine(e Event) string {
	if e.Ping {
		return "ping"
	}
	return fmt.Sprintf("%s:%q#%s", e.Type, e.Data, e.LastEventID)
}

// funcsRecorder logs as recorder does, through SinkFuncs: the adapter that
// batches a chunk's events for OnEvents.
func funcsRecorder() (SinkFuncs, chan string) {
	r := newRecorder()
	return SinkFuncs{
		OnOpen: r.Opened,
		OnEvents: func(evs []Event) {
			parts := make([]string, len(evs))
			for i, e := range evs {
				parts[i] = eventLine(e)
			}
			r.log <- "events " + strings.Join(parts, " ")
		},
		OnError:    r.Failed,
		OnRetrying: func(d time.Duration, n int) { r.Retrying(d, n, "") },
	}, r.log
}

func (r *recorder) expect(tb testing.TB, want ...string) {
	tb.Helper()
	for _, w := range want {
		select {
		case got := <-r.log:
			require.Equal(tb, w, got)
		case <-time.After(5 * time.Second):
			tb.Fatalf("waited for %q", w)
		}
	}
}

// quiet checks that nothing more was logged once the source has stopped.
func (r *recorder) quiet(tb testing.TB) {
	tb.Helper()
	select {
	case got := <-r.log:
		tb.Fatalf("unexpected %q", got)
	default:
	}
}

func waitDone(tb testing.TB, s *Source) {
	tb.Helper()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		tb.Fatal("source did not stop")
	}
}

type env struct {
	clk *fakeClock
	tr  *fakeTransport
	rec *recorder
	src *Source
}

func start(tb testing.TB, cfg Config) *env {
	tb.Helper()
	e := &env{clk: newFakeClock(), tr: newFakeTransport(), rec: newRecorder()}
	if cfg.URL == "" {
		cfg.URL = "http://example.test/s"
	}
	cfg.Clock, cfg.Transport = e.clk, e.tr
	src, err := New(cfg, e.rec)
	require.NoError(tb, err)
	e.src = src
	tb.Cleanup(func() { src.Close(); <-src.Done() })
	return e
}
