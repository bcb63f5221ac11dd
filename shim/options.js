// The options of the EventSource constructor's second argument: the shim's
// half of the options protocol, and the URL check of the constructor.
// What passes is sent to the engine as the user set it, and only what the
// user set: the defaults live in the engine (eventsource.Config), and the
// bridge's table of the same names (wasm/internal/jsbridge/config.go)
// reads it. A browser test (tests/bridge_test.go) proves that the two
// tables name the same options.

const FORMATS = ['sse', 'ndjson', 'auto'];

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

// OPTIONS: every option and how it is checked. SHIM_ONLY options are used
// by the shim and never sent to the engine.
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
// into what the engine reads and what only the shim uses. shareByDefault
// is the page's default for share (the script tag's data-share).
export function normalizeOptions(init, shareByDefault) {
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
export function validURL(url, base) {
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

// The base URL relative URLs resolve against: the document's, or in a
// worker its script's.
export const baseURL = () => (typeof document !== 'undefined' ? document.baseURI : globalThis.location && location.href);

// checkStreamOptions checks the options of fromReadableStream(): nothing
// about requests or reconnection applies to a stream handed over.
export function checkStreamOptions(options) {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') fail('', 'object must be an object');
  for (const k of Object.keys(options)) {
    if (!STREAM_OPTIONS.includes(k)) fail(k, `does not apply to a stream (known: ${STREAM_OPTIONS.join(', ')})`);
  }
}
