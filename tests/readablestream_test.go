//go:build !js

package tests

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// EventSource.fromReadableStream(), as the WHATWG pull request
// whatwg/html#12272 proposes it, checked as its web-platform-tests
// (web-platform-tests/wpt#58550) check it, plus reset().
func TestFromReadableStream(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/message", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain") // any body: the page parses it
		w.Write([]byte("id: 42\nretry: 5000\ndata: hello\n\n"))
	})
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const ES = sseshim.EventSource;
  const enc = new TextEncoder();
  const fromChunks = (chunks) => new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(typeof x === 'string' ? enc.encode(x) : x); c.close(); } });
  const fromString = (s) => fromChunks([s]);
  // collect runs a source until it is CLOSED and logs what it did.
  const collect = (es, types = []) => new Promise((resolve) => {
    const log = [];
    const push = (e) => log.push(e.type + ':' + JSON.stringify(e.data) + (e.lastEventId ? '#' + e.lastEventId : ''));
    es.onopen = () => log.push('open rs=' + es.readyState);
    es.onmessage = push;
    for (const t of types) es.addEventListener(t, push);
    es.onerror = () => { log.push('error rs=' + es.readyState); setTimeout(() => resolve(log), 200); };
  });
  const r = {};
  const es = ES.fromReadableStream(fromString(''));
  r.initial = [es instanceof ES, es.readyState, es.url, es.withCredentials, JSON.stringify(es.lastEventId), es.reconnectionTime > 0].join();
  await collect(es);
  const locked = new ReadableStream();
  locked.getReader();
  try { ES.fromReadableStream(locked); r.locked = 'no throw'; } catch (e) { r.locked = e.name; }
  try { ES.fromReadableStream('x'); r.notStream = 'no throw'; } catch (e) { r.notStream = e.name; }
  r.parsing = await collect(ES.fromReadableStream(fromChunks(['\xEF\xBB\xBF'.length ? new Uint8Array([0xEF, 0xBB, 0xBF]) : '',
    ': comment\ndata: hel', 'lo\ndata: world\n\nevent: custom\ndata: c\n\ndata: cr\r\rdata: lf\n\ndata: crlf\r\n\r\ndata: partial'])), ['custom']);
  const idsrc = ES.fromReadableStream(fromString('retry: bogus\nid: 42\nretry: 5000\ndata: x\n\n'));
  const before = idsrc.reconnectionTime;
  r.ids = await collect(idsrc);
  r.idState = [idsrc.lastEventId, idsrc.reconnectionTime, before].join();
  let m;
  const oe = ES.fromReadableStream(fromString('data: o\n\n'));
  oe.addEventListener('message', (e) => { m = e.origin; });
  await collect(oe);
  r.origin = m;
  r.errored = await collect(ES.fromReadableStream(new ReadableStream({ start(c) { c.enqueue(enc.encode('data: a\n\n')); setTimeout(() => c.error(new Error('boom')), 50); } })));
  // close() cancels the stream.
  let cancelled = false;
  const open = ES.fromReadableStream(new ReadableStream({ start(c) { c.enqueue(enc.encode('data: a\n\n')); }, cancel() { cancelled = true; } }));
  await new Promise((res) => { open.onmessage = res; });
  open.close();
  await new Promise((res) => setTimeout(res, 50));
  r.closeCancels = [open.readyState, cancelled].join();
  // The TransformStream pattern: successive bodies through one stream; the
  // id and the reconnection time persist, reset() drops an unfinished event.
  const ts = new TransformStream();
  const piped = ES.fromReadableStream(ts.readable);
  const pipedLog = collect(piped);
  await fromString('id: 42\nretry: 3000\ndata: first\n\ndata: unfini').pipeTo(ts.writable, { preventClose: true });
  await new Promise((res) => setTimeout(res, 50));
  r.afterFirst = [piped.lastEventId, piped.reconnectionTime].join();
  piped.reset();
  await fromString('shed\n\ndata: after-reconnect\n\n').pipeTo(ts.writable);
  r.piped = await pipedLog;
  // The page's lifecycle leaves a stream source alone: going offline does
  // not end it (it is the page's stream).
  const lts = new TransformStream();
  const lsrc = ES.fromReadableStream(lts.readable);
  const llog = collect(lsrc);
  const lw = lts.writable.getWriter();
  await lw.write(enc.encode('data: before\n\n'));
  dispatchEvent(new Event('offline'));
  await new Promise((res) => setTimeout(res, 50));
  await lw.write(enc.encode('data: after\n\n'));
  await lw.close();
  r.lifecycle = await llog;
  // batch: 'frame' delivers every event that arrived before the stream's end.
  const bsrc = ES.fromReadableStream(fromString('data: 1\n\ndata: 2\n\ndata: 3\n\n'), { batch: 'frame' });
  r.frame = await new Promise((resolve) => {
    const got = [];
    bsrc.addEventListener('batch', (e) => { for (const ev of e.events) got.push(ev.data); });
    bsrc.onerror = () => { got.push('error'); resolve(got.join()); };
  });
  // A fetch() body of any method.
  const res = await fetch('/message', { method: 'POST', body: 'x' });
  const fe = ES.fromReadableStream(res.body);
  r.fetched = await collect(fe);
  r.fetchedState = [fe.lastEventId, fe.reconnectionTime].join();
  return r;
})()`)
	assert.Equal(t, "true,0,about:event-stream,false,\"\",true", got["initial"])
	assert.Equal(t, "TypeError", got["locked"])
	assert.Equal(t, "TypeError", got["notStream"])
	assert.Equal(t, []any{"open rs=1", `message:"hello\nworld"`, `custom:"c"`, `message:"cr"`, `message:"lf"`, `message:"crlf"`, "error rs=2"}, got["parsing"],
		"BOM, comments, chunk splits, custom types, line ends; the unfinished event is dropped")
	assert.Equal(t, []any{"open rs=1", `message:"x"#42`, "error rs=2"}, got["ids"])
	assert.Equal(t, "42,5000,3000", got["idState"])
	assert.Equal(t, "null", got["origin"])
	assert.Equal(t, []any{"open rs=1", `message:"a"`, "error rs=2"}, got["errored"])
	assert.Equal(t, "2,true", got["closeCancels"])
	assert.Equal(t, "42,3000", got["afterFirst"])
	assert.Equal(t, []any{"open rs=1", `message:"first"#42`, `message:"after-reconnect"#42`, "error rs=2"}, got["piped"])
	assert.Equal(t, []any{"open rs=1", `message:"hello"#42`, "error rs=2"}, got["fetched"])
	assert.Equal(t, []any{"open rs=1", `message:"before"`, `message:"after"`, "error rs=2"}, got["lifecycle"], "offline does not touch a stream source")
	assert.Equal(t, "1,2,3,error", got["frame"], "records waiting for a frame come before the error")
	assert.Equal(t, "42,5000", got["fetchedState"])
}
