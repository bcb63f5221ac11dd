// sseshim core: an EventSource (WHATWG HTML "Server-sent events",
// #server-sent-events) whose connection runs in
// the Go engine compiled to WebAssembly. This file is shared by the script-tag
// build (sseshim.js) and the ES module build (index.js); the build wraps it.

// shareWorkerURL returns the URL of sseshim-share.js (the worker behind
// share); shareByDefault, the page's default for the share option (the
// script tag's data-share): false, true or a group name.
function createSseshim(loadEngine, shareWorkerURL, shareByDefault = () => false) {
  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSED = 2;

  let engine = null; // the Go side's {open, close, stats} once ready
  let loadFailure = null;
  // Sources constructed before the engine was ready, with what to do when it
  // is: start, or fail with the load error.
  const waiting = new Map();

  // The engine loads when it is first needed: by a source that runs on this
  // page's engine, or by a wait on `ready` (its then, catch and finally) —
  // and, for a head start for sources made later, once the page has loaded,
  // unless it has made a shared source by then. A tab whose sources all
  // share a connection never loads it: its own engine starting would hold up
  // the shared connection's messages on the main thread (a second tab's
  // first event: tests/bench_share_test.go).
  let startLoad;
  let loadAsked = false;
  let sharedMade = false;
  function needEngine() {
    if (loadAsked) return;
    loadAsked = true;
    queueMicrotask(startLoad); // a configure() later in the same script still counts
  }
  // loadBegun settles once the engine's module has been requested: a
  // source's early first request (prefetchFirst) waits for it, so that on
  // HTTP/1.1, whose six connections to a host long-lived streams can take
  // up, the module is never queued behind streams that wait for it.
  let loadHasBegun;
  const loadBegun = new Promise((resolve) => { loadHasBegun = resolve; });
  const loading = new Promise((resolve) => { startLoad = resolve; })
    .then((x) => {
      try {
        return loadEngine(x);
      } finally {
        loadHasBegun();
      }
    })
    .then(
      (api) => {
        engine = api;
        if (api.exited) api.exited.then(engineDied);
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
  // A subclass, not an own then: await on a plain Promise never looks then up.
  class Ready extends Promise {
    static get [Symbol.species]() { return Promise; }
    then(...args) {
      needEngine();
      return super.then(...args);
    }
  }
  const ready = new Ready((resolve, reject) => Promise.prototype.then.call(loading, resolve, reject));
  Promise.prototype.then.call(ready, undefined, () => {}); // reported through each source's error event
  const headStart = () => setTimeout(() => { if (!sharedMade) needEngine(); }, 0);
  if (typeof document !== 'undefined' && document.readyState !== 'complete' && typeof addEventListener === 'function') {
    addEventListener('load', headStart, { once: true });
  } else {
    headStart();
  }

  // engineDied fails every source for good when the Go program stops (a
  // fatal error, an exception from inside it): error with kind engine and
  // readyState CLOSED. Later sources fail the same way; close() stays safe.
  let engineDeath = null;
  function engineDied(err) {
    if (engineDeath) return;
    engineDeath = err instanceof Error ? err : new Error('sseshim: the engine stopped: ' + String(err));
    engine = null;
    for (const fail of [...live.values()]) fail('engine', engineDeath.message);
  }

  // callEngine calls into Go; an exception there means the engine is gone.
  function callEngine(name, ...args) {
    if (!engine) return undefined;
    try {
      return engine[name](...args);
    } catch (err) {
      engineDied(new Error('sseshim: the engine stopped: ' + (err && err.message ? err.message : String(err))));
      return undefined;
    }
  }

  // ---- options ------------------------------------------------------------

  const FORMATS = ['sse', 'ndjson', 'auto'];
  // UTF-8 with replacement; a batch starts with a flag letter, so no BOM of
  // the data is ever taken for the batch's own.
  const utf8 = new TextDecoder();

  function fail(path, what) {
    throw new TypeError(`sseshim: option ${path} ${what}`);
  }

  function num(v, path, { min = 0, max = Infinity, int = false } = {}) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      fail(path, `must be ${int ? 'an integer' : 'a number'} from ${min}${max === Infinity ? '' : ' to ' + max}`);
    }
    return v;
  }
  // Bounds: a duration fits a setTimeout (about 24.8 days), a count fits
  // what the engine can hold.
  const MAX_MS = 2147483647;
  const ms = (v, p) => num(v, p, { max: MAX_MS });
  const positiveMS = (v, p) => num(v, p, { min: 1, max: MAX_MS });
  const count = (v, p) => num(v, p, { int: true, max: MAX_MS });

  function bool(v, path) {
    if (typeof v !== 'boolean') fail(path, 'must be a boolean');
    return v;
  }

  function str(v, path) {
    if (typeof v !== 'string') fail(path, 'must be a string');
    return v;
  }

  // name is a query parameter name, or false for none.
  function name(v, path) {
    if (v === false) return v;
    if (typeof v !== 'string' || v === '' || v === '-') fail(path, 'must be a parameter name or false');
    return v;
  }

  function strArray(v, path) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(path, 'must be an array of strings');
    return v.slice();
  }

  function plainHeaders(h, path) {
    if (typeof h !== 'object' || h === null) fail(path, 'must be an object, a Headers or a function returning one');
    const out = {};
    const entries = typeof Headers !== 'undefined' && h instanceof Headers ? [...h.entries()] : Object.entries(h);
    for (const [k, v] of entries) out[k] = str(v, `${path}.${k}`);
    return out;
  }

  // valueOrFunction checks an option that is a value, or a function called
  // before every attempt (headers, body). The function is wrapped so that
  // the engine always gets a promise of a checked value (or of nothing): a
  // Headers it returns is read here, and an exception it throws becomes a
  // rejection, which keeps its name.
  function valueOrFunction(plain) {
    return (v, path) => {
      if (typeof v !== 'function') return plain(v, path);
      return () => {
        try {
          return Promise.resolve(v()).then((r) => (r === undefined || r === null ? r : plain(r, path + '()')));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    };
  }

  // A group is an option whose members are options: checked member by
  // member, unknown members refused.
  function group(fields) {
    const check = (v, path) => {
      if (typeof v !== 'object' || v === null) fail(path, 'must be an object');
      return checkFields(v, fields, path + '.');
    };
    check.fields = fields;
    return check;
  }

  function checkFields(obj, fields, prefix) {
    for (const k of Object.keys(obj)) {
      if (!Object.hasOwn(fields, k)) fail(prefix + k, `is unknown (known: ${Object.keys(fields).join(', ')})`);
    }
    const out = {};
    for (const [k, check] of Object.entries(fields)) {
      if (obj[k] !== undefined) out[k] = check(obj[k], prefix + k);
    }
    return out;
  }

  // A request method: a token, not one the Fetch Standard forbids.
  function method(v, path) {
    if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) fail(path, 'must be an HTTP method');
    if (['CONNECT', 'TRACE', 'TRACK'].includes(v.toUpperCase())) fail(path, `must not be ${v.toUpperCase()}`);
    return v.toUpperCase();
  }

  // A request body fetch() can send again on every reconnect (so no
  // ReadableStream): a string, URLSearchParams, Blob, FormData or bytes.
  function plainBody(v, path) {
    const ok = typeof v === 'string' || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
      (typeof Blob !== 'undefined' && v instanceof Blob) || (typeof FormData !== 'undefined' && v instanceof FormData) ||
      (typeof URLSearchParams !== 'undefined' && v instanceof URLSearchParams);
    if (!ok) fail(path, 'must be a string, URLSearchParams, Blob, FormData, ArrayBuffer or typed array, or a function returning one');
    return v;
  }

  // OPTIONS is the shim's half of the options protocol: every option of the
  // second constructor argument and how it is checked. What passes is sent
  // to the engine as the user set it, and only what the user set: the
  // defaults live in the engine (eventsource.Config), and the bridge's table
  // of the same names (wasm/internal/jsbridge/config.go) reads it. A browser
  // test proves that the two tables name the same options. SHIM_ONLY options
  // are used here and never sent.
  const OPTIONS = {
    // The spec's one member: a dictionary boolean, so any value converts.
    withCredentials: (v) => Boolean(v),
    method,
    body: valueOrFunction(plainBody),
    headers: valueOrFunction(plainHeaders),
    format: (v, p) => (FORMATS.includes(v) ? v : fail(p, `must be one of ${FORMATS.join(', ')}`)),
    json: bool,
    lifecycle: bool,
    staleAfter: positiveMS,
    share: (v, p) => (typeof v === 'boolean' || (typeof v === 'string' && v !== '') ? v : fail(p, 'must be a boolean or a group name')),
    batch: (v, p) => (v === true || v === false || v === 'frame' ? v : fail(p, "must be true, false or 'frame'")),
    ping: group({ interval: positiveMS, leeway: ms, param: name, eventType: str, requireEvent: bool, dispatch: bool }),
    retry: group({
      initial: positiveMS, max: positiveMS, factor: (v, p) => num(v, p, { min: 1, max: 1000 }),
      jitter: (v, p) => num(v, p, { max: 1 }), maxAttempts: count, immediateAfter: ms, healthyAfter: ms,
    }),
    connectTimeout: ms,
    retryStatuses: (v, p) => {
      if (!Array.isArray(v)) fail(p, 'must be an array of HTTP statuses');
      return v.map((s, i) => num(s, `${p}[${i}]`, { min: 100, max: 599, int: true }));
    },
    dedupe: (v, p) => (typeof v === 'boolean' ? v : num(v, p, { int: true, max: 1 << 20 })),
    lastEventId: str,
    lastEventIdParam: name,
    maxEventSize: (v, p) => num(v, p, { min: 1, max: 1 << 30, int: true }),
    eventTypePath: strArray,
    idPath: strArray,
  };
  const SHIM_ONLY = ['json', 'batch', 'lifecycle', 'staleAfter', 'share'];
  // What fromReadableStream() takes: nothing about requests or reconnection.
  const STREAM_OPTIONS = ['json', 'batch', 'format', 'maxEventSize', 'dedupe', 'eventTypePath', 'idPath'];

  // normalizeOptions checks the second constructor argument and splits it
  // into what the engine reads and what only the shim uses.
  function normalizeOptions(init) {
    if (init === undefined || init === null) init = {};
    else if (typeof init !== 'object') fail('', 'object must be an object');
    if (init.share === undefined) {
      const byDefault = shareByDefault();
      if (byDefault) init = { ...init, share: byDefault };
    }
    // A number for ping is its interval.
    if (typeof init.ping === 'number') init = { ...init, ping: { interval: init.ping } };
    const engine = checkFields(init, OPTIONS, '');
    if (engine.ping && engine.ping.interval === undefined) fail('ping.interval', 'must be set');
    if (engine.body !== undefined && (engine.method === undefined || engine.method === 'GET' || engine.method === 'HEAD')) {
      fail('body', `needs a method other than ${engine.method || 'GET'} (method: 'POST')`);
    }
    if (engine.retry && engine.retry.initial !== undefined && engine.retry.max !== undefined &&
        engine.retry.max < engine.retry.initial) fail('retry.max', 'must not be less than retry.initial');
    if (engine.withCredentials === false) delete engine.withCredentials; // the default: nothing to send
    const json = engine.json === true;
    const batch = engine.batch || false;
    const lifecycle = engine.lifecycle !== false;
    const share = engine.share || false;
    // A connection silent longer than this is replaced when the tab becomes
    // visible again: staleAfter, or the ping watchdog's limit.
    const staleAfter = engine.staleAfter || (engine.ping ? engine.ping.interval + (engine.ping.leeway ?? 2000) : 0);
    for (const k of SHIM_ONLY) delete engine[k];
    return { engine, json, batch, lifecycle, staleAfter, share };
  }

  // validURL parses url as the EventSource constructor does
  // (#dom-eventsource): failure throws a SyntaxError. new URL() alone is not
  // enough: Chromium percent-encodes what the URL Standard refuses in a host
  // ("http://this is invalid/" becomes "this%20is%20invalid"): the host is
  // percent-decoded as the URL Standard's host parser does, and a valid host
  // of a special scheme then holds no forbidden domain code point
  // (#forbidden-domain-code-point), "%" included.
  const SPECIAL = ['http:', 'https:', 'ws:', 'wss:', 'ftp:'];
  const FORBIDDEN_HOST = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;
  function validURL(url, base) {
    let parsed;
    try {
      parsed = new URL(url, base);
    } catch {
      parsed = null;
    }
    let host = parsed ? parsed.hostname : '';
    try {
      host = decodeURIComponent(host); // what the URL Standard's host parser sees
    } catch {
      // an invalid escape keeps its "%", which is forbidden
    }
    if (!parsed || (SPECIAL.includes(parsed.protocol) && !host.startsWith('[') && FORBIDDEN_HOST.test(host))) {
      throw new DOMException(`Failed to construct 'EventSource': The URL '${url}' is invalid.`, 'SyntaxError');
    }
    return parsed.href;
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

  // parsedJSON is the json property of a message event or batch record:
  // parsed on first use, then kept.
  const PARSED = Symbol('parsed');
  const UNPARSED = {};
  function parsedJSON(o) {
    if (o[PARSED] === UNPARSED) o[PARSED] = parseNested(o.data);
    return o[PARSED];
  }

  // ---- events -------------------------------------------------------------

  // SseshimErrorEvent is the error event, with why it fired: kind (network,
  // end, status, content-type, timeout, watchdog, server, too-large, headers,
  // max-attempts, config, engine), and status, code and message when known.
  class SseshimErrorEvent extends Event {
    #kind;
    #status;
    #code;
    #message;
    constructor(type, init = {}) {
      super(type, init);
      this.#kind = init.kind;
      this.#status = init.status || undefined;
      this.#code = init.code || undefined;
      this.#message = init.message || '';
    }
    get kind() { return this.#kind; }
    get status() { return this.#status; }
    get code() { return this.#code; }
    get message() { return this.#message; }
  }

  // RetryingEvent fires after an error that will reconnect: the delay in
  // milliseconds and the number of the attempt it waits for.
  class RetryingEvent extends Event {
    #delay;
    #attempt;
    #reason;
    constructor(type, init = {}) {
      super(type, init);
      this.#delay = init.delay ?? 0;
      this.#attempt = init.attempt ?? 0;
      this.#reason = init.reason || undefined;
    }
    get delay() { return this.#delay; }
    get attempt() { return this.#attempt; }
    // Why the page's lifecycle replaced the connection (online, wake,
    // visible, restored); undefined for an ordinary reconnect.
    get reason() { return this.#reason; }
  }

  // BatchEvent carries the events of one delivery in batch mode, in order,
  // as plain records: no DOM event per event.
  class BatchEvent extends Event {
    #events;
    constructor(type, init = {}) {
      super(type, init);
      this.#events = init.events || [];
    }
    get events() { return this.#events; }
  }

  // BatchRecord is one event of a batch; with json on, JSONRecord adds a
  // lazy json property, parsed on first use.
  class BatchRecord {
    constructor(type, data, lastEventId) {
      this.type = type;
      this.data = data;
      this.lastEventId = lastEventId;
    }
  }
  class JSONRecord extends BatchRecord {
    constructor(type, data, lastEventId) {
      super(type, data, lastEventId);
      this[PARSED] = UNPARSED;
    }
    get json() { return parsedJSON(this); }
  }

  // nextFrame runs f at the next animation frame, or soon where there are
  // none: a worker without requestAnimationFrame, or a hidden page, whose
  // frames stop (its batches must not pile up until it is shown).
  const nextFrame = (f) => (typeof requestAnimationFrame === 'function' &&
    !(typeof document !== 'undefined' && document.hidden)
    ? requestAnimationFrame(() => f())
    : setTimeout(f, 16));

  // SseshimMessageEvent is the message event (#dispatchMessage): a
  // MessageEvent (instanceof, its toString tag, source null, ports empty)
  // whose data, origin and lastEventId are its own. Made so, it costs about
  // half of what a MessageEvent initialised by the browser does: the
  // constructor's init dictionary, or createEvent with initMessageEvent,
  // took most of the time a 32 B event costs the page (see the README's
  // benchmarks).
  class SseshimMessageEvent extends MessageEvent {
    #data;
    #origin;
    #lastEventId;
    constructor(type, data, origin, lastEventId) {
      super(type);
      this.#data = data;
      this.#origin = origin;
      this.#lastEventId = lastEventId;
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
  }
  // With json on: a lazy json property, parsed on first use.
  class JSONMessageEvent extends SseshimMessageEvent {
    constructor(type, data, origin, lastEventId) {
      super(type, data, origin, lastEventId);
      this[PARSED] = UNPARSED;
    }
    get json() { return parsedJSON(this); }
  }
  // Their constructor is MessageEvent, as a page sees of the browser's own
  // events (#dispatchMessage creates a MessageEvent): e.constructor === MessageEvent.
  for (const C of [SseshimMessageEvent, JSONMessageEvent]) {
    Object.defineProperty(C.prototype, 'constructor', { value: MessageEvent, writable: true, configurable: true });
  }

  // ---- the first request, while the engine loads -----------------------------

  // prefetchFirst begins a source's first request while the engine loads, so
  // that on a real network its round trip overlaps the engine's start-up
  // instead of following it; the engine takes the response once it is ready
  // (wasm/internal/jsbridge/prefetch.go), and only if it would have made
  // that very request: otherwise it aborts it and makes its own. So it is
  // done only where the shim can tell the request for sure: a GET of
  // text/event-stream (#dom-eventsource's Accept) with fixed headers, no
  // Last-Event-ID and no ping parameter; anything else waits for the engine.
  const PREFETCH_SAFE = ['withCredentials', 'headers', 'format', 'retry', 'connectTimeout', 'retryStatuses', 'dedupe',
    'maxEventSize', 'eventTypePath', 'idPath'];
  function prefetchFirst(url, o) {
    if (typeof fetch !== 'function' || typeof AbortController !== 'function') return null;
    if (Object.keys(o).some((k) => !PREFETCH_SAFE.includes(k)) || (o.format !== undefined && o.format !== 'sse') ||
        typeof o.headers === 'function') return null;
    const headers = {};
    const names = new Set();
    for (const [k, v] of Object.entries(o.headers || {})) {
      // The engine sends a non-ASCII value as its UTF-8 bytes; and of two
      // names that differ in case only, it sends one.
      if (names.has(k.toLowerCase()) || /[^\x20-\x7e]/.test(v)) return null;
      names.add(k.toLowerCase());
      headers[k] = v;
    }
    if (!names.has('accept')) headers.Accept = 'text/event-stream';
    try {
      new Headers(headers); // an invalid header fails the engine's way, not here
    } catch {
      return null;
    }
    const credentials = o.withCredentials ? 'include' : 'same-origin';
    const ac = new AbortController();
    const response = fetch(url, { method: 'GET', headers, cache: 'no-store', credentials, redirect: 'follow', signal: ac.signal });
    response.catch(() => {}); // the engine hears of a failure; an aborted prefetch's is nobody's
    return { url, credentials, headers, response, abort: () => ac.abort() };
  }

  // ---- the user agent's aborts ---------------------------------------------

  // The sources that are neither closed nor failed, each with how to fail
  // it: fail(kind, message).
  const live = new Map();
  // The method window.stop() calls on each live source (a symbol: not API).
  const abortedByUserAgent = Symbol('abortedByUserAgent');

  // window.stop() aborts every fetch of the document, and the spec fails an
  // EventSource's connection when its fetch is aborted ("if res is an
  // aborted network error", #sse-processing-model). Chromium reports that
  // abort to fetch() as an ordinary network error (a TypeError, where the
  // Fetch Standard says AbortError), which cannot be told from a dropped
  // connection; so the shim hears of stop() itself. (An AbortError the page
  // did not cause is recognised by the engine too, for browsers that follow
  // the Fetch Standard.)
  if (typeof window !== 'undefined' && typeof window.stop === 'function') {
    const nativeStop = window.stop;
    window.stop = function stop(...args) {
      const r = nativeStop.apply(this, args);
      for (const source of [...live.keys()]) source[abortedByUserAgent]();
      return r;
    };
  }

  // ---- the page's lifecycle -------------------------------------------------

  // Streams die when a laptop sleeps, a phone goes offline, or a tab comes
  // back from the back/forward cache; each source reacts unless created with
  // lifecycle: false:
  // - offline: the connection is paused, no attempt made and no failure
  //   counted; online: it reconnects at once, with Last-Event-ID;
  // - a wake from sleep (a timer that fired far too late): replaced at once;
  // - a tab made visible again whose connection has been silent longer than
  //   staleAfter (or the ping watchdog's limit): replaced at once; nothing is
  //   torn down because a tab is hidden;
  // - entering the back/forward cache (pagehide, persisted): paused, so that
  //   the page stays eligible, as Chromium closes its own EventSource; restored
  //   (pageshow, persisted): reconnected with Last-Event-ID.
  // Each reconnect fires retrying with a reason.
  const onLifecycle = Symbol('onLifecycle');
  const isOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;
  const lifecycleEvent = (what) => { for (const source of [...live.keys()]) source[onLifecycle](what); };
  if (typeof addEventListener === 'function') {
    // Shared sources leave their groups while the page is away (in the
    // back/forward cache, which a message from the worker would evict it
    // from; or gone, for browsers without Web Locks) and join again when a
    // cached page is restored.
    addEventListener('pagehide', () => {
      if (!shareHub) return;
      for (const source of [...shareMembers.values()]) source[onShared]({ t: 'away' });
      // Close the port too: a message already on its way would evict the
      // cached page. A restored page connects anew.
      dropHub();
    });
    addEventListener('pageshow', (e) => { if (e.persisted) for (const source of [...shareMembers.values()]) source[onShared]({ t: 'back' }); });
    addEventListener('offline', () => lifecycleEvent('offline'));
    addEventListener('online', () => lifecycleEvent('online'));
    addEventListener('pagehide', (e) => { if (e.persisted) lifecycleEvent('hidden-cached'); });
    addEventListener('pageshow', (e) => { if (e.persisted) lifecycleEvent('restored'); });
  }
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') lifecycleEvent('visible'); });
  }
  // Wake detection: the wall clock (Date.now) runs on while a machine is
  // suspended, the monotonic clock behind performance.now
  // (#dom-performance-now) stops on Linux, macOS, Android and ChromeOS: when,
  // between two ticks of a 5 s timer, the wall clock ran more than 10 s
  // further than the monotonic one, the machine slept and connections may be
  // dead. This holds in hidden tabs too (their timers run late, but both
  // clocks see the same delay), and a page that was only blocked (an alert,
  // a debugger) is no wake. A wall clock set forward by hand reads as a
  // wake: one reconnect with Last-Event-ID.
  const WAKE_TICK = 5000;
  const WAKE_DRIFT = 10000;
  const visible = () => typeof document === 'undefined' || document.visibilityState === 'visible';
  const monotonic = () => (globalThis.performance ? performance.now() : Date.now());
  // Windows' monotonic clock counts sleep: there, a visible page's tick
  // that comes more than 15 s late is taken for a wake (as a page blocked
  // that long would be).
  const sleepCounted = typeof navigator !== 'undefined' &&
    /^Win/.test((navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || '');
  let lastDrift = Date.now() - monotonic();
  let lastTick = monotonic();
  setInterval(() => {
    const now = monotonic();
    const drift = Date.now() - now;
    if (drift - lastDrift > WAKE_DRIFT || (sleepCounted && visible() && now - lastTick > WAKE_TICK + 15000)) lifecycleEvent('wake');
    lastDrift = drift;
    lastTick = now;
  }, WAKE_TICK);
  if (sleepCounted && typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', () => { lastTick = monotonic(); });
  }

  // ---- shared connections (the tab's side; the worker is share.js) ---------

  // share: sources in any tab of the origin whose requests would be
  // identical share one connection, held by a SharedWorker. A source with a
  // headers or body function, or a body that is not a string, shares only
  // with a group name (share: 'orders-feed'): the page vouches that the
  // requests are equivalent. Where SharedWorker is missing, or the worker
  // cannot start, the source runs on the page's own engine and
  // stats.shared says so.
  const onShared = Symbol('onShared');
  const shareMembers = new Map(); // id → source
  let shareHub = null; // {port, tab, locked, timers, releaseLock, onVisibility}
  let shareBroken = false;
  let nextShareId = 1;

  function shareBlocker(opts) {
    if (!opts.share) return 'not asked';
    if (typeof SharedWorker !== 'function' || !shareWorkerURL) return 'no SharedWorker here';
    if (shareBroken) return 'the shared worker could not start';
    const e = opts.engine;
    const vouched = typeof opts.share === 'string';
    if (!vouched && (typeof e.headers === 'function' || typeof e.body === 'function' ||
        (e.body !== undefined && typeof e.body !== 'string'))) {
      return 'a headers or body function, or a body that is not a string, shares only under a group name';
    }
    return null;
  }

  // shareKey names the request a source would make, so that equivalent
  // requests share and no others: options in a fixed order, header names in
  // lower case and sorted, a repeated header's values joined as fetch() does
  // (#concept-header-list-combine), values without surrounding whitespace
  // (#concept-header-value-normalize).
  function shareKey(url, opts) {
    const e = { ...opts.engine };
    for (const k of ['headers', 'body']) if (typeof e[k] === 'function' || (k === 'body' && e[k] !== undefined && typeof e[k] !== 'string')) e[k] = 'fn';
    if (e.headers && e.headers !== 'fn') {
      const h = new Map();
      for (const [k, v] of Object.entries(e.headers)) {
        const name = k.toLowerCase();
        const value = v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
        h.set(name, h.has(name) ? h.get(name) + ', ' + value : value);
      }
      e.headers = [...h].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    }
    return JSON.stringify([url, typeof opts.share === 'string' ? opts.share : '', sorted(e)]);
  }

  // sorted copies a JSON value with every object's keys in order.
  function sorted(v) {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  }

  function sharedHub() {
    if (shareHub) return shareHub;
    let worker;
    try {
      worker = new SharedWorker(shareWorkerURL(), { name: 'sseshim' });
    } catch (err) {
      // A cross-origin sseshim.js, an opaque-origin frame, a build without
      // import.meta.url: this page's own engine serves instead.
      shareBroken = true;
      return null;
    }
    const tab = globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    const hub = { port: worker.port, tab, locked: false, timers: [], releaseLock: () => {}, onVisibility: null };
    // `beat`: the worker's URL may set it, as the worker reads it.
    const period = Number(new URL(shareWorkerURL()).searchParams.get('beat')) || 5000;
    // The tab holds a lock for its life: the worker learns that the tab is
    // gone when it is released. The join does not wait for the lock (a
    // page's first lock request can take hundreds of ms): the tab says
    // 'locked' once it holds it, and only then does the worker wait on it.
    // Without Web Locks (pages not in a secure context), the tab says it
    // lives every `beat` ms instead, and at once when it is hidden or shown,
    // since a hidden tab's timers may run only once a minute.
    hub.locked = typeof navigator !== 'undefined' && !!navigator.locks;
    if (hub.locked) {
      navigator.locks.request('sseshim-tab-' + tab, () => {
        if (shareHub === hub) worker.port.postMessage({ t: 'locked', tab });
        return new Promise((release) => { hub.releaseLock = release; });
      });
    } else {
      const beat = () => {
        if (shareHub === hub) worker.port.postMessage({ t: 'beat', tab, hidden: !visible(), ids: [...shareMembers.keys()] });
      };
      hub.timers.push(setInterval(beat, period));
      if (typeof document !== 'undefined') {
        hub.onVisibility = beat;
        document.addEventListener('visibilitychange', beat);
      }
    }
    // The worker says it lives every `beat` ms. One that falls silent died
    // (it runs in some tab's renderer process, which may crash): a new one
    // is started and every shared source joins it again (reason wake), from
    // where it was.
    let heard = monotonic();
    hub.timers.push(setInterval(() => {
      if (shareHub === hub && shareMembers.size && monotonic() - heard > 3 * period) {
        dropHub();
        for (const source of [...shareMembers.values()]) source[onShared]({ t: 'rejoin' });
      }
    }, period));
    worker.onerror = () => {
      shareBroken = true;
      for (const source of [...shareMembers.values()]) source[onShared]({ t: 'fallback' });
    };
    worker.port.onmessage = (m) => {
      heard = monotonic();
      const source = shareMembers.get(m.data.id);
      if (source) source[onShared](m.data);
    };
    worker.port.start();
    shareHub = hub;
    return shareHub;
  }

  // dropHub closes this tab's connection to the shared worker (the page is
  // going into the back/forward cache, or the worker died): a later shared
  // source, or a rejoin, connects anew.
  function dropHub() {
    const hub = shareHub;
    if (!hub) return;
    shareHub = null;
    hub.port.close();
    for (const t of hub.timers) clearInterval(t);
    if (hub.onVisibility) document.removeEventListener('visibilitychange', hub.onVisibility);
    hub.releaseLock(); // the worker, if it lives, lets this tab's entries go
  }

  // ---- the class ----------------------------------------------------------

  const STREAM_URL = 'about:event-stream';
  const baseURL = () => (typeof document !== 'undefined' ? document.baseURI : globalThis.location && location.href);

  class EventSource extends EventTarget {
    #url;
    #withCredentials;
    #readyState = CONNECTING;
    #engineOptions;
    #json;
    #batch; // false, true (a batch event per chunk) or 'frame' (per animation frame)
    #pending = null; // batch: 'frame': the records waiting for the next frame
    #lifecycle; // null with lifecycle: false, else {staleAfter}
    #offlineStart = false; // constructed offline: started on 'online'
    #handle = 0;
    #origin = '';
    #callbacks;
    #lastEventId = '';
    #failing = false; // failed by window.stop(): nothing more from the engine
    #reader = null; // fromReadableStream(): the stream's reader, handed to the engine
    #reconnectionTime = null; // null until the engine says (see the getter)
    static #nextReader = null; // fromReadableStream() passes its reader to the constructor
    #retryingUntil = 0; // waiting to reconnect until then: no fetch in flight
    #lastStats = null;
    #share = null; // shared: {id, key, options, fns}; or the reason it is not
    #prefetch = null; // the first request, begun while the engine loads (prefetchFirst)
    #closedByPage = false;

    constructor(url, eventSourceInitDict) {
      super();
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
      }
      this.#reader = EventSource.#nextReader;
      EventSource.#nextReader = null;
      this.#url = this.#reader ? STREAM_URL : validURL(String(url), baseURL());
      const opts = normalizeOptions(eventSourceInitDict);
      this.#engineOptions = opts.engine;
      this.#json = opts.json;
      this.#batch = opts.batch;
      // A stream handed over (fromReadableStream) is the page's to manage:
      // the page's lifecycle does not pause or replace it.
      this.#lifecycle = opts.lifecycle && !this.#reader ? { staleAfter: opts.staleAfter } : null;
      this.#withCredentials = opts.engine.withCredentials === true;
      // The engine's half of the bridge protocol is wasm/internal/jsbridge/sink.go.
      this.#callbacks = {
        open: (url) => this.#onOpen(url),
        events: (at, length) => this.#onEvents(at, length),
        error: (readyState, kind, status, code, message) => this.#onError(readyState, kind, status, code, message),
        retrying: (delay, attempt, reason) => this.#onRetrying(delay, attempt, reason),
      };
      let blocker = shareBlocker(opts);
      if (!blocker && sharedHub()) {
        this.#joinShared(opts);
        return;
      }
      if (!blocker) blocker = 'the shared worker could not start';
      if (opts.share) this.#share = blocker;
      live.set(this, (kind, message) => this.#fail(kind, message));
      if (engineDeath) this.#fail('engine', engineDeath.message);
      // Start in a microtask: the engine may fail the first attempt during
      // the call (a headers function that throws), and listeners added
      // right after the constructor must hear of it.
      else if (engine) queueMicrotask(() => this.#start());
      else if (loadFailure) this.#engineFailed(loadFailure);
      else this.#waitForEngine();
    }

    // #dropPrefetch aborts a first request the engine will not take.
    #dropPrefetch() {
      if (this.#prefetch) this.#prefetch.abort();
      this.#prefetch = null;
    }

    // #waitForEngine starts the source when the engine is ready (loading it
    // if nobody has yet), or fails it if the engine cannot load. Meanwhile
    // its first request may already go out (prefetchFirst).
    #waitForEngine() {
      if (!this.#reader && !(this.#lifecycle && isOffline())) {
        loadBegun.then(() => {
          if (waiting.has(this) && this.#readyState !== CLOSED) this.#prefetch = prefetchFirst(this.#url, this.#engineOptions);
        });
      }
      waiting.set(this, { start: () => this.#start(), fail: (err) => this.#engineFailed(err) });
      needEngine();
    }

    get url() { return this.#url; }
    get withCredentials() { return this.#withCredentials; }
    get readyState() { return this.#readyState; }

    // The proposed EventSource.fromReadableStream() (whatwg/html#12272):
    // parse any ReadableStream of bytes as an event stream. The source's url
    // is about:event-stream; it opens, dispatches events as a network source
    // would (origin "null"), and when the stream ends or fails it fires
    // error and is CLOSED: it never reconnects. A locked stream throws a
    // TypeError. close() cancels the stream. The second argument, an
    // sseshim extension, takes json, format, maxEventSize, dedupe,
    // eventTypePath and idPath.
    static fromReadableStream(stream, options) {
      if (typeof ReadableStream === 'undefined' || !(stream instanceof ReadableStream)) {
        throw new TypeError("Failed to execute 'fromReadableStream' on 'EventSource': parameter 1 is not of type 'ReadableStream'.");
      }
      if (options !== undefined && options !== null) {
        if (typeof options !== 'object') fail('', 'object must be an object');
        for (const k of Object.keys(options)) {
          if (!STREAM_OPTIONS.includes(k)) fail(k, `does not apply to a stream (known: ${STREAM_OPTIONS.join(', ')})`);
        }
      }
      const reader = stream.getReader(); // throws a TypeError when the stream is locked
      // What the engine reads through: cancelling an errored stream rejects,
      // which is nobody's business.
      EventSource.#nextReader = {
        read: () => reader.read(),
        cancel: () => reader.cancel().catch(() => {}),
        releaseLock: () => reader.releaseLock(),
      };
      try {
        return new EventSource(STREAM_URL, options);
      } catch (err) {
        EventSource.#nextReader = null;
        reader.releaseLock();
        throw err;
      }
    }

    // The last event ID string: what id: fields set, and what a reconnect
    // sends as Last-Event-ID (whatwg/html#12272 adds the getter).
    get lastEventId() { return this.#lastEventId; }

    // The reconnection time in milliseconds: initially the engine's default
    // (or retry.initial), then what retry: fields set.
    get reconnectionTime() {
      if (this.#reconnectionTime === null && this.#handle) {
        const s = callEngine('stats', this.#handle);
        if (s) this.#reconnectionTime = s.reconnectionTime;
      }
      if (this.#reconnectionTime !== null) return this.#reconnectionTime;
      // Before the engine has started the source: the spec's default as
      // Chromium and the engine use it (eventsource.DefaultReconnectionTime).
      return (this.#engineOptions.retry && this.#engineOptions.retry.initial) || 3000;
    }

    // reset() discards unfinished buffered data — a partial line, data, an
    // event type — so that a fresh stream can be piped in; the last event ID
    // and the reconnection time persist (whatwg/html#12272).
    reset() {
      if (this.#handle) callEngine('reset', this.#handle);
    }

    // Diagnostics from the engine: events, bytes, reconnects, lastActivity,
    // nextRetry, failures, dropped, lastError.
    get stats() {
      const s = this.#handle ? callEngine('stats', this.#handle) : null;
      if (s) this.#lastStats = s;
      const shared = typeof this.#share === 'object' && this.#share !== null;
      return Object.assign({ events: 0, pings: 0, bytes: 0, reconnects: 0, failures: 0, dropped: 0,
        lastActivity: 0, nextRetry: 0, lastError: '', shared, tabs: shared ? 0 : 1 }, this.#lastStats,
      { readyState: this.#readyState }, shared || !this.#share ? {} : { shared: false, notShared: this.#share });
    }

    close() {
      this.#closedByPage = true;
      if (this.#share && typeof this.#share === 'object') {
        this.#readyState = CLOSED;
        shareMembers.delete(this.#share.id);
        if (shareHub) shareHub.port.postMessage({ t: 'leave', id: this.#share.id, tab: shareHub.tab });
        return;
      }
      this.#stopEngine();
    }

    // #joinShared joins (or starts) the shared connection for this source's
    // request in the SharedWorker.
    #joinShared(opts) {
      sharedMade = true;
      const hub = sharedHub();
      const id = nextShareId++;
      const options = { ...opts.engine };
      const fns = [];
      for (const k of ['headers', 'body']) {
        if (typeof options[k] === 'function') {
          fns.push(k);
          delete options[k];
        }
      }
      this.#share = { id, fns, options, key: shareKey(this.#url, opts), fnValues: { headers: opts.engine.headers, body: opts.engine.body } };
      shareMembers.set(id, this);
      queueMicrotask(() => this.#sendJoin(hub));
    }

    // #sendJoin asks the worker to add this source to its group. With how
    // far it got (a rejoin): the events it missed of a connection still open
    // are handed over; a connection opened for it resumes from the last
    // event ID it saw.
    #sendJoin(hub) {
      if (this.#readyState === CLOSED) return;
      const share = this.#share;
      try {
        hub.port.postMessage({ t: 'join', tab: hub.tab, locked: hub.locked, id: share.id, key: share.key, url: this.#url,
          options: share.options, fns: share.fns, lastEventId: this.#lastEventId, at: share.at });
      } catch {
        this[onShared]({ t: 'fallback' }); // an option the worker cannot receive (FormData): the page's engine
      }
    }

    // A message from the shared worker for this source.
    [onShared](msg) {
      if (this.#readyState === CLOSED && msg.t !== 'call') return;
      if (msg.stats) this.#lastStats = msg.stats;
      switch (msg.t) {
        case 'open':
          this.#share.rejoining = false;
          this.#readyState = OPEN;
          this.#origin = msg.origin;
          this.dispatchEvent(new Event('open'));
          break;
        case 'events': {
          this.#share.at = msg.at; // how far into the group's events this tab is
          this.#lastEventId = msg.lastEventId;
          this.#reconnectionTime = msg.reconnectionTime;
          if (this.#batch) {
            const Rec = this.#json ? JSONRecord : BatchRecord;
            this.dispatchEvent(new BatchEvent('batch', { events: msg.records.map((r) => new Rec(r[0], r[1], r[2])) }));
            break;
          }
          const Message = this.#json ? JSONMessageEvent : SseshimMessageEvent;
          for (const [type, data, lastEventId] of msg.records) {
            if (this.#readyState === CLOSED) break;
            this.dispatchEvent(new Message(type, data, this.#origin, lastEventId));
          }
          break;
        }
        case 'ping':
          this.dispatchEvent(new Event('ping'));
          break;
        case 'error':
          this.#readyState = msg.readyState;
          if (msg.readyState === CLOSED) shareMembers.delete(this.#share.id);
          this.dispatchEvent(new SseshimErrorEvent('error', msg));
          break;
        case 'retrying':
          this.dispatchEvent(new RetryingEvent('retrying', msg));
          break;
        case 'call': { // run this page's headers or body function for the group
          const fn = this.#share.fnValues[msg.fn];
          const hub = shareHub; // the answer goes back the way the call came, if it is still open
          const reply = (m) => { if (shareHub === hub) hub.port.postMessage(Object.assign(m, { t: 'reply', tab: hub.tab, call: msg.call })); };
          const fail = (err) => reply({ error: { name: err && err.name, message: String(err && err.message || err) } });
          Promise.resolve().then(fn).then((value) => {
            try {
              reply({ value });
            } catch (err) {
              fail(err); // a value the worker cannot receive
            }
          }, fail);
          break;
        }
        case 'away':
          shareHub.port.postMessage({ t: 'leave', id: this.#share.id, tab: shareHub.tab });
          break;
        case 'rejoin': // this tab's beats stopped for a while (it was frozen): the worker took it for gone
        case 'back': {
          if (msg.t === 'rejoin' && this.#share.rejoining) break; // a second beat's answer: joining already
          const hub = sharedHub();
          if (!hub) {
            this[onShared]({ t: 'fallback' });
            break;
          }
          this.#share.rejoining = true;
          this.#readyState = CONNECTING;
          this.dispatchEvent(new RetryingEvent('retrying', { delay: 0, attempt: 1, reason: msg.t === 'back' ? 'restored' : 'wake' }));
          queueMicrotask(() => this.#sendJoin(hub));
          break;
        }
        case 'fallback': // the worker cannot start: this page's own engine
          shareMembers.delete(this.#share.id);
          this.#share = 'the shared worker could not start';
          live.set(this, (kind, message) => this.#fail(kind, message));
          if (engine) queueMicrotask(() => this.#start());
          else if (loadFailure) this.#engineFailed(loadFailure);
          else this.#waitForEngine();
          break;
      }
    }

    // #stopEngine makes the source CLOSED and stops its engine, if any.
    #stopEngine() {
      this.#dropPrefetch();
      live.delete(this);
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      waiting.delete(this);
      if (this.#reader && !this.#handle) this.#reader.cancel(); // the engine never had it
      if (this.#handle && engine) {
        this.#lastStats = callEngine('stats', this.#handle) || this.#lastStats;
        callEngine('close', this.#handle);
      }
    }

    // #fail fails the connection from the page's side: the engine stopped.
    #fail(kind, message) {
      this.#stopEngine();
      this.#failSoon(kind, message);
    }

    // The page's lifecycle (see "page lifecycle" below): what happened, and
    // whether this source's connection should be paused or replaced.
    [onLifecycle](what) {
      if (!this.#lifecycle || this.#readyState === CLOSED || this.#failing) return;
      if (!this.#handle) {
        if (what === 'online' && this.#offlineStart && engine) {
          this.#offlineStart = false;
          this.#start();
        }
        return;
      }
      switch (what) {
        case 'offline':
        case 'hidden-cached':
          callEngine('pause', this.#handle);
          break;
        case 'online':
        case 'wake':
        case 'restored':
          callEngine('reconnect', this.#handle, what);
          break;
        case 'visible': {
          const stale = this.#lifecycle.staleAfter;
          const s = stale ? callEngine('stats', this.#handle) : null;
          if (s && s.lastActivity && Date.now() - s.lastActivity > stale) callEngine('reconnect', this.#handle, 'visible');
          break;
        }
      }
    }

    // window.stop() aborted the fetch in flight, if there is one (or the
    // engine's own download, while the source waits for it): fail the
    // connection (#fail-the-connection: a task that sets readyState to
    // CLOSED and fires error; until then readyState stays as it is).
    [abortedByUserAgent]() {
      if (this.#handle && this.#retryingUntil > performance.now()) return; // no fetch to abort
      live.delete(this);
      waiting.delete(this);
      this.#failing = true;
      if (this.#handle && engine) callEngine('close', this.#handle);
      setTimeout(() => {
        if (this.#closedByPage || this.#readyState === CLOSED) return;
        this.#readyState = CLOSED;
        this.dispatchEvent(new SseshimErrorEvent('error', { kind: 'network', message: 'the user agent aborted the request (window.stop())' }));
      }, 0);
    }

    #start() {
      if (this.#readyState === CLOSED || this.#failing) {
        this.#dropPrefetch();
        return;
      }
      if (this.#lifecycle && isOffline()) {
        this.#dropPrefetch();
        this.#offlineStart = true; // no attempt while offline: 'online' starts it
        return;
      }
      const prefetch = this.#prefetch;
      this.#prefetch = null;
      const h = this.#reader
        ? callEngine('open', this.#url, this.#engineOptions, this.#callbacks, this.#reader)
        : callEngine('open', this.#url, this.#engineOptions, this.#callbacks, undefined, prefetch || undefined);
      if (typeof h !== 'number' && prefetch) prefetch.abort();
      if (typeof h === 'number') this.#handle = h;
      else if (this.#readyState !== CLOSED) this.#failSoon('config', String(h));
    }

    #engineFailed(err) {
      this.#dropPrefetch();
      this.#failSoon('engine', 'sseshim: the engine did not load: ' + err.message.replace(/^sseshim: /, ''));
    }

    // #failSoon fails the connection in a task of its own, as the browser
    // does, so that listeners added right after the constructor see it.
    #failSoon(kind, message) {
      this.#readyState = CLOSED;
      live.delete(this);
      setTimeout(() => {
        if (!this.#closedByPage) this.dispatchEvent(new SseshimErrorEvent('error', { kind, message }));
      }, 0);
    }

    // Calls from the engine. After close() nothing more is dispatched.

    #onOpen(url) {
      if (this.#readyState === CLOSED || this.#failing) return;
      if (this.#pending) this.#flushPending();
      this.#readyState = OPEN;
      try {
        this.#origin = new URL(url || this.#url).origin;
      } catch {
        this.#origin = new URL(this.#url).origin;
      }
      this.dispatchEvent(new Event('open'));
    }

    // #onEvents reads one chunk's records (wasm/internal/jsbridge/sink.go):
    // "m\rtype\rdata\r" a message, "i\rid\r" a new last event ID,
    // "r\rms\r" a new reconnection time, "p\r" a ping.
    // The bytes are in the engine's memory at [at, at + length): decoded
    // here, before any listener runs, since the engine reuses the buffer
    // and its memory's ArrayBuffer is replaced when it grows.
    #onEvents(at, length) {
      if (this.#readyState === CLOSED || this.#failing || !engine) return;
      // The WHATWG UTF-8 decoder replaces invalid sequences
      // (#parsing-an-event-stream).
      const f = utf8.decode(new Uint8Array(engine.memory.buffer, at, length)).split('\r');
      if (this.#batch) {
        this.#onBatch(f);
        return;
      }
      const origin = this.#origin;
      const Message = this.#json ? JSONMessageEvent : SseshimMessageEvent;
      this.#records(f, (type, data) => this.dispatchEvent(new Message(type, data, origin, this.#lastEventId)));
    }

    // #records reads one chunk's records in order: messages go to
    // onMessage, the last event ID and reconnection time are kept, pings
    // fire ping. It stops when the source closes (close() from a listener).
    #records(f, onMessage) {
      const end = f.length - 1; // the text ends with a CR
      for (let i = 0; i < end && this.#readyState !== CLOSED && !this.#failing;) {
        const flag = f[i];
        if (flag === 'm') {
          onMessage(f[i + 1], f[i + 2]);
          i += 3;
        } else if (flag === 'i') {
          this.#lastEventId = f[i + 1];
          i += 2;
        } else if (flag === 'r') {
          this.#reconnectionTime = Number(f[i + 1]);
          i += 2;
        } else {
          i += 1;
          this.dispatchEvent(new Event('ping'));
        }
      }
    }

    // #onBatch turns a chunk's records into plain records for one batch
    // event (now, or at the next animation frame); pings still fire ping.
    #onBatch(f) {
      const Rec = this.#json ? JSONRecord : BatchRecord;
      const out = this.#pending || [];
      this.#records(f, (type, data) => out.push(new Rec(type, data, this.#lastEventId)));
      if (this.#readyState === CLOSED || this.#failing) return;
      if (this.#batch !== 'frame') {
        if (out.length) this.dispatchEvent(new BatchEvent('batch', { events: out }));
        return;
      }
      if (this.#pending || !out.length) return; // a frame is already due
      this.#pending = out;
      nextFrame(() => this.#flushPending());
    }

    // #flushPending delivers the records waiting for a frame: at the frame,
    // or at once before an error, a retry or an open, so that what was
    // received is neither lost nor delivered out of order.
    #flushPending() {
      const events = this.#pending;
      this.#pending = null;
      if (events && events.length && !this.#closedByPage && !this.#failing) {
        this.dispatchEvent(new BatchEvent('batch', { events }));
      }
    }

    #onError(readyState, kind, status, code, message) {
      if (this.#readyState === CLOSED || this.#failing) return;
      if (this.#pending) this.#flushPending();
      this.#readyState = readyState;
      if (readyState === CLOSED) live.delete(this);
      this.dispatchEvent(new SseshimErrorEvent('error', { kind, status, code, message }));
    }

    #onRetrying(delay, attempt, reason) {
      if (this.#readyState === CLOSED || this.#failing) return;
      if (this.#pending) this.#flushPending();
      this.#retryingUntil = performance.now() + delay;
      this.dispatchEvent(new RetryingEvent('retrying', { delay, attempt, reason }));
    }
  }

  for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSED', CLOSED]]) {
    Object.defineProperty(EventSource, name, { value, enumerable: true });
    Object.defineProperty(EventSource.prototype, name, { value, enumerable: true });
  }

  // Event handler attributes (#event-handler-attributes): the listener is added when the
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

  return { EventSource, SseshimErrorEvent, RetryingEvent, BatchEvent, ready, CONNECTING, OPEN, CLOSED };
}
