// Package eventsource is the EventSource connection engine: the processing
// model of WHATWG HTML §9.2 "Server-sent events" (readyState, reconnection,
// Last-Event-ID, failing the connection), plus opt-in extensions for IoT
// streams — request headers and token refresh, NDJSON with envelopes, a ping
// watchdog, backoff, retryable statuses and de-duplication.
//
// The engine is platform independent: it talks to the network through a
// Transport, to its user through a Sink, and reads time from a Clock. With
// the net/http transport (the default outside js/wasm) it is a complete Go
// SSE client; in the browser, sseshim plugs in a Fetch API transport.
package eventsource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sseshim/sseshim/wasm/internal/jsonscan"
	"github.com/sseshim/sseshim/wasm/sse"
)

// errWatchdog is the cancellation cause when the watchdog aborts an attempt.
var errWatchdog = errors.New("no data within the ping interval")

// Source is one event source. Create it with New; stop it with Close.
type Source struct {
	cfg       Config
	sink      Sink
	clock     Clock
	transport Transport
	reqURL    string

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	closed atomic.Bool

	mu    sync.Mutex // guards stats
	stats Stats

	// Owned by the engine goroutine.
	reconnectionTime time.Duration
	failures         int
	lastID           string
	dec              sse.Decoder
	lines            sse.LineDecoder
	format           Format
	pingType         string
	batch            []Event
	writer           EventWriter // the sink, when it takes events one by one
	queued, pings    int         // events (pings included) and pings queued from the current chunk
	seen             *idSet
	prevID           string
	prevDup          bool
	stop             *outcome  // set by an in-band error while decoding a chunk
	typeCache        string    // the last NDJSON event type, reused
	eventKeys        [2]string // the type and id members, for one-level paths
	wd               *watchdog
}

// New validates cfg and starts connecting at once. Everything the source does
// is reported to sink.
func New(cfg Config, sink Sink) (*Source, error) {
	if err := validate(&cfg); err != nil {
		return nil, err
	}
	if sink == nil {
		sink = SinkFuncs{}
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
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.transport == nil {
		s.transport = defaultTransport()
		if s.transport == nil {
			return nil, &Error{Kind: KindConfig, Message: "no Transport on this platform"}
		}
	}
	if s.reconnectionTime <= 0 {
		s.reconnectionTime = DefaultReconnectionTime
	}
	if cfg.Dedupe > 0 {
		s.seen = newIDSet(cfg.Dedupe)
	}
	if w, ok := sink.(EventWriter); ok {
		s.writer = w
		s.dec.Borrow = true
	}
	s.dec.MaxEventSize = cfg.MaxEventSize
	s.lines.MaxLineSize = cfg.MaxEventSize
	s.reqURL = requestURL(&cfg)
	if len(cfg.EventTypePath) == 1 && len(cfg.IDPath) == 1 {
		s.eventKeys = [2]string{cfg.EventTypePath[0], cfg.IDPath[0]}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

func validate(c *Config) error {
	bad := func(msg string) error { return &Error{Kind: KindConfig, Message: msg} }
	if !isHTTPURL(c.URL) {
		return bad("URL must be an absolute http or https URL: " + strconv.Quote(c.URL))
	}
	switch c.Format {
	case "":
		c.Format = FormatSSE
	case FormatSSE, FormatNDJSON, FormatAuto:
	default:
		return bad("unknown format " + strconv.Quote(string(c.Format)))
	}
	r := c.Retry
	switch {
	case r.Max < 0 || r.ImmediateAfter < 0 || c.ReconnectionTime < 0:
		return bad("durations must not be negative")
	case r.Factor != 0 && (r.Factor < 1 || math.IsInf(r.Factor, 0) || math.IsNaN(r.Factor)):
		return bad("Retry.Factor must be at least 1")
	case r.Jitter < 0 || r.Jitter > 1 || math.IsNaN(r.Jitter):
		return bad("Retry.Jitter must be between 0 and 1")
	case r.MaxAttempts < 0 || c.Dedupe < 0:
		return bad("counts must not be negative")
	case c.Ping.Interval < 0 || c.Ping.Leeway < 0:
		return bad("Ping durations must not be negative")
	}
	if c.EventTypePath == nil {
		c.EventTypePath = []string{"eventType"}
	}
	if c.IDPath == nil {
		c.IDPath = []string{"eventId"}
	}
	return nil
}

// requestURL adds the ping parameter to the URL when the watchdog is on.
func requestURL(c *Config) string {
	if c.Ping.Interval <= 0 || c.Ping.Param == "-" {
		return c.URL
	}
	name := c.Ping.Param
	if name == "" {
		name = "ping_interval"
	}
	return addQuery(c.URL, name, formatInterval(c.Ping.Interval))
}

// isHTTPURL checks for an absolute http(s) URL with a host. (net/url would
// do, but it costs the wasm binary tens of kilobytes; browsers hand the
// engine URLs already parsed and serialised by the URL standard.)
func isHTTPURL(u string) bool {
	lower := strings.ToLower(u)
	var rest string
	switch {
	case strings.HasPrefix(lower, "http://"):
		rest = u[len("http://"):]
	case strings.HasPrefix(lower, "https://"):
		rest = u[len("https://"):]
	default:
		return false
	}
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	return host != "" && !strings.ContainsAny(u, " \t\r\n")
}

// addQuery appends name=value to the URL's query, before any fragment.
func addQuery(u, name, value string) string {
	frag := ""
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u, frag = u[:i], u[i:]
	}
	sep := "?"
	if strings.IndexByte(u, '?') >= 0 {
		sep = "&"
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			sep = ""
		}
	}
	return u + sep + queryEscape(name) + "=" + queryEscape(value) + frag
}

// queryEscape percent-encodes all but the URL standard's unreserved bytes.
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// formatInterval writes an interval the way streaming APIs take it: "10s",
// or "1500ms" when it is not a whole number of seconds.
func formatInterval(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// Close stops the source at any moment: a pending request or read is aborted,
// a pending reconnect is cancelled, and no call to the sink starts after
// Close returns (one already running on another goroutine completes). It is
// safe to call from inside a sink call and more than once.
func (s *Source) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.mu.Lock()
	s.stats.State = Closed
	s.mu.Unlock()
	s.cancel()
}

// Done is closed when the source has stopped for good, by Close or failure.
func (s *Source) Done() <-chan struct{} { return s.done }

// ReadyState returns the current state.
func (s *Source) ReadyState() ReadyState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.State
}

