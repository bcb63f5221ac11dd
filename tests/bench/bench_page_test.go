//go:build !js

package bench

import "strings"

// The benchmark's pages. benchPage runs one stream at a time through one
// variant (runBench); startupPage measures a variant's start-up in a tab of
// its own. Every handler does the same work whatever delivers the event: it
// checks the event's data exactly (text: every character; Losant: both JSON
// levels parsed and the fields compared; Disruptive Technologies: the event
// parsed and its id, type and values compared), so that a variant that drops,
// reorders or garbles an event does not score.

const benchPage = `<!doctype html><meta charset="utf-8"><title>bench</title>
<script>window.NativeEventSource = window.EventSource;</script>
<script src="/bdist/sseshim.js" data-polyfill="off"></script>
<script src="/lib/npm-eventsource.js"></script>
<script src="/lib/event-source-polyfill.js"></script>
<script src="/bench/data.js"></script>
<script>
// variants: how each opens a stream. batch: events arrive as records of
// 'batch' events; json: the handler reads e.json instead of parsing.
const variants = {
  native: { ctor: () => NativeEventSource },
  sseshim: { ctor: () => sseshim.EventSource, opts: {} },
  'sseshim-json': { ctor: () => sseshim.EventSource, opts: { json: true }, json: true },
  'sseshim-batch': { ctor: () => sseshim.EventSource, opts: { batch: true }, batch: true },
  'sseshim-batch-json': { ctor: () => sseshim.EventSource, opts: { batch: true, json: true }, batch: true, json: true },
  'floor-events': { ctor: () => FloorEventSource },
  'floor-wasm': { ctor: () => FloorWasmEventSource },
  'floor-go': { ctor: () => FloorGoEventSource, ready: () => loadGoFloor() },
  eventsource: { ctor: () => NpmEventSource },
  'event-source-polyfill': { ctor: () => EventSourcePolyfill, opts: { heartbeatTimeout: 600000 } },
};
const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// heapAfterGC: performance.memory is refreshed at most every 50 ms.
const heapAfterGC = async () => { gc(); await sleep(60); return performance.memory.usedJSHeapSize; };
const wasmMem = () => (window.__sseshim && __sseshim.instance ? __sseshim.instance.exports.mem.buffer.byteLength : 0);
const SEQ = (i) => String(i).padStart(12, '0');
const NAMES = BENCH.names, TOPIC = BENCH.topic;
const dtTemp = (i) => (i % 160) * 0.25 - 20;

// checkers: ok(e, i) for event i, e an event or a batch record.
function textCheck(size) {
  const tails = BENCH.tails[size], R = tails.length;
  return (e, i) => {
    const d = e.data;
    return e.type === 'message' && d.slice(12) === tails[i % R] && d.slice(0, 12) === SEQ(i);
  };
}
const losantFields = (o, m, i) => o.topic === TOPIC && m.data.seq === i && m.data.name === NAMES[i % NAMES.length] && m.data.unit === '°C';
// As the Experience page reads them: the event's data, then its message.
const losantHand = (e, i) => {
  if (e.type !== 'mqttMessage') return false;
  const o = JSON.parse(e.data);
  return losantFields(o, JSON.parse(o.message), i);
};
const losantJSON = (e, i) => {
  if (e.type !== 'mqttMessage') return false;
  const o = e.json;
  return losantFields(o, o.message, i);
};
const dtFields = (e, ev, i) => ev.eventId === e.lastEventId && +ev.eventId.slice(1) === i && ev.eventType === e.type &&
  (i % 8 === 0
    ? e.type === 'labelsChanged' && ev.data.modified.name === NAMES[i % NAMES.length]
    : e.type === 'temperature' && ev.data.temperature.value === dtTemp(i));
const dtHand = (e, i) => dtFields(e, JSON.parse(e.data), i);
const dtJSON = (e, i) => dtFields(e, e.json, i);

function streamURL(kind, n, size, rid) {
  const q = '?n=' + n + '&rid=' + rid;
  switch (kind) {
    case 'losant': return '/bench/losant' + q;
    case 'dt': return '/bench/dt' + q;
    case 'paced': return '/bench/paced' + q;
    default: return '/bench/text' + q + '&size=' + size;
  }
}

// runBench streams n events of a kind (text, losant, dt, paced, memory)
// through a variant and reports what it got.
window.runBench = async (variant, kind, n, size, timeout, rid) => {
  const url = streamURL(kind, n, size, rid);
  if (variant === 'fetch') return fetchFloor(url, kind, n, timeout);
  const v = variants[variant];
  const ES = v.ctor();
  let opts = v.opts ? { ...v.opts } : undefined;
  if (kind === 'dt') {
    if (!opts || !variant.startsWith('sseshim')) throw new Error(variant + ' cannot read NDJSON');
    opts.format = 'ndjson';
  }
  if (v.ready) await v.ready();
  const memory = kind === 'memory';
  let base = 0, peak = 0, sampler = 0;
  if (memory) {
    // A closed stream's buffers (npm eventsource's, event-source-polyfill's)
    // are let go a little after close(): the previous run would otherwise
    // lend this one a negative retained heap.
    await sleep(300);
    base = await heapAfterGC();
    peak = base;
    sampler = setInterval(() => { peak = Math.max(peak, performance.memory.usedJSHeapSize); }, 50);
  }
  return new Promise((resolve) => {
    let got = 0, bad = 0, finished = false, es, timer = 0;
    const lat = [];
    const t0 = performance.now();
    const finish = async (err) => {
      if (finished) return;
      finished = true;
      const ms = performance.now() - t0;
      clearTimeout(timer); // else it keeps this run's objects alive into the next runs' heap figures
      let mem = null;
      if (memory) {
        clearInterval(sampler);
        peak = Math.max(peak, performance.memory.usedJSHeapSize);
        const retained = await heapAfterGC(); // the source still open
        mem = { peak: peak - base, retained: retained - base, wasm: wasmMem() };
      }
      es.close();
      lat.sort((a, b) => a - b);
      const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] / 1000 : 0);
      resolve({ events: got, bad, ms, err: err || '', p50: q(0.5), p99: q(0.99), mem, bytes: 0 });
    };
    let ok;
    switch (kind) {
      case 'losant': ok = v.json ? losantJSON : losantHand; break;
      case 'dt': ok = v.json ? dtJSON : dtHand; break;
      case 'paced': ok = null; break;
      default: ok = textCheck(size);
    }
    const one = ok
      ? (e) => { if (!ok(e, got)) bad++; got++; }
      : (e) => { lat.push(nowMicros() - +e.data); got++; };
    const done = () => finish(got === n ? '' : 'short');
    es = opts ? new ES(url, opts) : new ES(url);
    if (v.batch) {
      es.addEventListener('batch', (b) => {
        const evs = b.events;
        for (let k = 0; k < evs.length; k++) {
          const r = evs[k];
          if (r.type === 'done') { done(); return; }
          one(r);
        }
      });
    } else {
      if (kind === 'losant') es.addEventListener('mqttMessage', one);
      else if (kind === 'dt') { es.addEventListener('temperature', one); es.addEventListener('labelsChanged', one); }
      else es.onmessage = one;
      es.addEventListener('done', done);
    }
    es.onerror = () => { if (es.readyState === 2) finish('closed'); };
    timer = setTimeout(() => finish('timeout'), timeout);
  });
};

// FloorEventSource is the second fetch() floor: the least work any
// EventSource built on fetch() does for each event that a page receives as
// the browser's own delivers it — read the body, decode it with a
// TextDecoder, make a MessageEvent and dispatch it — with a parser that
// knows only what the benchmark's streams send (LF line ends, one data line
// an event, no comments, no retry) and no reconnection: a floor, not a
// client. Its MessageEvent is made the cheapest way found for a real one
// (the subclass sseshim uses).
class FloorMessageEvent extends MessageEvent {
  #data; #origin; #lastEventId;
  constructor(type, data, origin, lastEventId) { super(type); this.#data = data; this.#origin = origin; this.#lastEventId = lastEventId; }
  get data() { return this.#data; }
  get origin() { return this.#origin; }
  get lastEventId() { return this.#lastEventId; }
}
class FloorEventSource extends EventTarget {
  #ctrl = new AbortController();
  #on = {};
  #origin = location.origin;
  #id = '';
  #rest = '';
  readyState = 0;
  constructor(url) { super(); this.#run(url); }
  set onmessage(f) { this.#handler('message', f); }
  set onerror(f) { this.#handler('error', f); }
  #handler(type, f) {
    if (this.#on[type]) this.removeEventListener(type, this.#on[type]);
    this.#on[type] = f;
    if (f) this.addEventListener(type, f);
  }
  close() { this.readyState = 2; this.#ctrl.abort(); }
  // chunk takes one chunk of the body; text dispatches what it decoded.
  chunk(value, dec) { this.text(dec.decode(value, { stream: true })); }
  text(t) {
    const blocks = (this.#rest + t).split('\n\n');
    this.#rest = blocks.pop();
    for (const b of blocks) {
      let type = 'message', data = '';
      for (const l of b.split('\n')) {
        if (l.startsWith('data: ')) data = l.slice(6);
        else if (l.startsWith('event: ')) type = l.slice(7);
        else if (l.startsWith('id: ')) this.#id = l.slice(4);
      }
      if (this.readyState === 2) return;
      this.dispatchEvent(new FloorMessageEvent(type, data, this.#origin, this.#id));
    }
  }
  async #run(url) {
    try {
      const res = await fetch(url, { signal: this.#ctrl.signal, cache: 'no-store', headers: { Accept: 'text/event-stream' } });
      this.readyState = 1;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.chunk(value, dec);
      }
    } catch {
      // aborted by close(), or failed: the run reports what it got
    }
    if (this.readyState === 2) return;
    this.readyState = 2;
    this.dispatchEvent(new Event('error'));
  }
}

// FloorWasmEventSource is the third floor: the second's work, with each
// chunk passing through WebAssembly as it does in any engine compiled to
// it — copied into the module's memory, one call into its export per piece
// of up to 64 KiB, and from there one call back to JavaScript (the
// delivery), which decodes the piece where it lies in the module's memory.
// The module does nothing else (floorWasm: a hand-written module of 61
// bytes, no language runtime): the least a wasm engine adds to a fetch()
// EventSource per chunk.
//
//   (import "e" "d" (func $deliver (param i32 i32)))  ;; at, length
//   (memory (export "m") 1)
//   (func (export "f") (param $n i32) (call $deliver (i32.const 0) (local.get $n)))
const floorWasm = new WebAssembly.Module(new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x00, // types: (i32 i32) → (), (i32) → ()
  0x02, 0x07, 0x01, 0x01, 0x65, 0x01, 0x64, 0x00, 0x00, // import e.d, type 0
  0x03, 0x02, 0x01, 0x01, // one function, type 1
  0x05, 0x03, 0x01, 0x00, 0x01, // a memory of one page
  0x07, 0x09, 0x02, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x66, 0x00, 0x01, // exports m (memory 0), f (function 1)
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, // f: i32.const 0, local.get 0, call 0
]));
class FloorWasmEventSource extends FloorEventSource {
  #dec = null;
  #wasm = new WebAssembly.Instance(floorWasm, { e: { d: (at, n) => this.text(this.#dec.decode(this.#mem.subarray(at, at + n), { stream: true })) } }).exports;
  #mem = new Uint8Array(this.#wasm.m.buffer);
  chunk(value, dec) {
    this.#dec = dec;
    for (let off = 0; off < value.length && this.readyState !== 2; off += this.#mem.length) {
      const piece = value.subarray(off, off + this.#mem.length);
      this.#mem.set(piece);
      this.#wasm.f(piece.length);
    }
  }
}

// FloorGoEventSource is the fourth floor: the third's, with the module a Go
// program (testdata/gofloor, served under /floor/ where the benchmark built
// it) whose export calls back through safejs, as sseshim's engine does: what
// Go's runtime and syscall/js add per chunk, without the engine's own work.
// Feeds never nest, so one program serves every source: the one feeding is
// goFloorProgram.current.
let goFloor = null, goFloorProgram = null;
function loadGoFloor() {
  return goFloor ||= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/floor/wasm_exec.js';
    s.onerror = () => reject(new Error('the Go floor is not built here'));
    s.onload = () => {
      const go = new Go();
      const f = { current: null, exports: null, mem: null, at: 0, size: 0, dec: null };
      window.__goFloorDeliver = (at, n) => f.current.text(f.dec.decode(new Uint8Array(f.exports.mem.buffer, at, n), { stream: true }));
      window.__goFloorReady = (at, size) => { f.at = at; f.size = size; goFloorProgram = f; resolve(); };
      WebAssembly.instantiateStreaming(fetch('/floor/gofloor.wasm'), go.importObject).then((r) => {
        f.exports = r.instance.exports;
        go.run(r.instance);
      }, reject);
    };
    document.head.append(s);
  });
}
class FloorGoEventSource extends FloorEventSource {
  chunk(value, dec) {
    const f = goFloorProgram;
    f.current = this;
    f.dec = dec;
    for (let off = 0; off < value.length && this.readyState !== 2; off += f.size) {
      const piece = value.subarray(off, off + f.size);
      new Uint8Array(f.exports.mem.buffer, f.at, piece.length).set(piece);
      f.exports.floorFeed(piece.length);
    }
  }
}

// fetchFloor is the ceiling for any fetch-based client: read the stream
// and count its bytes, nothing else (for the paced stream, also find each
// event's timestamp, to time it). The stream's end is its done marker.
async function fetchFloor(url, kind, n, timeout) {
  const marker = new TextEncoder().encode(kind === 'dt' ? BENCH.markers.ndjson : BENCH.markers.sse);
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  const t0 = performance.now();
  let bytes = 0, got = 0, err = 'ended', last = new Uint8Array(0);
  const lat = [];
  const dec = kind === 'paced' ? new TextDecoder() : null;
  let text = '';
  try {
    const res = await fetch(url, { signal: ctrl.signal, cache: 'no-store', headers: { Accept: 'text/event-stream' } });
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (dec) {
        const at = nowMicros();
        text += dec.decode(value, { stream: true });
        const lines = text.split('\n');
        text = lines.pop();
        for (const l of lines) {
          if (l.startsWith('data: ') && l !== 'data: .') { lat.push(at - +l.slice(6)); got++; }
        }
      }
      // the last marker.length bytes seen
      if (value.length >= marker.length) last = value.subarray(value.length - marker.length);
      else { const j = new Uint8Array(last.length + value.length); j.set(last); j.set(value, last.length); last = j.subarray(Math.max(0, j.length - marker.length)); }
      if (last.length === marker.length && last.every((b, k) => b === marker[k])) { err = ''; break; }
    }
  } catch (e) {
    err = ctrl.signal.aborted ? 'timeout' : String(e);
  }
  const ms = performance.now() - t0;
  clearTimeout(timer);
  ctrl.abort();
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] / 1000 : 0);
  return { events: err ? 0 : (dec ? got : n), bad: 0, ms, err, p50: q(0.5), p99: q(0.99), mem: null, bytes };
}
</script>`

