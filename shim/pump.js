// The pump: reads a response body into the engine, one chunk per call.

import { FEED } from './protocol.js';

// pumpBody reads a response body for the engine (wasm/internal/jsbridge/
// body.go): it copies each chunk into the engine's memory at [at, at + size)
// and calls the engine's exported FEED(id, length), which decodes the
// chunk and delivers its events before it returns — a plain wasm call, far
// cheaper than a js.FuncOf callback. A chunk larger than size is fed in
// pieces. When a feed returns false the engine wants no more: the pump stops
// and calls done(null), a js.FuncOf, so that the engine's goroutines run;
// otherwise done(reason) says how the stream ended (null: at its end). own:
// the chunks are the fetch's own, not a page's stream's.
//
// A read of data already queued resolves in a microtask of the same task, so
// a flood (a backlog after a stall, a gzip bomb of line ends) would hold the
// page's event loop until it is through: after BUSY_MS of such work the pump
// lets the page run a task (setTimeout) before it goes on. A read that took
// WAITED_MS or more waited for the network (the event loop ran meanwhile).
const BUSY_MS = 20;
const WAITED_MS = 0.1;
export function pumpBody(go, wasm, reader, id, at, size, done, own) {
  const now = () => performance.now();
  let busySince = now();
  let chunk = null;
  let off = 0;
  // A view of the engine's whole memory, made again only when the memory
  // has grown (its old buffer is then detached, and the view empty).
  let mem = new Uint8Array(wasm.mem.buffer);
  // (A Go program that has exited must not be entered again.)
  const finish = (reason) => { if (!go.exited) done(reason); };
  const pause = () => setTimeout(() => { busySince = now(); next(false); }, 0);
  // next feeds what is left of the chunk, then reads the next one. waited:
  // the chunk came after a wait for the network, which ended the busy spell
  // (the clock need not be read again before its first piece).
  const next = (waited) => {
    while (chunk) {
      if (!waited && now() - busySince >= BUSY_MS) { pause(); return; }
      waited = false;
      const c = chunk;
      const n = Math.min(c.length - off, size);
      if (mem.length === 0) mem = new Uint8Array(wasm.mem.buffer);
      mem.set(off === 0 && n === c.length ? c : c.subarray(off, off + n), at);
      off += n;
      if (off >= c.length) chunk = null;
      let more = false;
      try {
        if (!go.exited) more = wasm[FEED](id, n);
      } catch {
        // the engine failed; the shim fails its sources
      }
      if (go.exited) { reader.cancel().catch(() => {}); return; }
      if (!more) { finish(null); return; }
      // Detaching a fed chunk's buffer (the fetch's own: a page's stream may
      // still use its chunks) frees its memory now, not when the collector
      // gets to it: a long stream's heap stays flat.
      if (!chunk && own && c.buffer.transfer) c.buffer.transfer(0);
    }
    const asked = now();
    reader.read().then((r) => {
      if (r.done) { finish(null); return; }
      const t = now();
      const waited = t - asked >= WAITED_MS;
      if (waited) busySince = t;
      // (Not instanceof: a stream from another realm gives that realm's.)
      if (Object.prototype.toString.call(r.value) !== '[object Uint8Array]') {
        finish(new TypeError(`sseshim: the stream gave a chunk that is not a Uint8Array (${typeof r.value})`));
        return;
      }
      chunk = r.value.length ? r.value : null;
      off = 0;
      next(waited);
    }, finish);
  };
  next(false);
}
