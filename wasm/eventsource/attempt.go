package eventsource

import (
	"errors"
	"io"
	"strconv"
)

// The causes with which the engine itself cancels an attempt.
var (
	errWatchdog       = errors.New("no data within the ping interval")
	errConnectTimeout = errors.New("no response within the connect timeout")
	errReconnect      = errors.New("the connection is being replaced")
	errPaused         = errors.New("paused")
)

// attempt makes one connection and reads it until it ends
// (#sse-processing-model).
func (s *Source) attempt() outcome {
	ctx := newScope(s.ctx)
	cancel := ctx.cancel
	s.life.mu.Lock()
	s.ctrl.cancelAttempt = cancel
	if s.ctrl.paused {
		cancel(errPaused)
	}
	select {
	case <-s.ctrl.kick: // a Reconnect before this attempt: it is this attempt
	default:
	}
	s.life.mu.Unlock()
	out := s.attemptWith(ctx, cancel)
	// The cause is read as the attempt stops being cancellable: a Reconnect
	// either ended this attempt or finds none and wakes the run loop.
	s.life.mu.Lock()
	s.ctrl.cancelAttempt = nil
	cause := ctx.Err()
	reason := s.ctrl.reason
	if cause != errReconnect {
		s.ctrl.reason = "" // a reason belongs to the reconnect it caused, not to later ones
	}
	s.life.mu.Unlock()
	cancel(nil)
	switch cause {
	case errReconnect:
		return outcome{err: &Error{Kind: KindLifecycle, Message: "reconnecting: " + reason}, immediate: true}
	case errPaused:
		return outcome{err: &Error{Kind: KindLifecycle, Message: "paused (offline, or the page is in the back/forward cache)"}, paused: true}
	}
	return out
}

// attemptWith makes the connection under ctx and reads it until it ends.
func (s *Source) attemptWith(ctx Ctx, cancel func(cause error)) outcome {
	resp, out, ok := s.connect(ctx, cancel)
	if !ok {
		return out
	}
	if resp.Body != nil {
		defer resp.Body.Close()
	}
	if out, ok = s.check(resp); !ok {
		return out
	}
	return s.stream(ctx, cancel, resp)
}

// stream reads an accepted response until the attempt ends.
func (s *Source) stream(ctx Ctx, cancel func(cause error), resp *Response) outcome {
	opened := s.clock.Now()
	s.conn.openedAt, s.conn.carried = opened, false
	s.opened = true
	if !s.mayDeliver(Open, false) {
		return outcome{}
	}
	s.sink.Opened(OpenInfo{URL: resp.URL, Status: resp.Status, Format: s.conn.format})
	if s.cfg.Ping.Interval > 0 {
		timeout := s.cfg.Ping.Interval + s.cfg.Ping.Leeway
		s.conn.wd = startWatchdog(s.clock, timeout, func() { cancel(errWatchdog) })
		defer s.conn.wd.stop()
	}
	stop, err := s.read(resp.Body)
	if stop != nil {
		return *stop
	}
	return s.ended(ctx, err, opened)
}

// ended decides what the end of a stream opened at opened means: err is
// what ended the body (io.EOF at its clean end).
func (s *Source) ended(ctx Ctx, err error, opened Instant) outcome {
	if ctx.Err() == errWatchdog {
		return outcome{count: true, err: &Error{Kind: KindWatchdog,
			Message: "nothing received within " + (s.cfg.Ping.Interval + s.cfg.Ping.Leeway).String()}}
	}
	if isError(err, ErrAborted) {
		return outcome{err: &Error{Kind: KindNetwork, Err: err}, fatal: true}
	}
	s.checkHealthy()
	if err != io.EOF {
		return outcome{err: &Error{Kind: KindNetwork, Err: err}, count: true}
	}
	if s.conn.format == FormatNDJSON {
		// A last line without a line end was received whole.
		s.conn.lines.End(s.emitLine)
		if out := s.flush(); out != nil {
			return *out
		}
	}
	e := &Error{Kind: KindEnd, Message: "the server ended the stream"}
	if r := s.cfg.Retry; r != nil && r.ImmediateAfter > 0 && s.clock.Now().Sub(opened) >= r.ImmediateAfter {
		return outcome{err: e, immediate: true}
	}
	return outcome{err: e, count: true}
}

