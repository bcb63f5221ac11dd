//go:build !js

package eventsource

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// HTTPTransport is a Transport over net/http: the native Go client.
type HTTPTransport struct {
	// Client is the HTTP client; nil means a client with no overall timeout
	// (a stream is long-lived; the watchdog detects dead connections).
	Client *http.Client
	// BufferSize is the read size; zero means 32 KiB.
	BufferSize int
}

var defaultHTTPClient = &http.Client{}

func defaultTransport() Transport { return &HTTPTransport{} }

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx Ctx, r *Request) (*Response, error) {
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		return nil, fmt.Errorf("eventsource: the net/http transport takes a []byte or string body, not %T", r.Body)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(stdContext{ctx}, method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	// The fetch transport sends cache mode "no-store"; say the same here.
	if req.Header.Get("Cache-Control") == "" {
		req.Header.Set("Cache-Control", "no-cache")
	}
	c := t.Client
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	n := t.BufferSize
	if n <= 0 {
		n = 32 << 10
	}
	return &Response{
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		RetryAfter:  resp.Header.Get("Retry-After"),
		URL:         resp.Request.URL.String(),
		Body:        &httpBody{resp: resp, buf: make([]byte, n)},
	}, nil
}

// stdContext is a Ctx as the context.Context net/http takes: no deadline,
// no values.
type stdContext struct{ Ctx }

func (stdContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (stdContext) Value(any) any { return nil }

type httpBody struct {
	resp *http.Response
	buf  []byte
}

func (b *httpBody) Next() ([]byte, error) {
	n, err := b.resp.Body.Read(b.buf)
	return b.buf[:n], err
}

func (b *httpBody) Close() error { return b.resp.Body.Close() }
