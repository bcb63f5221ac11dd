//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// iterateJS sets up, in the page, streams the test feeds by hand: feed(s)
// enqueues text into a fromReadableStream() source, and received(es, n)
// waits until n events of the source's types have been dispatched, so the
// tests control what has arrived before each next() without any timer.
const iterateJS = `
const ES = sseshim.EventSource;
const enc = new TextEncoder();
const manual = (options) => {
  let c, cancelled = false;
  const stream = new ReadableStream({ start(ctl) { c = ctl; }, cancel() { cancelled = true; } });
  const es = ES.fromReadableStream(stream, options);
  return { es, feed: (s) => c.enqueue(enc.encode(s)), end: () => c.close(), cancelled: () => cancelled };
};
const received = (es, n, type = 'message') => new Promise((resolve) => {
  let seen = 0;
  const on = () => { if (++seen === n) { es.removeEventListener(type, on); resolve(); } };
  es.addEventListener(type, on);
});
const show = (r) => (r.done ? 'done' : r.value.type + ':' + r.value.data);
const failure = (e) => [e.name, e instanceof sseshim.SseshimError, e instanceof Error, e.kind, e.status ?? '-'].join(' ');
`

// TestIterate: for await over a source, and source.events(options).
func TestIterate(t *testing.T) {
	s := newServer(t)
	// /fails: two attempts that each send an event and end (the first one
	// asks for a short retry), then a 404 that fails the source.
	var attempts atomic.Int32
	s.mux.HandleFunc("/fails", func(w http.ResponseWriter, r *http.Request) {
		n := attempts.Add(1)
		if n > 2 {
			http.NotFound(w, r)
			return
		}
		f := sseStart(w)
		fmt.Fprintf(w, "retry: 20\nid: %d\ndata: attempt %d\n\n", n, n)
		f.Flush()
	})
	s.mux.HandleFunc("/live", holdStream("data: one\n\nevent: other\ndata: skipped\n\ndata: two\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {`+iterateJS+`
  const r = {};

  // for await: message events only, in order; close() from the body ends it.
  {
    const es = new ES('/live');
    const seen = [];
    for await (const e of es) {
      seen.push(e.type + ':' + e.data + ':' + (e instanceof MessageEvent));
      if (seen.length === 2) es.close();
    }
    r.forAwait = seen;
  }

  // Events that arrive while the loop is busy wait in order, none lost; an
  // iterator sees what arrived from its creation on, each its own.
  {
    const m = manual();
    m.feed('data: before\n\n');
    await received(m.es, 1);
    const a = m.es.events();
    m.feed('data: 1\n\n');
    await received(m.es, 1);
    const b = m.es[Symbol.asyncIterator]();
    m.feed('data: 2\n\ndata: 3\n\n');
    await received(m.es, 2);
    const ra = [];
    for (let i = 0; i < 3; i++) ra.push(show(await a.next()));
    const rb = [show(await b.next()), show(await b.next())];
    // A next() that waits gets the next event.
    const waiting = a.next();
    m.feed('data: 4\n\n');
    ra.push(show(await waiting));
    rb.push(show(await b.next()));
    // The stream's clean end ends the iterations, after what was buffered.
    m.feed('data: 5\n\n');
    m.end();
    ra.push(show(await a.next()), show(await a.next()));
    rb.push(show(await b.next()), show(await b.next()));
    r.buffered = { a: ra, b: rb, self: a[Symbol.asyncIterator]() === a };
  }

  // Past highWaterMark the source closes and the iterator throws overflow,
  // after the events it buffered.
  {
    const m = manual();
    const it = m.es.events({ highWaterMark: 2 });
    m.feed('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    await received(m.es, 3);
    const seen = [show(await it.next()), show(await it.next())];
    try { seen.push(show(await it.next())); } catch (e) { seen.push(failure(e), e.message); }
    seen.push(show(await it.next()), m.es.readyState, m.cancelled());
    r.overflow = seen;
  }

  // Leaving the loop closes the source (and cancels a stream's)...
  {
    const m = manual();
    m.feed('data: 1\n\ndata: 2\n\n');
    for await (const e of m.es) break;
    await Promise.resolve();
    r.breakCloses = [m.es.readyState, m.cancelled()];
  }
  // ...and so does a throw; preventClose keeps it open for the next loop.
  {
    const m = manual();
    m.feed('data: 1\n\ndata: 2\n\n');
    const seen = [];
    for await (const e of m.es.events({ preventClose: true })) { seen.push(e.data); break; }
    m.feed('data: 3\n\n');
    for await (const e of m.es.events({ preventClose: true })) { seen.push(e.data); break; }
    seen.push(m.es.readyState);
    const thrown = m.es.events();
    m.feed('data: 4\n\n');
    try { for await (const e of thrown) throw new Error('boom'); } catch (e) { seen.push(e.message); }
    seen.push(m.es.readyState, m.cancelled());
    r.preventClose = seen;
  }

  // types: any event types, in one order of arrival.
  {
    const m = manual();
    const it = m.es.events({ types: ['a', 'b'] });
    m.feed('event: a\ndata: 1\n\ndata: m\n\nevent: b\ndata: 2\n\nevent: c\ndata: 3\n\n');
    m.end();
    const seen = [];
    for await (const e of it) seen.push(e.type + ':' + e.data);
    r.types = seen;
  }

  // Batch mode iterates batch events.
  {
    const m = manual({ batch: true });
    const seen = [];
    m.feed('data: 1\n\ndata: 2\n\n');
    m.end();
    for await (const e of m.es) seen.push(e.type + ':' + e.events.map((x) => x.data).join('+'));
    r.batch = seen;
  }

  // A source that fails for good: its events, not its error events on the
  // way (reconnects go on), then a rejection; an iterator made later too.
  {
    const es = new ES('/fails');
    const seen = [];
    try {
      for await (const e of es) seen.push(e.data + '#' + e.lastEventId);
      seen.push('done');
    } catch (e) { seen.push(failure(e)); }
    try { await es.events().next(); seen.push('later: no rejection'); } catch (e) { seen.push('later: ' + failure(e)); }
    r.fails = seen;
  }

  // Bad options are TypeErrors that name them.
  const attempt = (o) => { try { new ES('/live', { lifecycle: false }).events(o); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
  r.bad = [attempt({ hwm: 5 }), attempt({ highWaterMark: 0 }), attempt({ highWaterMark: 1.5 }),
    attempt({ types: 'message' }), attempt({ types: [1] }), attempt({ preventClose: 'yes' }), attempt(42)];
  return r;
})()`)

	assert.Equal(t, []any{"message:one:true", "message:two:true"}, got["forAwait"], "message events only; close() ends the loop")
	assert.Equal(t, map[string]any{
		"a":    []any{"message:1", "message:2", "message:3", "message:4", "message:5", "done"},
		"b":    []any{"message:2", "message:3", "message:4", "message:5", "done"},
		"self": true,
	}, got["buffered"])
	assert.Equal(t, []any{"message:1", "message:2", "SseshimError true true overflow -",
		"sseshim: more than 2 events waited for the loop (highWaterMark): the source is closed; make the loop body faster or raise highWaterMark",
		"done", float64(2), true}, got["overflow"])
	assert.Equal(t, []any{float64(2), true}, got["breakCloses"], "break closes the source and cancels its stream")
	assert.Equal(t, []any{"1", "3", float64(1), "boom", float64(2), true}, got["preventClose"])
	assert.Equal(t, []any{"a:1", "b:2"}, got["types"])
	assert.Equal(t, []any{"batch:1+2"}, got["batch"])
	assert.Equal(t, []any{"attempt 1#1", "attempt 2#2", "SseshimError true true status 404", "later: SseshimError true true status 404"}, got["fails"])
	assert.Equal(t, []any{
		"TypeError: sseshim: events() option hwm is unknown (known: types, preventClose, highWaterMark)",
		"TypeError: sseshim: events() option highWaterMark must be an integer of at least 1",
		"TypeError: sseshim: events() option highWaterMark must be an integer of at least 1",
		"TypeError: sseshim: events() option types must be an array of strings",
		"TypeError: sseshim: events() option types must be an array of strings",
		"TypeError: sseshim: events() option preventClose must be a boolean",
		"TypeError: sseshim: events() takes an object: { types, preventClose, highWaterMark }",
	}, got["bad"])
}
