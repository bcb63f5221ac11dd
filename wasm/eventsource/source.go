// Package eventsource is the EventSource connection engine: the processing
// model of the WHATWG HTML "Server-sent events" section (readyState,
// reconnection, Last-Event-ID, failing the connection), plus opt-in
// extensions for IoT streams — request headers and token refresh, NDJSON with
// envelopes, a ping watchdog, backoff, retryable statuses and de-duplication.
//
// The engine is platform independent: it talks to the network through a
// Transport, to its user through a Sink, and reads time from a Clock. With
// the net/http transport (the default outside js/wasm) it is a complete Go
// SSE client; in the browser, sseshim plugs in a Fetch API transport.
package eventsource

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sseshim/sseshim/wasm/sse"
)

// Source is one event source. Create it with New; stop it with Close.
type Source struct {
	cfg       Config // resolved: every default applied
	sink      Sink
	clock     Clock
	transport Transport
	reqURL    string

	ctx  *scope // cancelled by Close and by failing the connection
	done chan struct{}

	life lifecycle

	// Owned by the engine goroutine.
	reconnectionTime time.Duration
	failures         int // consecutive failed attempts
	lastID           string
	resetReq         atomic.Bool // ResetBuffers was called: discard unfinished data before the next chunk
	ctrl             control
	opened           bool // a response was accepted once: the server allows our requests
	idInQuery        bool // send the last event ID as Config.LastEventIDParam, not as a header
	conn             connState
	out              outbox
	nd               ndjsonState
}

// lifecycle is what other goroutines share with the engine: whether the
// source is closed, and its stats. Closed is recorded here and nowhere else.
type lifecycle struct {
	_      noCompare
	mu     sync.Mutex
	closed bool // by Close or by failing the connection
	stats  Stats
}

// control is how the page's lifecycle steers the engine (Pause, Reconnect):
// guarded by life.mu.
type control struct {
	cancelAttempt func(cause error) // the attempt in progress, if any
	paused        bool              // make no attempt until Reconnect
	reason        string            // why Reconnect was called
	kick          chan struct{}     // Reconnect wakes a waiting run loop
}

// connState is what one attempt reads with: reset when a response arrives.
type connState struct {
	format   Format
	pingType string
	dec      sse.Decoder
	lines    sse.LineDecoder
	stop     *outcome // set by an in-band error while decoding a chunk
	wd       *watchdog
	openedAt Instant // when the response was accepted
	carried  bool    // the connection delivered an event
}

// New validates cfg and starts connecting at once. Everything the source does
// is reported to sink.
func New(cfg Config, sink Sink) (*Source, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	switch f := sink.(type) {
	case nil:
		sink = noSink{}
	case interface{ ownBatch(Sink) Sink }:
		sink = f.ownBatch(sink)
	}
	s := &Source{
		cfg:              cfg,
		sink:             sink,
		clock:            cfg.Clock,
		transport:        cfg.Transport,
		reconnectionTime: cfg.ReconnectionTime,
		lastID:           cfg.LastEventID,
		done:             make(chan struct{}),
	}
	s.ctrl.kick = make(chan struct{}, 1)
	s.life.stats.ReconnectionTime = cfg.ReconnectionTime
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.transport == nil {
		s.transport = defaultTransport()
		if s.transport == nil {
			return nil, &Error{Kind: KindConfig, Message: "no Transport on this platform"}
		}
	}
	if cfg.Dedupe > 0 {
		s.out.seen = newIDSet(cfg.Dedupe)
	}
	s.conn.dec.Borrow = true // the sink copies what it keeps (Sink.Event)
	s.conn.dec.MaxEventSize = cfg.MaxEventSize
	s.conn.lines.MaxLineSize = cfg.MaxEventSize
	s.reqURL = requestURL(&cfg)
	if len(cfg.EventTypePath) == 1 && len(cfg.IDPath) == 1 {
		s.nd.keys = [2]string{cfg.EventTypePath[0], cfg.IDPath[0]}
	}
	s.ctx = newScope(nil)
	go s.run()
	return s, nil
}