// read consumes the body until a chunk ends the attempt (stop) or the body
// ends (err: io.EOF at its clean end).
func (s *Source) read(body Body) (stop *outcome, err error) {
	if pb, ok := body.(PushBody); ok {
		// While Push runs, the engine's goroutine waits in it: any sink call
		// meanwhile is a chunk's, on the body's goroutine.
		err = pb.Push(func(chunk []byte) bool {
			stop = s.consume(chunk)
			return stop == nil
		})
		if stop == nil && err == nil {
			err = io.ErrUnexpectedEOF // a Push that stopped without being asked to
		}
		return stop, err
	}
	for stop == nil && err == nil {
		var chunk []byte
		chunk, err = body.Next()
		if len(chunk) > 0 {
			stop = s.consume(chunk)
		}
	}
	return stop, err
}

// connect runs the connection phase — the header and body functions and the
// request up to the response's headers — under the connect timeout.
func (s *Source) connect(ctx Ctx, cancel func(cause error)) (*Response, outcome, bool) {
	var timer Timer
	if d := s.cfg.ConnectTimeout; d > 0 {
		timer = s.clock.AfterFunc(d, func() { cancel(errConnectTimeout) })
	}
	resp, out := s.request(ctx)
	timedOut := false
	if timer != nil && !timer.Stop() && resp != nil {
		// The timer fired as the response arrived: the attempt is cancelled.
		if resp.Body != nil {
			resp.Body.Close()
		}
		timedOut = true
	}
	if timedOut || (resp == nil && ctx.Err() == errConnectTimeout) {
		return nil, outcome{count: true, err: &Error{Kind: KindTimeout,
			Message: "no response within " + s.cfg.ConnectTimeout.String()}}, false
	}
	return resp, out, resp != nil
}

// request runs the header and body functions and sends the request: a
// response, or the outcome of an attempt that got none.
func (s *Source) request(ctx Ctx) (*Response, outcome) {
	header, err := s.requestHeader(ctx)
	if err != nil {
		return nil, outcome{err: &Error{Kind: KindHeaders, Err: err}, count: true}
	}
	url := s.reqURL
	if s.idAsQuery() {
		url = addQuery(url, s.cfg.LastEventIDParam, s.lastID)
	}
	body := s.cfg.Body
	if s.cfg.BodyFunc != nil {
		if body, err = s.cfg.BodyFunc(ctx); err != nil {
			return nil, outcome{err: &Error{Kind: KindBody, Err: err}, count: true}
		}
	}
	resp, err := s.transport.RoundTrip(ctx, &Request{Method: s.cfg.Method, URL: url, Header: header, Body: body,
		WithCredentials: s.cfg.WithCredentials})
	if err != nil {
		return nil, s.requestFailed(err, header)
	}
	return resp, outcome{}
}

// checkHealthy is called when an open connection ends (and as events
// arrive): one that carried events and has lasted HealthyAfter was healthy,
// whatever ends it. With no failures to forget it reads no clock: a chunk
// then reads it once, not twice (in the browser, each read is two calls
// into JavaScript, before the chunk's events are delivered).
func (s *Source) checkHealthy() {
	if s.failures > 0 && s.conn.carried && s.clock.Now().Sub(s.conn.openedAt) >= s.healthyAfter() {
		s.failures = 0
	}
}

