//go:build js && wasm

package jsbridge

import (
	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// Prefetch is a source's first request, begun by the shim as the source was
// made, before the engine was ready (prefetchFirst in shim/prefetch.js): on a
// real network its round trip then overlaps the engine's start-up instead of
// following it. The shim begins it only for requests it can tell for sure
// (a GET of text/event-stream with fixed headers); the engine takes its
// response only if it is the very request the engine would make, and
// otherwise aborts it and makes its own.
type Prefetch struct {
	url         string
	credentials string
	header      map[string]string
	response    safejs.Value // the fetch() promise
	abortFn     safejs.Value
}

// NewPrefetch reads the shim's {url, credentials, headers, response, abort}.
func NewPrefetch(v safejs.Value) (*Prefetch, error) {
	pf := &Prefetch{}
	var err error
	if pf.url, err = getString(v, "url"); err != nil {
		return nil, err
	}
	if pf.credentials, err = getString(v, "credentials"); err != nil {
		return nil, err
	}
	h, err := v.Get("headers")
	if err != nil {
		return nil, err
	}
	if pf.header, err = stringMap(h); err != nil {
		return nil, err
	}
	if pf.response, err = v.Get("response"); err != nil {
		return nil, err
	}
	if pf.abortFn, err = v.Get("abort"); err != nil {
		return nil, err
	}
	return pf, nil
}

// First hands the transport the prefetched first request.
func (f *Fetch) First(pf *Prefetch) { f.first = pf }

func (pf *Prefetch) abort() { _, _ = pf.abortFn.Invoke() }

// matches reports whether r is the request the shim began.
func (pf *Prefetch) matches(r *eventsource.Request) bool {
	creds := "same-origin"
	if r.WithCredentials {
		creds = "include"
	}
	if r.URL != pf.url || (r.Method != "" && r.Method != "GET") || r.Body != nil || creds != pf.credentials ||
		len(r.Header) != len(pf.header) {
		return false
	}
	for k, v := range r.Header {
		if pv, ok := eventsource.HeaderValue(pf.header, k); !ok || pv != v {
			return false
		}
	}
	return true
}

// take waits for the prefetched response as for one the engine requested.
func (pf *Prefetch) take(ctx eventsource.Ctx, r *eventsource.Request, probe bool) (*eventsource.Response, error) {
	return respond(ctx, r, pf.response, pf.abort, probe)
}
