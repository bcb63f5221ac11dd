//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requestLog records each request a test's stream gets: its path and query,
// and a channel closed when the client goes away.
type requestLog struct {
	mu   sync.Mutex
	reqs []loggedReq
}

type loggedReq struct {
	uri  string
	gone chan struct{}
}

// stream answers with body and holds the connection until the client leaves.
func (l *requestLog) stream(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := loggedReq{uri: r.URL.RequestURI(), gone: make(chan struct{})}
		l.mu.Lock()
		l.reqs = append(l.reqs, q)
		l.mu.Unlock()
		defer close(q.gone)
		f := sseStart(w)
		fmt.Fprint(w, body)
		f.Flush()
		<-r.Context().Done()
	}
}

// of returns the requests for uri so far.
func (l *requestLog) of(uri string) []loggedReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedReq
	for _, q := range l.reqs {
		if q.uri == uri {
			out = append(out, q)
		}
	}
	return out
}

// waitGone waits for the client to leave each of reqs.
func waitGone(t *testing.T, reqs []loggedReq, what string) {
	t.Helper()
	require.NotEmpty(t, reqs, what+": no request")
	for _, q := range reqs {
		select {
		case <-q.gone:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the request to %s is still open", what, q.uri)
		}
	}
}

// The signal option: its abort closes the source as close() does (CLOSED,
// no error event, the request aborted) and ends a for await loop; the
// source removes its abort listener once closed, whatever closed it, so a
// long-lived signal keeps no closed source alive.
func TestSignalAbortClosesTheSource(t *testing.T) {
	s := newServer(t)
	var l requestLog
	s.mux.HandleFunc("/sig/a", l.stream("data: hello\n\n"))
	s.mux.HandleFunc("/sig/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const r = {};
  const ac = new AbortController();
  // Count the abort listeners the sources leave on the signal.
  let listeners = 0;
  const add = ac.signal.addEventListener, remove = ac.signal.removeEventListener;
  ac.signal.addEventListener = function (type, ...rest) { if (type === 'abort') listeners++; return add.call(this, type, ...rest); };
  ac.signal.removeEventListener = function (type, ...rest) { if (type === 'abort') listeners--; return remove.call(this, type, ...rest); };
  const log = [];
  const es = new sseshim.EventSource('/sig/a', { signal: ac.signal });
  es.onerror = (e) => log.push('error ' + e.kind);
  const iterated = (async () => { const seen = []; for await (const e of es) seen.push(e.data); return 'done ' + seen.join(); })();
  await new Promise((res) => { es.addEventListener('message', res); });
  r.listenersOpen = listeners;
  ac.abort();
  r.readyState = es.readyState;
  r.iterated = await iterated;
  // A source closed by close(), and one that failed for good (204), leave
  // no listener either.
  const closed = new sseshim.EventSource('/sig/a?closed', { signal: ac.signal });
  r.listenersAfterAbort = listeners;
  r.closedFromStart = closed.readyState;
  const ac2 = new AbortController();
  let n = 0;
  ac2.signal.addEventListener = function (type, ...rest) { if (type === 'abort') n++; return add.call(this, type, ...rest); };
  ac2.signal.removeEventListener = function (type, ...rest) { if (type === 'abort') n--; return remove.call(this, type, ...rest); };
  const byClose = new sseshim.EventSource('/sig/a?byclose', { signal: ac2.signal });
  await new Promise((res) => { byClose.onmessage = res; });
  byClose.close();
  const failed = new sseshim.EventSource('/sig/gone', { signal: ac2.signal });
  await new Promise((res) => { failed.onerror = () => { if (failed.readyState === 2) res(); }; });
  r.listenersLeft = n;
  // From here on an error event of either source is logged: the abort
  // must fire none.
  byClose.onerror = (e) => log.push('byClose error ' + e.kind);
  failed.onerror = (e) => log.push('failed error ' + e.kind);
  ac2.abort(); // nothing left to close: no error, no throw
  // An error event would be a task of its own: let one run before the
  // absence check.
  await new Promise((res) => setTimeout(res, 100));
  r.log = log;
  r.finalStates = [es.readyState, byClose.readyState, failed.readyState].join();
  return r;
})()`)
	assert.Equal(t, float64(1), got["listenersOpen"])
	assert.Equal(t, float64(2), got["readyState"], "CLOSED at once")
	assert.Equal(t, "done hello", got["iterated"], "the abort ended the iteration as close() does")
	assert.Equal(t, float64(0), got["listenersAfterAbort"], "no listener left on an aborted signal")
	assert.Equal(t, float64(2), got["closedFromStart"])
	assert.Equal(t, float64(0), got["listenersLeft"], "close() and a failure remove the listener")
	assert.Empty(t, got["log"], "an abort fires no error event")
	assert.Equal(t, "2,2,2", got["finalStates"])
	waitGone(t, l.of("/sig/a"), "the aborted source")
	waitGone(t, l.of("/sig/a?byclose"), "the closed source")
	assert.Empty(t, l.of("/sig/a?closed"), "a source with an aborted signal sends no request")
}

// A signal already aborted gives a source that is CLOSED from the start and
// sends no request: not even the first request the shim begins while the
// engine loads (prefetch.js), nor a join of a shared connection. A stream
// handed over is cancelled.
func TestSignalAlreadyAborted(t *testing.T) {
	s := newServer(t)
	var l requestLog
	s.mux.HandleFunc("/sig/s", l.stream("data: hello\n\n"))
	s.mux.HandleFunc("/sig/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
window.log = [];
const aborted = AbortSignal.abort();
// Made before the engine has loaded: an open source's first request would
// go out at once.
window.first = new sseshim.EventSource('/sig/s?aborted', { signal: aborted });
window.firstState = first.readyState;
window.shared = new sseshim.EventSource('/sig/s?shared', { signal: aborted, share: true });
for (const es of [first, shared]) {
  es.onopen = es.onerror = es.onmessage = (e) => log.push(e.type);
}
window.control = new sseshim.EventSource('/sig/s?control');
window.controlMessage = new Promise((res) => { control.onmessage = (e) => { control.close(); res(e.data); }; });
</script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/sig/page.html")
	got := eval[map[string]any](tb, `(async () => {
  const r = { firstState: firstState, sharedState: shared.readyState, control: await controlMessage };
  r.iterated = await (async () => { const seen = []; for await (const e of first) seen.push(e); return 'done ' + seen.length; })();
  const enc = new TextEncoder();
  let cancelled = false;
  const stream = new ReadableStream({ start(c) { c.enqueue(enc.encode('data: x\n\n')); }, cancel() { cancelled = true; } });
  const fromStream = sseshim.EventSource.fromReadableStream(stream, { signal: AbortSignal.abort() });
  fromStream.onmessage = fromStream.onerror = (e) => log.push('stream ' + e.type);
  r.streamState = fromStream.readyState;
  // Wait for the cancel (5 s at most): once cancelled, the stream has
  // nothing more to deliver.
  for (let i = 0; i < 250 && !cancelled; i++) await new Promise((res) => setTimeout(res, 20));
  r.cancelled = cancelled;
  r.notShared = shared.stats.shared;
  r.log = log;
  return r;
})()`)
	assert.Equal(t, float64(2), got["firstState"], "CLOSED from the start")
	assert.Equal(t, float64(2), got["sharedState"])
	assert.Equal(t, "hello", got["control"], "the engine loaded and served a source made after")
	assert.Equal(t, "done 0", got["iterated"])
	assert.Equal(t, float64(2), got["streamState"])
	assert.Equal(t, true, got["cancelled"], "the stream handed over is cancelled")
	assert.Empty(t, got["log"], "no open, message or error")
	assert.Len(t, l.of("/sig/s?control"), 1)
	assert.Empty(t, l.of("/sig/s?aborted"), "no request, not even the prefetch")
	assert.Empty(t, l.of("/sig/s?shared"), "no request for a shared source either")
}

// An abort closes a shared source alone: its group's connection goes on
// for the others. It also cancels a stream handed over by
// fromReadableStream().
func TestSignalWithShareAndStreams(t *testing.T) {
	s := newShareServer(t)
	tb := newTab(t)
	tb.navigate(s.URL + "/share.html")
	got := eval[map[string]any](tb, `(async () => {
  const ac = new AbortController();
  const a = open({ share: true, signal: ac.signal });
  const b = open({ share: true });
  const enough = (r, n) => new Promise((res) => { const c = () => (r.ids.length >= n ? res() : setTimeout(c, 20)); c(); });
  await enough(a, 3);
  await enough(b, 3);
  const r = { shared: [a.es.stats.shared, b.es.stats.shared].join(), tabs: b.es.stats.tabs };
  ac.abort();
  r.state = a.es.readyState;
  const at = a.ids.length;
  await enough(b, b.ids.length + 5);
  r.grew = a.ids.length - at;
  r.otherState = b.es.readyState;
  r.errors = a.errors.concat(b.errors);
  b.es.close();

  const enc = new TextEncoder();
  let cancelled = false;
  const sc = new AbortController();
  const stream = new ReadableStream({ start(c) { c.enqueue(enc.encode('data: x\n\n')); }, cancel() { cancelled = true; } });
  const es = sseshim.EventSource.fromReadableStream(stream, { signal: sc.signal });
  const errors = [];
  es.onerror = (e) => errors.push(e.kind);
  await new Promise((res) => { es.onmessage = res; });
  sc.abort();
  r.streamState = es.readyState;
  await new Promise((res) => { const c = () => (cancelled ? res() : setTimeout(c, 20)); c(); });
  r.cancelled = cancelled;
  r.streamErrors = errors;
  return r;
})()`)
	assert.Equal(t, "true,true", got["shared"])
	assert.Equal(t, float64(2), got["state"])
	assert.Equal(t, float64(0), got["grew"], "nothing reaches an aborted shared source")
	assert.Equal(t, float64(1), got["otherState"], "the other member stays open")
	assert.Empty(t, got["errors"])
	assert.Equal(t, float64(2), got["streamState"])
	assert.Equal(t, true, got["cancelled"])
	assert.Empty(t, got["streamErrors"])
	assert.Equal(t, int32(1), s.conns.Load(), "one connection served both members")
}

// A signal that is not an AbortSignal is a TypeError naming the option.
func TestSignalBadInput(t *testing.T) {
	s := newServer(t)
	tb := openHarness(t, s)
	got := eval[[]string](tb, `(() => {
  const out = [];
  for (const v of [{}, { aborted: false, addEventListener() {} }, new AbortController(), 'x', null]) {
    try { new sseshim.EventSource('/nowhere', { signal: v }).close(); out.push('accepted'); } catch (e) { out.push(e.name + ': ' + e.message); }
  }
  try { sseshim.EventSource.fromReadableStream(new ReadableStream(), { signal: 1 }); out.push('accepted'); } catch (e) { out.push(e.name + ': ' + e.message); }
  // A signal of another realm (a same-origin frame's) is an AbortSignal.
  const frame = document.createElement('iframe');
  document.body.append(frame);
  const ac = new frame.contentWindow.AbortController();
  const es = new sseshim.EventSource('/nowhere', { signal: ac.signal });
  ac.abort();
  out.push('other realm: ' + es.readyState);
  frame.remove();
  return out;
})()`)
	require.Len(t, got, 7)
	assert.Equal(t, "other realm: 2", got[6], "a frame's signal is accepted and closes the source")
	for i, g := range got[:6] {
		if i == 4 {
			assert.Equal(t, "accepted", g, "null is no signal, as undefined")
			continue
		}
		assert.Regexp(t, `^TypeError: sseshim: option signal must be an AbortSignal`, g, "case %d", i)
	}
}
