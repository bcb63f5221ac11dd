//go:build js && wasm

package jsbridge

import (
	"errors"
	"fmt"
	"io"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// Fetch is an eventsource.Transport on the Fetch API, configured as HTML
// #the-eventsource-interface configures the browser's own request: cache mode "no-store", and
// credentials "include" with withCredentials, otherwise "same-origin".
// One Fetch serves one source, whose engine goroutine alone calls it.
type Fetch struct {
	first *Prefetch    // the first request, begun by the shim before the engine was ready
	fn    safejs.Value // the page's fetch function (the fetch option), or undefined for the global fetch
}

// RoundTrip implements eventsource.Transport.
func (f *Fetch) RoundTrip(ctx eventsource.Ctx, r *eventsource.Request) (*eventsource.Response, error) {
	if pf := f.first; pf != nil {
		f.first = nil
		if pf.matches(r) {
			return pf.take(ctx, r, !f.custom())
		}
		pf.abort() // not the request the engine makes: make that one
	}
	ac, err := jsAbortController.New()
	if err != nil {
		return nil, err
	}
	abort := func() { _, _ = ac.Call("abort") }
	signal, err := ac.Get("signal")
	if err != nil {
		return nil, err
	}
	headers, err := jsHeaders.New()
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		if _, err := headers.Call("set", k, byteString(v)); err != nil {
			return nil, &JSError{Name: "TypeError", Message: "invalid header " + k + ": " + err.Error()}
		}
	}
	creds := "same-origin"
	if r.WithCredentials {
		creds = "include"
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	// A map is made a JavaScript object as it is passed (safejs unwraps the
	// Values in it).
	init := map[string]any{
		"method":      method,
		"cache":       "no-store",
		"credentials": creds,
		"redirect":    "follow",
		"headers":     headers,
		"signal":      signal,
	}
	if body, ok := r.Body.(safejs.Value); ok {
		init["body"] = body
	}
	fetch := jsFetch
	if f.custom() {
		fetch = f.fn
	}
	p, err := fetch.Invoke(r.URL, init)
	if err != nil {
		return nil, err
	}
	return respond(ctx, r, p, abort, !f.custom())
}

// custom reports whether the page gave a fetch function. What such a
// function rejects with is its own failure: no probe (which would bypass
// the function) reads it as a CORS refusal or a redirect loop.
func (f *Fetch) custom() bool { return f.fn.Type() == safejs.TypeFunction }

// respond waits for a fetch's promise p and makes the engine's Response of
// what it resolves with; abort aborts the fetch. probe: a failure may be
// probed for its cause (classify); not for a page's fetch function.
func respond(ctx eventsource.Ctx, r *eventsource.Request, p safejs.Value, abort func(), probe bool) (*eventsource.Response, error) {
	res, err := await(ctx, p, abort)
	if err != nil {
		return nil, classify(ctx, err, r.URL, probe)
	}
	resp := &eventsource.Response{}
	if resp.Status, err = getInt(res, "status"); err != nil {
		return nil, err
	}
	resp.URL, _ = getString(res, "url")
	rh, _ := res.Get("headers")
	resp.ContentType = headerValue(rh, "content-type")
	resp.RetryAfter = headerValue(rh, "retry-after")
	body, _ := res.Get("body")
	var reader safejs.Value
	if !body.IsNull() && !body.IsUndefined() {
		reader, err = body.Call("getReader")
		if err == nil {
			resp.Body = newFetchBody(ctx, reader, abort, true)
			return resp, nil
		}
	}
	abort()
	if err != nil {
		return nil, err
	}
	resp.Body = emptyBody{}
	return resp, nil
}

// StreamTransport hands the engine one ReadableStream that is already open
// (EventSource.fromReadableStream): its reader, acquired by the shim, is the
// body of the one "response" there is; closing the source cancels it.
type StreamTransport struct {
	reader safejs.Value
	used   bool
}

// NewStreamTransport returns a transport for a ReadableStreamDefaultReader.
func NewStreamTransport(reader safejs.Value) *StreamTransport {
	return &StreamTransport{reader: reader}
}

// RoundTrip implements eventsource.Transport. The source reads one stream
// (Config.Once), so it is called once.
func (t *StreamTransport) RoundTrip(ctx eventsource.Ctx, r *eventsource.Request) (*eventsource.Response, error) {
	if t.used {
		return nil, errors.New("sseshim: a stream can be read only once")
	}
	t.used = true
	reader := t.reader
	cancel := func() { _, _ = reader.Call("cancel") }
	return &eventsource.Response{
		Status:      200,
		ContentType: "text/event-stream",
		URL:         r.URL,
		Body:        newFetchBody(ctx, reader, cancel, false),
	}, nil
}

func getInt(v safejs.Value, prop string) (int, error) {
	p, err := v.Get(prop)
	if err != nil {
		return 0, err
	}
	return p.Int()
}

func headerValue(h safejs.Value, name string) string {
	v, err := h.Call("get", name)
	if err != nil || v.IsNull() {
		return ""
	}
	s, _ := v.String()
	return s
}

// classify tells the engine what a failed fetch means. An AbortError the
// source did not cause is the user agent's abort (window.stop()); a
// TypeError from a cross-origin request may be a CORS refusal, which only a
// probe can tell from an unreachable server. Other failures, and any while
// the source is closing, are passed on as they are; so is a TypeError
// where no probe is to be made.
func classify(ctx eventsource.Ctx, err error, url string, probe bool) error {
	switch {
	case ctx.Err() != nil:
		return err
	case isJSError(err, "AbortError"):
		return fmt.Errorf("%w: %w", eventsource.ErrAborted, err)
	case !probe || !isJSError(err, "TypeError") || offline():
		return err // offline, nothing would answer a probe
	case sameOrigin(url): // not subject to CORS, but may redirect
		if redirects(ctx, url) {
			return fmt.Errorf("%w (the server redirects, and following its redirects failed: too many redirects, "+
				"or a redirect to a URL that cannot be fetched)", err)
		}
	case futile(ctx, url):
		return fmt.Errorf("%w: %w (the server does not allow this cross-origin request)", eventsource.ErrFutile, err)
	}
	return err
}

// redirects tells a same-origin fetch that failed while following
// redirects (a loop: more than twenty) from others, which reject with the
// same TypeError: a HEAD request that does not follow redirects gets an
// "opaqueredirect" response. (Cross-origin, the probe would itself need
// CORS; there only the futile probe runs.)
func redirects(ctx eventsource.Ctx, url string) bool {
	res, ok := probe(ctx, url, map[string]any{"method": "HEAD", "redirect": "manual", "cache": "no-store"})
	if !ok {
		return false
	}
	typ, _ := getString(res, "type")
	return typ == "opaqueredirect"
}

// futile tells a failed cross-origin fetch that the server refused by CORS
// from one that could not reach the server: both reject with the same
// TypeError. A "no-cors" HEAD request reaches the server without asking for
// access; if it gets any answer, the server is there and reconnecting cannot
// help. The browser's own EventSource fails the connection in that case.
func futile(ctx eventsource.Ctx, url string) bool {
	_, ok := probe(ctx, url, map[string]any{"method": "HEAD", "mode": "no-cors", "cache": "no-store", "credentials": "omit"})
	return ok
}

// sameOrigin reports whether url has the page's origin (or cannot be told).
func sameOrigin(url string) bool {
	u, err := jsURL.New(url)
	if err != nil {
		return true
	}
	origin, _ := getString(u, "origin")
	return origin == "" || origin == pageOrigin()
}

// probe makes one request that only asks a question of the server, and
// aborts it as soon as its response has arrived.
func probe(ctx eventsource.Ctx, url string, opts map[string]any) (safejs.Value, bool) {
	ac, err := jsAbortController.New()
	if err != nil {
		return safejs.Undefined(), false
	}
	opts["signal"], err = ac.Get("signal")
	if err != nil {
		return safejs.Undefined(), false
	}
	p, err := jsFetch.Invoke(url, opts)
	if err != nil {
		return safejs.Undefined(), false
	}
	abort := func() { _, _ = ac.Call("abort") }
	res, err := await(ctx, p, abort)
	abort()
	return res, err == nil
}

// offline reports whether the browser knows it has no network.
func offline() bool {
	on, err := global("navigator").Get("onLine")
	if err != nil || on.Type() != safejs.TypeBoolean {
		return false
	}
	b, _ := boolOf(on)
	return !b
}

func pageOrigin() string {
	o, _ := getString(global("location"), "origin")
	return o
}

// global returns the global object name, or undefined where there is none
// (a worker has no location of a page, some runtimes no navigator): reading
// a property of undefined is then an error, not a panic (safejs).
func global(name string) safejs.Value {
	v, err := safejs.Global().Get(name)
	if err != nil || v.Type() != safejs.TypeObject {
		return safejs.Undefined()
	}
	return v
}

type emptyBody struct{}

func (emptyBody) Next() ([]byte, error) { return nil, io.EOF }
func (emptyBody) Close() error          { return nil }

// byteString maps each byte of v to the character with that code, so that a
// header value in UTF-8 (a Last-Event-ID such as "é") goes on the wire as
// those same bytes — what the browser's own EventSource sends. The Fetch API
// accepts only such ByteStrings and would otherwise throw.
func byteString(v string) string {
	n := len(v)
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			n++ // U+0080–U+00FF take two bytes in UTF-8
		}
	}
	if n == len(v) {
		return v
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x80 {
			b = append(b, c)
		} else {
			b = append(b, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	return string(b)
}

// headerBytesAsUTF8 reports whether this is WebKit, whose fetch() sends a
// header value's characters U+0080–U+00FF as UTF-8, where Chromium and
// Firefox send each as the one byte byteString meant (and it rejects any
// character above U+00FF), so that no header value carries an ID's bytes
// as they are. No script API shows the difference (Headers keeps the
// string as given; the encoding happens below it) and a probe request
// would cost a round trip, so the engine is told by its user agent string,
// the one mark of it that windows and workers share (a worker's navigator
// has no vendor): every WebKit browser (Safari, WebKitGTK, any iOS
// browser) says AppleWebKit/, and so does every Chromium, which alone
// adds Chrome/ or Chromium/. Checked once, as the engine starts.
var headerBytesAsUTF8 = isWebKit()

func isWebKit() bool {
	ua, err := getString(global("navigator"), "userAgent")
	return err == nil && contains(ua, "AppleWebKit/") && !contains(ua, "Chrome/") && !contains(ua, "Chromium/")
}

// contains reports whether s contains sub: a plain scan, for a few short
// needles once per engine, where strings.Contains would bring its
// substring search into the engine for this alone.
func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