// startupPage measures from the script include to the first event (for
// the bare Go program: to its function being registered), and lists what
// the page loaded. %s: the scripts, then the code that starts and calls
// done().
const startupPage = `<!doctype html><meta charset="utf-8"><title>startup</title>
<script>
window.t0 = performance.now();
const fail = (what) => { if (!window.startup) window.startup = { error: String(what) }; };
window.onerror = (msg) => fail(msg);
window.onunhandledrejection = (e) => fail(e.reason && e.reason.message || e.reason);
// done records the start-up, what the page loaded, and for a Go program
// when its module arrived, was instantiated and was ready (ms after t0).
window.done = (wasm) => {
  const ms = performance.now() - t0;
  performance.mark('startup:done');
  const entries = performance.getEntriesByType('resource');
  // (A new browser's first page may also fetch /favicon.ico: not the page's.)
  const resources = entries.map((e) => new URL(e.name).pathname).filter((p) => !p.startsWith('/bench/') && p !== '/favicon.ico');
  const mark = (...names) => {
    for (const n of names) { const e = performance.getEntriesByName(n)[0]; if (e) return e.startTime - t0; }
    return 0;
  };
  const module = entries.find((e) => new URL(e.name).pathname.endsWith('.wasm'));
  const marks = wasm ? {
    fetched: module ? module.responseEnd - t0 : 0,
    instantiated: mark('sseshim:instantiated', 'bare:instantiated'),
    ready: mark('sseshim:ready', 'bare:ready'),
  } : {};
  window.startup = { ms, resources, wasm: wasm || 0, marks };
};
</script>
%s`

