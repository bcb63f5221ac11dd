//go:build !js

package engines

import (
	"net/http"
	"strings"
	"sync"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// conn is what the server answers to one connection attempt.
type conn struct {
	status   int      // 0 means 200
	ct       string   // "" means text/event-stream
	location string   // a redirect target (a stream's name), with a 3xx status
	chunks   []string // written and flushed one by one; {{LEID}} becomes the request's Last-Event-ID
	hold     bool     // keep the connection open after the chunks
	header   map[string]string
}

// stream is a sequence of connections: attempt n gets conns[n], the last
// one repeating.
type stream struct {
	name  string
	conns []conn
	opts  string // record's options, as JavaScript
}

const (
	done      = "event: done\ndata: .\n\n"
	fastRetry = "retry: 20\n\n"
)

// streams serves streams at /s/{name}?run=R, counting attempts per run so
// that each implementation sees the same sequence, and keeps the requests.
type streams struct {
	mu     sync.Mutex
	byName map[string]stream
	counts map[string]int
	seen   map[string][]*http.Request
}

func newStreams(list []stream) *streams {
	h := &streams{byName: map[string]stream{}, counts: map[string]int{}, seen: map[string][]*http.Request{}}
	for _, s := range list {
		h.byName[s.name] = s
	}
	return h
}

func (h *streams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	key := name + "?" + r.URL.Query().Get("run")
	if r.Method == http.MethodOptions {
		// A CORS preflight is not an attempt: it gets the first
		// connection's headers, and allows no request header.
		h.mu.Lock()
		sc := h.byName[name]
		h.mu.Unlock()
		if len(sc.conns) > 0 {
			for k, v := range sc.conns[0].header {
				w.Header().Set(k, v)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.mu.Lock()
	sc, ok := h.byName[name]
	n := h.counts[key]
	h.counts[key]++
	h.seen[key] = append(h.seen[key], r.Clone(r.Context()))
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	c := sc.conns[min(n, len(sc.conns)-1)]
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	if c.location != "" {
		http.Redirect(w, r, c.location+"?run="+r.URL.Query().Get("run"), c.status)
		return
	}
	ct := c.ct
	if ct == "" {
		ct = "text/event-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	status := c.status
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	w.(http.Flusher).Flush()
	chunks := make([]string, len(c.chunks))
	for i, ch := range c.chunks {
		chunks[i] = strings.ReplaceAll(ch, "{{LEID}}", lastEventID(r))
	}
	if writeChunks(w, chunks) != nil {
		return
	}
	if c.hold {
		<-r.Context().Done()
	}
}

// lastEventID is the request's Last-Event-ID, or where there is none the
// query parameter sseshim sends it in where a header cannot carry it
// (lastEventIdParam: a CORS refusal, or WebKit and a non-ASCII ID).
func lastEventID(r *http.Request) string {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		return v
	}
	return r.URL.Query().Get("lastEventId")
}

// requests returns the requests the server saw for a run.
func (h *streams) requests(name, run string) []*http.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[name+"?"+run]
}

// writeChunks writes a stream's chunks paced, so that each reaches the
// client as a read of its own.
var writeChunks = browsertest.WriteChunks

// sseStart writes an event stream's headers.
func sseStart(w http.ResponseWriter) http.Flusher {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return f
}
