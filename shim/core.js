// sseshim core: an EventSource (WHATWG HTML §9.2) whose connection runs in
// the Go engine compiled to WebAssembly. This file is shared by the script-tag
// build (sseshim.js) and the ES module build (index.js); the build wraps it.

function createSseshim(loadEngine) {
  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSED = 2;

  let engine = null; // the Go side's {open, close, stats} once ready
  let loadFailure = null;
  // Sources constructed before the engine was ready, with what to do when it
  // is: start, or fail with the load error.
  const waiting = new Map();

  const ready = Promise.resolve()
    .then(loadEngine)
    .then(
      (api) => {
        engine = api;
        for (const w of waiting.values()) w.start();
        waiting.clear();
      },
      (err) => {
        loadFailure = err instanceof Error ? err : new Error(String(err));
        for (const w of waiting.values()) w.fail(loadFailure);
        waiting.clear();
        throw loadFailure;
      },
    );
  ready.catch(() => {}); // reported through each source's error event

  // ---- options ------------------------------------------------------------

  const FORMATS = ['sse', 'ndjson', 'auto'];
  // UTF-8 with replacement; a batch starts with a flag letter, so no BOM of
  // the data is ever taken for the batch's own.
  const utf8 = new TextDecoder();

  function fail(path, what) {
    throw new TypeError(`sseshim: option ${path} ${what}`);
  }

  function checkKeys(obj, allowed, path) {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) fail(path + k, `is unknown (known: ${allowed.join(', ')})`);
    }
  }

  function num(v, path, { min = 0, max = Infinity, int = false } = {}) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      fail(path, `must be ${int ? 'an integer' : 'a number'} from ${min}${max === Infinity ? '' : ' to ' + max}`);
    }
    return v;
  }

  function bool(v, path) {
    if (typeof v !== 'boolean') fail(path, 'must be a boolean');
    return v;
  }

  function str(v, path) {
    if (typeof v !== 'string') fail(path, 'must be a string');
    return v;
  }

  function strArray(v, path) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(path, 'must be an array of strings');
    return v.slice();
  }

  function group(v, path, fields) {
    if (typeof v !== 'object' || v === null) fail(path, 'must be an object');
    checkKeys(v, Object.keys(fields), path + '.');
    const out = {};
    for (const [k, check] of Object.entries(fields)) {
      if (v[k] !== undefined) out[k] = check(v[k], `${path}.${k}`);
    }
    return out;
  }

  const ms = (v, p) => num(v, p);
  const count = (v, p) => num(v, p, { int: true });

  // normalizeOptions checks the second constructor argument and returns the
  // plain object the engine reads, plus the options only the shim uses.
  function normalizeOptions(init) {
    const out = { withCredentials: false };
    if (init === undefined || init === null) return out;
    if (typeof init !== 'object') fail('', 'object must be an object');
    checkKeys(init, ['withCredentials', 'headers', 'format', 'json', 'ping', 'retry', 'retryStatuses',
      'dedupe', 'lastEventId', 'maxEventSize', 'eventTypePath', 'idPath'], '');
    // The spec's one member: a dictionary boolean, so any value converts.
    out.withCredentials = Boolean(init.withCredentials);
    const h = init.headers;
    if (h !== undefined) {
      if (typeof h === 'function') out.headers = h;
      else if (typeof h === 'object' && h !== null) {
        out.headers = {};
        const entries = typeof Headers !== 'undefined' && h instanceof Headers ? [...h.entries()] : Object.entries(h);
        for (const [k, v] of entries) out.headers[k] = str(v, `headers.${k}`);
      } else fail('headers', 'must be an object or a function returning one');
    }
    if (init.format !== undefined && !FORMATS.includes(init.format)) fail('format', `must be one of ${FORMATS.join(', ')}`);
    if (init.format !== undefined) out.format = init.format;
    if (init.json !== undefined) out.json = bool(init.json, 'json');
    if (init.ping !== undefined) {
      const p = typeof init.ping === 'number' ? { interval: init.ping } : init.ping;
      out.ping = group(p, 'ping', {
        interval: ms, leeway: ms, param: str, eventType: str, requireEvent: bool, dispatch: bool,
      });
      if (!(out.ping.interval > 0)) fail('ping.interval', 'must be a positive number of milliseconds');
    }
    if (init.retry !== undefined) {
      out.retry = group(init.retry, 'retry', {
        initial: ms, max: ms, factor: (v, p) => num(v, p, { min: 1 }), jitter: (v, p) => num(v, p, { max: 1 }),
        maxAttempts: count, immediateAfter: ms,
      });
      // Asking for a retry policy means backoff, capped at a minute unless
      // set, and an immediate reconnect after a clean end of a connection
      // that lasted ten minutes (a service's scheduled disconnect).
      if (out.retry.max === undefined) out.retry.max = 60000;
      if (out.retry.immediateAfter === undefined) out.retry.immediateAfter = 600000;
    }
    if (init.retryStatuses !== undefined) {
      if (!Array.isArray(init.retryStatuses)) fail('retryStatuses', 'must be an array of HTTP statuses');
      out.retryStatuses = init.retryStatuses.map((s, i) => num(s, `retryStatuses[${i}]`, { min: 100, max: 599, int: true }));
    }
    if (init.dedupe !== undefined) {
      if (typeof init.dedupe === 'boolean') out.dedupe = init.dedupe ? 1000 : 0;
      else out.dedupe = count(init.dedupe, 'dedupe');
    }
    if (init.lastEventId !== undefined) out.lastEventId = str(init.lastEventId, 'lastEventId');
    if (init.maxEventSize !== undefined) out.maxEventSize = num(init.maxEventSize, 'maxEventSize', { min: 1, int: true });
    if (init.eventTypePath !== undefined) out.eventTypePath = strArray(init.eventTypePath, 'eventTypePath');
    if (init.idPath !== undefined) out.idPath = strArray(init.idPath, 'idPath');
    return out;
  }

  // ---- JSON ---------------------------------------------------------------

  // parseNested parses JSON text, then also every string inside it that holds
  // a JSON object or array (Losant's "message"), to a bounded depth. It
  // returns undefined for invalid JSON and never throws.
  function parseNested(text) {
    let v;
    try {
      v = JSON.parse(text);
    } catch {
      return undefined;
    }
    return unwrap(v, 0);
  }

  // looksLikeJSON: the first character after white space opens an object or
  // an array (a string holding "123" stays a string).
  function looksLikeJSON(s) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) return true; // { [
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    }
    return false;
  }

  function unwrap(v, depth) {
    if (typeof v === 'string') {
      if (depth > 8 || !looksLikeJSON(v)) return v;
      try {
        return unwrap(JSON.parse(v), depth + 1);
      } catch {
        return v;
      }
    }
    if (depth > 8 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'string' || (x !== null && typeof x === 'object')) v[i] = unwrap(x, depth + 1);
      }
    } else {
      for (const k in v) {
        const x = v[k];
        if (typeof x === 'string' || (x !== null && typeof x === 'object')) v[k] = unwrap(x, depth + 1);
      }
    }
    return v;
  }

  // The json property: parsed on first use, then kept. (A shared getter that
  // redefines itself as a value measured slower: two defineProperty calls.)
  function defineJSON(ev, data) {
    let parsed;
    let done = false;
    Object.defineProperty(ev, 'json', {
      configurable: true,
      enumerable: true,
      get() {
        if (!done) {
          parsed = parseNested(data);
          done = true;
        }
        return parsed;
      },
    });
  }

  // ---- the class ----------------------------------------------------------

  const baseURL = () => (typeof document !== 'undefined' ? document.baseURI : globalThis.location && location.href);

  class EventSource extends EventTarget {
    #url;
    #withCredentials;
    #readyState = CONNECTING;
    #opts;
    #handle = 0;
    #origin = '';
    #deliver;
    #lastStats = null;
    #closedByPage = false;

    constructor(url, eventSourceInitDict) {
      super();
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      let parsed;
      try {
        parsed = new URL(String(url), baseURL());
      } catch {
        throw new DOMException(`Failed to construct 'EventSource': The URL '${url}' is invalid.`, 'SyntaxError');
      }
      this.#url = parsed.href;
      this.#opts = normalizeOptions(eventSourceInitDict);
      this.#withCredentials = this.#opts.withCredentials;
      this.#deliver = (kind, a, b, c, d, e) => this.#onEngine(kind, a, b, c, d, e);
      if (engine) this.#start();
      else if (loadFailure) this.#engineFailed(loadFailure);
      else waiting.set(this, { start: () => this.#start(), fail: (err) => this.#engineFailed(err) });
    }

    get url() { return this.#url; }
    get withCredentials() { return this.#withCredentials; }
    get readyState() { return this.#readyState; }

    // Diagnostics from the engine: events, bytes, reconnects, lastActivity,
    // nextRetry, failures, dropped, lastError.
    get stats() {
      const s = engine && this.#handle ? engine.stats(this.#handle) : null;
      if (s) this.#lastStats = s;
      return Object.assign({ events: 0, pings: 0, bytes: 0, reconnects: 0, failures: 0, dropped: 0,
        lastActivity: 0, nextRetry: 0, lastError: '' }, this.#lastStats, { readyState: this.#readyState });
    }

    close() {
      this.#closedByPage = true;
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      waiting.delete(this);
      if (this.#handle && engine) {
        this.#lastStats = engine.stats(this.#handle) || this.#lastStats;
        engine.close(this.#handle);
      }
    }

    #start() {
      if (this.#readyState === CLOSED) return;
      const h = engine.open(this.#url, this.#opts, this.#deliver);
      if (typeof h === 'number') this.#handle = h;
      else this.#failSoon('config', String(h));
    }

    #engineFailed(err) {
      this.#failSoon('engine', 'sseshim: the engine did not load: ' + err.message);
    }

    // #failSoon fails the connection in a task of its own, as the browser
    // does, so that listeners added right after the constructor see it.
    #failSoon(kind, message) {
      this.#readyState = CLOSED;
      setTimeout(() => {
        if (!this.#closedByPage) this.#fire(errorEvent(kind, 0, 0, message));
      }, 0);
    }

    #fire(ev) {
      this.dispatchEvent(ev);
    }

    // #onEngine receives every call from the Go side (see jsbridge/sink.go).
    #onEngine(kind, a, b, c, d, e) {
      if (this.#readyState === CLOSED) return; // closed by the page: nothing more
      switch (kind) {
        case 1: // open: url, status, format
          this.#readyState = OPEN;
          try {
            this.#origin = new URL(a || this.#url).origin;
          } catch {
            this.#origin = new URL(this.#url).origin;
          }
          this.#fire(new Event('open'));
          break;
        case 2: { // events: bytes, length; "flag\rtype\rdata\rid\r" per event
          // The WHATWG UTF-8 decoder replaces invalid sequences (HTML §9.2.5).
          const f = utf8.decode(a.subarray(0, b)).split('\r');
          const origin = this.#origin;
          const json = this.#opts.json;
          for (let i = 0; i + 3 < f.length; i += 4) {
            if (this.#readyState === CLOSED) break; // close() from a listener
            if (f[i] === 'p') {
              this.#fire(new Event('ping'));
              continue;
            }
            const ev = newMessageEvent(f[i + 1], f[i + 2], origin, f[i + 3]);
            if (json) defineJSON(ev, f[i + 2]);
            this.#fire(ev);
          }
          break;
        }
        case 3: { // error: readyState, kind, status, code, message
          this.#readyState = a;
          this.#fire(errorEvent(b, c, d, e));
          break;
        }
        case 4: { // retrying: delay ms, attempt
          const ev = new Event('retrying');
          Object.defineProperties(ev, { delay: { value: a, enumerable: true }, attempt: { value: b, enumerable: true } });
          this.#fire(ev);
          break;
        }
      }
    }
  }

  // newMessageEvent makes a real MessageEvent. The legacy positional
  // initMessageEvent skips the conversion of an init dictionary, which is
  // most of the constructor's cost: about 2.3 µs instead of 3.5 µs an event
  // in Chromium 156. Where it is missing, the constructor does the same.
  const legacyInit = typeof document !== 'undefined' && typeof MessageEvent.prototype.initMessageEvent === 'function';
  function newMessageEvent(type, data, origin, lastEventId) {
    if (legacyInit) {
      const ev = document.createEvent('MessageEvent');
      ev.initMessageEvent(type, false, false, data, origin, lastEventId); // source and ports: their defaults
      return ev;
    }
    return new MessageEvent(type, { data, origin, lastEventId });
  }

  function errorEvent(kind, status, code, message) {
    const ev = new Event('error');
    Object.defineProperties(ev, {
      kind: { value: kind, enumerable: true },
      status: { value: status || undefined, enumerable: true },
      code: { value: code || undefined, enumerable: true },
      message: { value: message || '', enumerable: true },
    });
    return ev;
  }

  for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSED', CLOSED]]) {
    Object.defineProperty(EventSource, name, { value, enumerable: true });
    Object.defineProperty(EventSource.prototype, name, { value, enumerable: true });
  }

  // Event handler attributes (HTML §8.1.8.1): the listener is added when the
  // attribute is first set to a function, keeps its place when the function
  // changes, and is removed when it is set to null.
  for (const type of ['open', 'message', 'error']) {
    const handlers = new WeakMap(); // source → {fn, listener}
    Object.defineProperty(EventSource.prototype, 'on' + type, {
      enumerable: true,
      configurable: true,
      get() {
        const h = handlers.get(this);
        return h ? h.fn : null;
      },
      set(fn) {
        const h = handlers.get(this);
        if (typeof fn !== 'function' && (typeof fn !== 'object' || fn === null)) fn = null;
        if (fn === null) {
          if (h) {
            this.removeEventListener(type, h.listener);
            handlers.delete(this);
          }
          return;
        }
        if (h) {
          h.fn = fn;
          return;
        }
        const entry = { fn, listener: null };
        entry.listener = (ev) => {
          const f = entry.fn;
          if (typeof f === 'function') f.call(this, ev);
        };
        handlers.set(this, entry);
        this.addEventListener(type, entry.listener);
      },
    });
  }

  Object.defineProperty(EventSource.prototype, Symbol.toStringTag, { value: 'EventSource', configurable: true });

  return { EventSource, ready, CONNECTING, OPEN, CLOSED };
}