// startupCode is, for each variant that has a start-up, what its start-up
// page runs.
var startupCode = map[string]string{
	"native": `<script>
  const es = new EventSource('/bench/first');
  es.onmessage = () => { es.close(); done(); };
  es.onerror = (e) => fail('error event ' + (e.message || ''));
</script>`,
	"sseshim": `<script src="/bdist/sseshim.js" data-polyfill="off"></script>
<script>
  const es = new sseshim.EventSource('/bench/first');
  es.onmessage = () => { es.close(); done(window.__sseshim && __sseshim.instance ? __sseshim.instance.exports.mem.buffer.byteLength : -1); };
  es.onerror = (e) => fail('error event ' + (e.kind || '') + ' ' + (e.message || ''));
</script>`,
	// The README's preload recipe: the module's fetch begins while
	// sseshim.js is still loading, and the loader's fetch() takes the
	// preloaded response (same URL, mode cors, credentials same-origin: hence
	// crossorigin).
	"sseshim-preload": `<link rel="preload" href="/bdist/sseshim.wasm" as="fetch" type="application/wasm" crossorigin>
<script src="/bdist/sseshim.js" data-wasm="/bdist/sseshim.wasm" data-polyfill="off"></script>
<script>
  const es = new sseshim.EventSource('/bench/first');
  es.onmessage = () => { es.close(); done(window.__sseshim && __sseshim.instance ? __sseshim.instance.exports.mem.buffer.byteLength : -1); };
  es.onerror = (e) => fail('error event ' + (e.kind || '') + ' ' + (e.message || ''));
</script>`,
	"eventsource": `<script src="/lib/npm-eventsource.js"></script>
<script>
  const es = new NpmEventSource('/bench/first');
  es.onmessage = () => { es.close(); done(); };
  es.onerror = (e) => fail('error event ' + (e.message || ''));
</script>`,
	"event-source-polyfill": `<script src="/lib/event-source-polyfill.js"></script>
<script>
  const es = new EventSourcePolyfill('/bench/first');
  es.onmessage = () => { es.close(); done(); };
  es.onerror = (e) => fail('error event ' + (e.message || ''));
</script>`,
	// The floor: the least a Go WebAssembly program costs to start: Go's
	// wasm_exec.js, then a streaming compile (sseshim.js carries its own
	// wasm_exec.js and begins the compile before its page's next script).
	"bare": bareStartup,
	// The same on safejs, which the engine must use for its JavaScript calls.
	"bare-safejs": strings.Replace(bareStartup, "/floor/bare.wasm", "/floor/safejs.wasm", 1),
}