// Stats returns a snapshot of the diagnostics.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Source) setState(st ReadyState) {
	s.mu.Lock()
	if s.stats.State != Closed {
		s.stats.State = st
	}
	s.mu.Unlock()
}

// outcome is how one attempt ended.
type outcome struct {
	err        *Error
	fatal      bool          // fail the connection: CLOSED, no reconnect
	count      bool          // a failed attempt for backoff and MaxAttempts
	immediate  bool          // reconnect without waiting
	retryAfter time.Duration // wait at least this long
}

func (s *Source) run() {
	defer close(s.done)
	for attempt := 0; ; attempt++ {
		out := s.attempt()
		if s.closed.Load() {
			return
		}
		if out.count {
			s.failures++
		}
		if !out.fatal && s.cfg.Retry.MaxAttempts > 0 && s.failures >= s.cfg.Retry.MaxAttempts {
			out = outcome{fatal: true, err: &Error{Kind: KindMaxAttempts,
				Message: strconv.Itoa(s.failures) + " consecutive failed attempts", Err: out.err}}
		}
		s.mu.Lock()
		s.stats.Failures = s.failures
		s.stats.LastError = out.err.Error()
		s.mu.Unlock()
		if out.fatal {
			// HTML §9.2.3 "fail the connection": CLOSED, then error.
			s.closed.Store(true)
			s.mu.Lock()
			s.stats.State = Closed
			s.mu.Unlock()
			s.cancel()
			s.sink.Failed(out.err, Closed)
			return
		}
		delay := time.Duration(0)
		if !out.immediate {
			delay = s.delay(out.retryAfter)
		}
		// HTML §9.2.3 "reestablish the connection": CONNECTING, error, wait.
		// The timer is armed before the sink hears of it, so that whoever
		// drives the clock may advance it as soon as Retrying arrives.
		wake := make(chan struct{})
		t := s.clock.AfterFunc(delay, func() { close(wake) })
		s.mu.Lock()
		if s.stats.State != Closed {
			s.stats.State = Connecting
		}
		s.stats.NextRetry = delay
		s.stats.Reconnects++
		s.mu.Unlock()
		if !s.closed.Load() {
			s.sink.Failed(out.err, Connecting)
		}
		if !s.closed.Load() {
			s.sink.Retrying(delay, attempt+1)
		}
		select {
		case <-wake:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
}

// delay is the wait before the next attempt: the reconnection time, grown
// exponentially with consecutive failures when backoff is on, with jitter,
// and never shorter than the server's Retry-After.
func (s *Source) delay(retryAfter time.Duration) time.Duration {
	d := s.reconnectionTime
	r := s.cfg.Retry
	if r.Max > 0 {
		if s.failures > 1 {
			f := r.Factor
			if f == 0 {
				f = 2
			}
			grown := float64(d) * math.Pow(f, float64(s.failures-1))
			d = time.Duration(min(grown, float64(max(r.Max, d))))
		}
		if r.Jitter > 0 {
			rnd := r.Random
			if rnd == nil {
				rnd = rand.Float64
			}
			d -= time.Duration(float64(d) * r.Jitter * rnd())
		}
	}
	return max(d, retryAfter)
}

func (s *Source) retryable(status int) bool {
	for _, c := range s.cfg.RetryStatuses {
		if c == status {
			return true
		}
	}
	return false
}

// attempt makes one connection and reads it until it ends.
func (s *Source) attempt() outcome {
	header := make(map[string]string, len(s.cfg.Header)+3)
	for k, v := range s.cfg.Header {
		header[k] = v
	}
	if s.cfg.HeaderFunc != nil {
		h, err := s.cfg.HeaderFunc(s.ctx)
		if err != nil {
			return outcome{err: &Error{Kind: KindHeaders, Err: err}, count: true}
		}
		for k, v := range h {
			header[k] = v
		}
	}
	if !hasHeader(header, "Accept") {
		header["Accept"] = acceptFor(s.cfg.Format)
	}
	// HTML §9.2.3: Last-Event-ID when the last event ID string is not empty.
	if s.lastID != "" {
		header["Last-Event-ID"] = s.lastID
	}
	ctx, cancel := context.WithCancelCause(s.ctx)
	defer cancel(nil)
	resp, err := s.transport.RoundTrip(ctx, &Request{URL: s.reqURL, Header: header, WithCredentials: s.cfg.WithCredentials})
	if err != nil {
		if errors.Is(err, ErrFutile) {
			return outcome{err: &Error{Kind: KindNetwork, Err: err}, fatal: true}
		}
		return outcome{err: &Error{Kind: KindNetwork, Err: err}, count: true}
	}
	if resp.Body != nil {
		defer resp.Body.Close()
	}
	if resp.Status != 200 {
		e := &Error{Kind: KindStatus, Status: resp.Status, Message: "unexpected status " + strconv.Itoa(resp.Status)}
		if s.retryable(resp.Status) {
			if resp.Status == 408 {
				return outcome{err: e, immediate: true}
			}
			return outcome{err: e, count: true, retryAfter: parseRetryAfter(resp.RetryAfter, s.clock.Now())}
		}
		return outcome{err: e, fatal: true}
	}
	s.format = formatFor(s.cfg.Format, resp.ContentType)
	if s.format == "" {
		return outcome{fatal: true, err: &Error{Kind: KindContentType, Status: 200,
			Message: "unexpected Content-Type " + strconv.Quote(resp.ContentType)}}
	}
	if resp.Body == nil {
		return outcome{err: &Error{Kind: KindNetwork, Message: "response without a body"}, count: true}
	}
	s.pingType = s.cfg.pingType(s.format)
	s.dec.Reset()
	s.dec.SetLastEventID(s.lastID)
	s.lines.Reset()
	s.prevID, s.prevDup, s.stop = "", false, nil

	opened := s.clock.Now()
	s.setState(Open)
	if s.closed.Load() {
		return outcome{}
	}
	s.sink.Opened(OpenInfo{URL: resp.URL, Status: resp.Status, Format: s.format})
	if s.cfg.Ping.Interval > 0 {
		s.wd = startWatchdog(s.clock, s.cfg.Ping.Interval+s.cfg.pingLeeway(), func() { cancel(errWatchdog) })
		defer s.wd.stop()
	}
	for {
		chunk, err := resp.Body.Next()
		if len(chunk) > 0 && !s.closed.Load() {
			if out := s.consume(chunk); out != nil {
				return *out
			}
		}
		if err == nil {
			continue
		}
		if context.Cause(ctx) == errWatchdog {
			return outcome{count: true, err: &Error{Kind: KindWatchdog,
				Message: "nothing received within " + (s.cfg.Ping.Interval + s.cfg.pingLeeway()).String()}}
		}
		if err != io.EOF {
			return outcome{err: &Error{Kind: KindNetwork, Err: err}, count: true}
		}
		if s.format == FormatNDJSON {
			// A last line without a line end was received whole.
			s.lines.End(s.emitLine)
			if out := s.flush(); out != nil {
				return *out
			}
		}
		e := &Error{Kind: KindEnd, Message: "the server ended the stream"}
		if im := s.cfg.Retry.ImmediateAfter; im > 0 && s.clock.Now().Sub(opened) >= im {
			return outcome{err: e, immediate: true}
		}
		return outcome{err: e, count: true}
	}
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if len(k) == len(name) && equalFoldASCII(k, name) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// consume decodes one chunk and delivers its events in one batch. It returns
// an outcome when the chunk ends the attempt.
func (s *Source) consume(chunk []byte) *outcome {
	now := s.clock.Now()
	if s.wd != nil && !s.cfg.Ping.RequireEvent {
		s.wd.feed(now)
	}
	var err error
	if s.format == FormatNDJSON {
		err = s.lines.Decode(chunk, s.emitLine)
	} else {
		err = s.dec.Decode(chunk, s.emitSSE)
		if r, ok := s.dec.Retry(); ok {
			s.reconnectionTime = r // HTML §9.2.6: the retry field
		}
		s.lastID = s.dec.LastEventID()
	}
	s.mu.Lock()
	s.stats.Bytes += int64(len(chunk))
	s.stats.LastActivity = now
	s.mu.Unlock()
	if out := s.flush(); out != nil {
		return out
	}
	if err != nil {
		return &outcome{fatal: true, err: &Error{Kind: KindTooLarge, Err: err}}
	}
	return nil
}

// flush hands the chunk's events to the sink, then reports an in-band stop,
// if any.
func (s *Source) flush() *outcome {
	if n := s.queued; n > 0 {
		s.failures = 0 // data arrived: the connection is healthy
		s.mu.Lock()
		s.stats.Events += int64(n - s.pings)
		s.stats.Pings += int64(s.pings)
		s.stats.Failures = 0
		s.mu.Unlock()
		if !s.closed.Load() {
			if s.writer != nil {
				s.writer.FlushEvents()
			} else {
				s.sink.Events(s.batch)
			}
		}
		clear(s.batch)
		s.batch = s.batch[:0]
		s.queued, s.pings = 0, 0
	}
	return s.stop
}

func (s *Source) emitSSE(e sse.Event) {
	s.add(Event{Type: e.Type, Data: e.Data, LastEventID: e.ID})
}

// add applies ping handling and de-duplication, then queues the event.
func (s *Source) add(ev Event) {
	if s.pingType != "" && ev.Type == s.pingType {
		if s.wd != nil {
			s.wd.feed(s.clock.Now())
		}
		if !s.cfg.Ping.Dispatch {
			ev.Ping, ev.Data = true, ""
			s.queue(ev)
			return
		}
	}
	if s.seen != nil && ev.LastEventID != "" {
		// An event inherits the last id when it has none of its own, so a
		// new id marks an event that carried one; the events that follow it
		// without an id share its fate.
		if ev.LastEventID != s.prevID {
			s.prevID = ev.LastEventID
			s.prevDup = !s.seen.add(ev.LastEventID)
		}
		if s.prevDup {
			s.mu.Lock()
			s.stats.Dropped++
			s.mu.Unlock()
			return
		}
	}
	s.queue(ev)
}

// queue adds an event to the chunk's batch, or writes it to an EventWriter.
func (s *Source) queue(ev Event) {
	s.queued++
	if ev.Ping {
		s.pings++
	}
	if s.writer != nil {
		s.writer.WriteEvent(ev)
	} else {
		s.batch = append(s.batch, ev)
	}
}

// emitLine unwraps one NDJSON line: {"result":{"event":E}} delivers E typed by
// its eventType; {"error":{"code","message"}} ends the attempt; any other JSON
// value is delivered as a "message" whose data is the line.
func (s *Source) emitLine(line []byte) {
	if s.stop != nil {
		return // the stream reported an error: nothing after it counts
	}
	// One pass validates the line and finds its envelope members.
	var top [2][]byte
	if !jsonscan.Scan(line, envelopeKeys, top[:]) {
		s.mu.Lock()
		s.stats.Dropped++
		s.mu.Unlock()
		return
	}
	if top[0] != nil && top[1] == nil {
		s.stop = s.inbandError(top[0])
		return
	}
	ev := line
	if top[1] != nil {
		if inner, ok := jsonscan.Member(top[1], "event"); ok {
			ev = inner
		}
	}
	t, v := s.typeAndID(ev)
	typ := "message"
	if t != nil {
		if len(t) > 2 && string(t[1:len(t)-1]) == s.typeCache {
			typ = s.typeCache // the same type as before: no allocation
		} else if str, ok := jsonscan.String(t); ok && str != "" {
			typ, s.typeCache = str, str
		}
	}
	if v != nil {
		id, isStr := jsonscan.String(v)
		if !isStr && v[0] != '{' && v[0] != '[' {
			id = string(v) // a number or literal, as written
		}
		if !containsNUL(id) {
			s.lastID = id
		}
	}
	if bytes.IndexByte(ev, '\r') >= 0 {
		// A raw CR in valid JSON is white space between tokens (inside a
		// string it would be invalid): a space means the same, and keeps
		// data free of CRs, as text/event-stream data always is.
		ev = bytes.ReplaceAll(ev, []byte{'\r'}, []byte{' '})
	}
	var data string
	if s.writer != nil {
		// Borrowed, as the decoder's are: the writer copies and decodes it.
		data = unsafe.String(unsafe.SliceData(ev), len(ev))
	} else {
		data = string(sse.ToValidUTF8(ev))
	}
	s.add(Event{Type: typ, Data: data, LastEventID: s.lastID})
}

// envelopeKeys are the members of an NDJSON envelope: {"error"} or {"result"}.
var envelopeKeys = []string{"error", "result"}

// typeAndID finds an NDJSON event's type and id: in one pass over the event
// when both paths are one member deep (the default), else path by path.
func (s *Source) typeAndID(ev []byte) (typ, id []byte) {
	tp, ip := s.cfg.EventTypePath, s.cfg.IDPath
	if len(tp) == 1 && len(ip) == 1 {
		var out [2][]byte
		jsonscan.Scan(ev, s.eventKeys[:], out[:])
		return out[0], out[1]
	}
	typ, _ = jsonscan.Path(ev, tp...)
	id, _ = jsonscan.Path(ev, ip...)
	return typ, id
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// inbandError decides what an {"error":{...}} object means: 401 and 403
// stop for good, 408 reconnects at once (an idle stream's scheduled end),
// 429 and 5xx retry with backoff, anything else stops.
func (s *Source) inbandError(obj []byte) *outcome {
	e := &Error{Kind: KindServer}
	if v, ok := jsonscan.Member(obj, "code"); ok {
		if n, ok := jsonscan.Int(v); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			e.Code = int(n)
		}
	}
	if v, ok := jsonscan.Member(obj, "message"); ok {
		e.Message, _ = jsonscan.String(v)
	}
	switch {
	case e.Code == 408:
		return &outcome{err: e, immediate: true}
	case e.Code == 429 || (e.Code >= 500 && e.Code <= 599):
		return &outcome{err: e, count: true}
	}
	return &outcome{err: e, fatal: true}
}

// watchdog aborts an attempt when nothing arrives for timeout. One timer is
// re-armed only when it fires, so feeding it per chunk costs a clock read.
type watchdog struct {
	clock   Clock
	timeout time.Duration
	abort   func()
	mu      sync.Mutex
	last    time.Time
	t       Timer
	stopped bool
}

func startWatchdog(c Clock, timeout time.Duration, abort func()) *watchdog {
	w := &watchdog{clock: c, timeout: timeout, abort: abort, last: c.Now()}
	w.t = c.AfterFunc(timeout, w.fire)
	return w
}

func (w *watchdog) feed(now time.Time) {
	w.mu.Lock()
	w.last = now
	w.mu.Unlock()
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	idle := w.clock.Now().Sub(w.last)
	if idle >= w.timeout {
		w.stopped = true
		w.abort()
		return
	}
	w.t = w.clock.AfterFunc(w.timeout-idle, w.fire)
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.t.Stop()
}

// idSet remembers the last n ids.
type idSet struct {
	ring []string
	next int
	set  map[string]struct{}
}

func newIDSet(n int) *idSet {
	return &idSet{ring: make([]string, n), set: make(map[string]struct{}, n)}
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if _, ok := s.set[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.set[id] = struct{}{}
	return true
}