// requestHeader builds one attempt's headers: the fixed ones, the header
// function's over them, Accept (#dom-eventsource), and Last-Event-ID when
// the last event ID string is not empty (#reestablish-the-connection).
func (s *Source) requestHeader(ctx Ctx) (map[string]string, error) {
	header := make(map[string]string, len(s.cfg.Header)+3)
	for k, v := range s.cfg.Header {
		header[k] = v
	}
	if s.cfg.HeaderFunc != nil {
		h, err := s.cfg.HeaderFunc(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range h {
			header[k] = v
		}
	}
	if !hasHeader(header, "Accept") {
		header["Accept"] = acceptFor(s.cfg.Format)
	}
	if s.lastID != "" && !s.idAsQuery() {
		header["Last-Event-ID"] = s.lastID
	}
	return header, nil
}

// idAsQuery says whether this attempt sends the last event ID in the query
// parameter LastEventIDParam rather than as Last-Event-ID: since a CORS
// refusal of the header, or when the ID is not ASCII and the transport
// cannot send its bytes in a header (Config.HeaderBytesAsUTF8).
func (s *Source) idAsQuery() bool {
	if s.lastID == "" {
		return false
	}
	return s.idInQuery || (s.cfg.HeaderBytesAsUTF8 && s.cfg.LastEventIDParam != "-" && !isASCII(s.lastID))
}

func isASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return false
		}
	}
	return true
}

// requestFailed decides what a request that got no response means.
func (s *Source) requestFailed(err error, header map[string]string) outcome {
	e := &Error{Kind: KindNetwork, Err: err}
	switch {
	case isError(err, ErrAborted):
		// #sse-processing-model: "if res is an aborted network error, fail
		// the connection".
		return outcome{err: e, fatal: true}
	case !isError(err, ErrFutile):
		return outcome{err: e, count: true}
	case header["Last-Event-ID"] != "" && s.opened && s.cfg.LastEventIDParam != "-":
		// Refused only since the header was added: try once without it.
		s.idInQuery = true
		e.Message = "the server's CORS policy does not allow the Last-Event-ID header; " +
			"reconnecting with the id in the query parameter " + s.cfg.LastEventIDParam
		return outcome{err: e, immediate: true}
	}
	return outcome{err: e, fatal: true}
}

// check decides what a response means before its body is read, and
// prepares the connection state when it is a stream.
func (s *Source) check(resp *Response) (outcome, bool) {
	if resp.Status != 200 {
		e := &Error{Kind: KindStatus, Status: resp.Status, Message: "unexpected status " + strconv.Itoa(resp.Status)}
		if s.retryable(resp.Status) {
			if resp.Status == 408 {
				return outcome{err: e, immediate: true}, false
			}
			return outcome{err: e, count: true, retryAfter: parseRetryAfter(resp.RetryAfter, s.clock.Now())}, false
		}
		return outcome{err: e, fatal: true}, false
	}
	c := &s.conn
	c.format = formatFor(s.cfg.Format, resp.ContentType)
	if c.format == "" {
		return outcome{fatal: true, err: &Error{Kind: KindContentType, Status: 200,
			Message: "unexpected Content-Type " + quote(resp.ContentType)}}, false
	}
	if resp.Body == nil {
		return outcome{err: &Error{Kind: KindNetwork, Message: "response without a body"}, count: true}, false
	}
	c.pingType = s.cfg.pingType(c.format)
	c.dec.Reset()
	c.dec.SetLastEventID(s.lastID)
	c.lines.Reset()
	c.stop = nil
	s.out.resetDedupe()
	return outcome{}, true
}

func hasHeader(h map[string]string, name string) bool {
	_, ok := HeaderValue(h, name)
	return ok
}

// HeaderValue returns the value of the header name in h, its names compared
// as HTTP compares them: ASCII case-insensitively.
func HeaderValue(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if len(k) == len(name) && equalFoldASCII(k, name) {
			return v, true
		}
	}
	return "", false
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
	c := &s.conn
	if c.wd != nil && !s.cfg.Ping.RequireEvent {
		c.wd.feed(now)
	}
	if s.resetReq.Swap(false) {
		c.dec.Reset()
		c.lines.Reset()
	}
	var err error
	if c.format == FormatNDJSON {
		err = c.lines.Decode(chunk, s.emitLine)
	} else {
		err = c.dec.Decode(chunk, s.emitSSE)
		if r, ok := c.dec.Retry(); ok {
			s.reconnectionTime = r // #concept-event-stream-reconnection-time
		}
		s.lastID = c.dec.LastEventID()
	}
	s.out.bytes += int64(len(chunk))
	s.out.activity = now
	if out := s.flush(); out != nil {
		return out
	}
	if err != nil {
		return &outcome{fatal: true, err: &Error{Kind: KindTooLarge, Err: err}}
	}
	return nil
}