// bareStartup is the bare program's start-up page: Go's wasm_exec.js, then
// a streaming compile.
const bareStartup = `<script src="/floor/wasm_exec.js"></script>
<script>
  const go = new Go();
  window.__bareReady = () => {
    performance.mark('bare:ready');
    if (bareAdd(2, 3) !== 5) throw new Error('the bare program does not answer');
    done(window.__bareInstance.exports.mem.buffer.byteLength);
  };
  WebAssembly.instantiateStreaming(fetch('/floor/bare.wasm'), go.importObject).then((r) => {
    performance.mark('bare:instantiated');
    window.__bareInstance = r.instance;
    go.run(r.instance);
  }, fail);
</script>`

// startupPrime is what a priming visit runs after start-up: some work, so that
// the engine's hot code tiers up and V8 may cache it for the warm visits.
var startupPrime = map[string]string{
	"sseshim": `new Promise((resolve) => {
  const es = new sseshim.EventSource('/bench/text?n=20000&size=128&rid=0');
  es.addEventListener('done', () => { es.close(); resolve(true); });
})`,
	"bare":        `(() => { let s = 0; for (let i = 0; i < 20000; i++) s += bareAdd(i, 1); return s > 0; })()`,
	"bare-safejs": `(() => { let s = 0; for (let i = 0; i < 20000; i++) s += bareAdd(i, 1); return s > 0; })()`,
}

// startupMore is what a cold visit runs once its first source has had its
// first event: nine more sources at once, and the milliseconds until the
// last of them has its first event (the tenth source's start-up, the engine
// already running). HTTP/1.1 allows six connections to a host, for every
// implementation alike.
var startupMore = map[string]string{
	"sseshim": moreSources("sseshim.EventSource"),
	"native":  moreSources("EventSource"),
}

func moreSources(ctor string) string {
	return `new Promise((resolve) => {
  const t = performance.now();
  let left = 9;
  for (let i = 0; i < 9; i++) {
    const es = new ` + ctor + `('/bench/first?k=' + i);
    es.onmessage = () => { es.close(); if (--left === 0) resolve(performance.now() - t); };
  }
})`
}