// Close stops the source at any moment (#dom-eventsource-close): a pending
// request or read is aborted and a pending reconnect is cancelled. It never
// waits, so it is safe anywhere — from inside a sink call, whose chunk's
// remaining events are then not delivered, or from a JavaScript callback,
// during which another source's engine may be the code that runs — and more
// than once. Once Close has returned no sink call starts to deliver, but
// one already under way may still be running: a caller that must know the
// sink is done for good waits for Done.
func (s *Source) Close() {
	l := &s.life
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.stats.State = Closed
		s.ctx.cancel(nil)
	}
	l.mu.Unlock()
}

// Reconnect replaces the connection at once, with Last-Event-ID, and ends a
// Pause: the page came back online, woke from sleep, became visible with a
// stale connection, or was restored from the back/forward cache. It counts
// as no failure; reason goes with the Retrying call. It may be called from
// any goroutine.
func (s *Source) Reconnect(reason string) {
	if s.cfg.Once {
		return // one stream, handed over: nothing to reconnect to
	}
	s.life.mu.Lock()
	s.ctrl.paused, s.ctrl.reason = false, reason
	if s.ctrl.cancelAttempt != nil {
		s.ctrl.cancelAttempt(errReconnect) // the attempt ends, and the next follows at once
	} else {
		select { // the run loop is waiting: wake it
		case s.ctrl.kick <- struct{}{}:
		default:
		}
	}
	s.life.mu.Unlock()
}

// Pause ends the connection and makes no attempt until Reconnect: the page
// is offline, or in the back/forward cache. It counts as no failure.
func (s *Source) Pause() {
	if s.cfg.Once {
		return
	}
	s.life.mu.Lock()
	s.ctrl.paused = true
	if s.ctrl.cancelAttempt != nil {
		s.ctrl.cancelAttempt(errPaused)
	}
	s.life.mu.Unlock()
}

// ResetBuffers discards what the decoder holds of an unfinished event — a
// partial line, data, an event type — before the next chunk, keeping the
// last event ID and the reconnection time: a fresh stream can follow
// (EventSource.reset()). It may be called from any goroutine.
func (s *Source) ResetBuffers() { s.resetReq.Store(true) }

// Done is closed when the source has stopped for good, by Close or by
// failing the connection, and its sink has returned from its last call.
func (s *Source) Done() <-chan struct{} { return s.done }

// ReadyState returns the current state.
func (s *Source) ReadyState() ReadyState {
	return s.Stats().State
}

// Stats returns a snapshot of the diagnostics.
func (s *Source) Stats() Stats {
	s.life.mu.Lock()
	st := s.life.stats
	s.life.mu.Unlock()
	return st
}

func (s *Source) isClosed() bool {
	s.life.mu.Lock()
	closed := s.life.closed
	s.life.mu.Unlock()
	return closed
}

// failed records a failed attempt in the stats and tells the sink, with
// readyState now state: CLOSED when it fails the connection, CONNECTING
// when the source reconnects after delay.
func (s *Source) failed(err *Error, state ReadyState, delay time.Duration) {
	msg := err.Error()
	l := &s.life
	l.mu.Lock()
	l.stats.Failures, l.stats.LastError = s.failures, msg
	if state == Connecting {
		l.stats.NextRetry = delay
		l.stats.Reconnects++
	}
	l.mu.Unlock()
	if s.mayDeliver(state, state == Closed) {
		s.sink.Failed(err, state)
	}
}

// mayDeliver is called before every sink call that delivers something, and
// reports whether the call may go ahead: not once the source is closed.
// With state >= 0 it also sets readyState (unless closed), in the same step,
// so that a sink reading the state sees the one it is told about; final
// marks the call that fails the connection, which closes the source and is
// still delivered.
func (s *Source) mayDeliver(state ReadyState, final bool) bool {
	l := &s.life
	l.mu.Lock()
	ok := !l.closed
	if ok {
		l.closed = final
		if state >= 0 {
			l.stats.State = state
		}
	}
	l.mu.Unlock()
	return ok
}

// noCompare, as a field, makes a struct not comparable, so that no equality
// function is compiled for it: the engine never compares its own state.
type noCompare [0]func()

// outcome is how one attempt ended.
type outcome struct {
	_          noCompare
	err        *Error
	fatal      bool          // fail the connection: CLOSED, no reconnect
	paused     bool          // Pause ended it: wait for Reconnect
	count      bool          // a failed attempt for backoff and MaxAttempts
	immediate  bool          // reconnect without waiting
	retryAfter time.Duration // wait at least this long
}

// noState leaves readyState as it is in mayDeliver.
const noState ReadyState = -1

func (s *Source) run() {
	defer close(s.done)
	var notBefore int64 // a Retry-After's end, in Unix nanoseconds: no attempt before it
	for attempt := 1; ; attempt++ {
		if s.isPaused() {
			// Paused during a wait (offline while backing off): the
			// Reconnect that ends the pause is this attempt's reason.
			if !s.waitWhilePaused() || !s.waitOut(notBefore, attempt) {
				return
			}
		}
		out := s.attempt()
		if s.isClosed() {
			return
		}
		if out.count {
			s.failures++
		}
		if s.cfg.Once {
			out.fatal = true // one stream: its end fails the connection, no reconnect
		}
		if r := s.cfg.Retry; !out.fatal && r != nil && r.MaxAttempts > 0 && s.failures >= r.MaxAttempts {
			out = outcome{fatal: true, err: &Error{Kind: KindMaxAttempts,
				Message: strconv.Itoa(s.failures) + " consecutive failed attempts", Err: out.err}}
		}
		if out.fatal {
			// #fail-the-connection: CLOSED, then error; no reconnect.
			s.failed(out.err, Closed, 0)
			s.ctx.cancel(nil)
			return
		}
		delay := time.Duration(0)
		if !out.immediate {
			delay = s.delay(out.retryAfter)
		}
		// Wall-clock time (not the monotonic reading, which stops while a
		// machine sleeps): a Retry-After that passed during a sleep is not
		// waited out again after the wake.
		notBefore = s.clock.Now().UnixNano() + int64(out.retryAfter)
		// #reestablish-the-connection: CONNECTING, error, wait. The timer is
		// armed before the sink hears of it, so that whoever drives the
		// clock may advance it as soon as Retrying arrives.
		wake := make(chan struct{})
		t := s.clock.AfterFunc(delay, func() { close(wake) })
		s.failed(out.err, Connecting, delay)
		if out.paused {
			t.Stop()
			if !s.waitWhilePaused() || !s.waitOut(notBefore, attempt) { // Reconnect ended the pause: at once
				return
			}
			continue
		}
		s.retrying(delay, attempt)
		select {
		case <-wake:
		case <-s.ctrl.kick: // Reconnect: no need to wait, but for a Retry-After
			t.Stop()
			if !s.waitOut(notBefore, attempt) {
				return
			}
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
}

// waitOut is the wait after a Reconnect (the page came back online, woke,
// was restored): none, unless the server's Retry-After has not passed,
// which the page's lifecycle does not override; a Retrying call says which.
// Further Reconnects meanwhile change nothing; a Pause is seen by the
// attempt that follows. It returns false when the source was closed.
func (s *Source) waitOut(notBefore int64, attempt int) bool {
	rest := time.Duration(notBefore - s.clock.Now().UnixNano())
	if rest <= 0 {
		s.retrying(0, attempt)
		return true
	}
	// The timer is set before the sink hears of the wait, as in run: a
	// test's clock may advance as soon as Retrying arrives.
	wake := make(chan struct{})
	t := s.clock.AfterFunc(rest, func() { close(wake) })
	s.retrying(rest, attempt)
	for {
		select {
		case <-wake:
			return true
		case <-s.ctrl.kick:
		case <-s.ctx.Done():
			t.Stop()
			return false
		}
	}
}

// retrying tells the sink of the next attempt, with the reason Reconnect
// gave, if any.
func (s *Source) retrying(delay time.Duration, attempt int) {
	s.life.mu.Lock()
	reason := s.ctrl.reason
	s.ctrl.reason = ""
	s.life.mu.Unlock()
	if s.mayDeliver(noState, false) {
		s.sink.Retrying(delay, attempt, reason)
	}
}

func (s *Source) isPaused() bool {
	s.life.mu.Lock()
	paused := s.ctrl.paused
	s.life.mu.Unlock()
	return paused
}

// waitWhilePaused returns once the source is not paused (Reconnect), or
// false when it was closed meanwhile.
func (s *Source) waitWhilePaused() bool {
	for s.isPaused() {
		select {
		case <-s.ctrl.kick:
		case <-s.ctx.Done():
			return false
		}
	}
	return true
}
