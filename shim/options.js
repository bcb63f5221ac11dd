// The options of the EventSource constructor's second argument: the shim's
// half of the options protocol, and the URL check of the constructor.
// Every option, its kind, bounds, default and flags come from the one table
// in Go (wasm/optspec, generated into options.gen.js); this module
// holds a checker per kind. What passes is sent to the engine as the user
// set it, and only what the user set: the engine applies the defaults.

import { OPTIONS, RULES } from './options.gen.js';

function fail(path, what) {
  throw new TypeError(`sseshim: option ${path} ${what}`);
}

function num(v, path, { min = 0, max = Infinity, int = false }) {
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

// A request body fetch() can send again on every reconnect (so no
// ReadableStream): a string, URLSearchParams, Blob, FormData or bytes.
function plainBody(v, path) {
  const ok = typeof v === 'string' || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
    (typeof Blob !== 'undefined' && v instanceof Blob) || (typeof FormData !== 'undefined' && v instanceof FormData) ||
    (typeof URLSearchParams !== 'undefined' && v instanceof URLSearchParams);
  if (!ok) fail(path, 'must be a string, URLSearchParams, Blob, FormData, ArrayBuffer or typed array, or a function returning one');
  return v;
}

// isAbortSignal is WebIDL's check of an AbortSignal argument: the brand
// check of its aborted getter, which passes a signal of any realm (an
// iframe's) and no look-alike.
const abortedGetter = typeof AbortSignal === 'function' ? Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get : null;
function isAbortSignal(v) {
  if (!abortedGetter || typeof v !== 'object' || v === null) return false;
  try {
    abortedGetter.call(v);
    return true;
  } catch {
    return false;
  }
}

// A fetch function is wrapped so that the engine always gets a promise: an
// exception it throws becomes a rejection, which the engine reports as a
// network error carrying its message.
function fetchFunction(v, path) {
  if (typeof v !== 'function') fail(path, 'must be a function with the signature of fetch');
  return (input, init) => {
    try {
      return Promise.resolve(v(input, init));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

// KINDS: a checker per kind of option (optspec.Kind). Each gets the value,
// its path for the error message, and the option's table entry.
const KINDS = {
  // The spec's one member: a dictionary boolean, so any value converts.
  dictBool: (v) => Boolean(v),
  bool,
  string: str,
  number: num,
  // A query parameter name, or false for none.
  name: (v, p) => (v === false || (typeof v === 'string' && v !== '' && v !== '-') ? v : fail(p, 'must be a parameter name or false')),
  strings: (v, p) => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(p, 'must be an array of strings');
    return v.slice();
  },
  enum: (v, p, o) => (o.values.includes(v) ? v : fail(p, `must be one of ${o.values.join(', ')}`)),
  // A request method: a token, not one the Fetch Standard forbids.
  method: (v, p) => {
    if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) fail(p, 'must be an HTTP method');
    if (['CONNECT', 'TRACE', 'TRACK'].includes(v.toUpperCase())) fail(p, `must not be ${v.toUpperCase()}`);
    return v.toUpperCase();
  },
  body: valueOrFunction(plainBody),
  headers: valueOrFunction(plainHeaders),
  share: (v, p) => (typeof v === 'boolean' || (typeof v === 'string' && v !== '') ? v : fail(p, 'must be a boolean or a group name')),
  batch: (v, p) => (v === true || v === false || v === 'frame' ? v : fail(p, "must be true, false or 'frame'")),
  statuses: (v, p, o) => {
    if (!Array.isArray(v)) fail(p, 'must be an array of HTTP statuses');
    return v.map((s, i) => num(s, `${p}[${i}]`, { min: o.min, max: o.max, int: true }));
  },
  // true asks for the default count (the engine's), false for none.
  count: (v, p, o) => (typeof v === 'boolean' ? v : num(v, p, { max: o.max, int: true })),
  // Nullable, as fetch's RequestInit.signal: null is none.
  signal: (v, p) => (v === null || isAbortSignal(v) ? v : fail(p, 'must be an AbortSignal')),
  function: fetchFunction,
  // A group is an option whose members are options: checked member by
  // member, unknown members refused; a number is its shorthand member.
  group: (v, p, o) => {
    if (typeof v === 'number' && o.shorthand) v = { [o.shorthand]: v };
    if (typeof v !== 'object' || v === null) fail(p, 'must be an object');
    const out = checkFields(v, o.members, p + '.');
    for (const m of o.members) if (m.required && out[m.name] === undefined) fail(`${p}.${m.name}`, 'must be set');
    return out;
  },
};

function checkFields(obj, table, prefix) {
  for (const k of Object.keys(obj)) {
    if (!table.some((o) => o.name === k)) fail(prefix + k, `is unknown (known: ${table.map((o) => o.name).join(', ')})`);
  }
  const out = {};
  for (const o of table) {
    if (obj[o.name] !== undefined) out[o.name] = KINDS[o.kind](obj[o.name], prefix + o.name, o);
  }
  return out;
}

// find returns the table entry of a path such as "retry.max".
function find(path) {
  let o = { members: OPTIONS };
  for (const k of path.split('.')) o = o.members.find((m) => m.name === k);
  return o;
}

// setOrDefault reads path in the checked options: the value set, else the
// engine's default (the table's).
function setOrDefault(engine, path) {
  const [top, member] = path.split('.');
  const v = member === undefined ? engine[top] : engine[top] && engine[top][member];
  return v !== undefined ? v : find(path).default;
}

// The rules between options (optspec.Rules), checked here so that breaking
// one throws from the constructor; the engine enforces the same for Go users.
const RULE_CHECKS = {
  methodNotIn: (engine, r) => {
    const method = setOrDefault(engine, r.other);
    if (r.values.includes(method)) fail(r.option, `needs a method other than ${method} (method: 'POST')`);
  },
  atLeast: (engine, r) => {
    if (setOrDefault(engine, r.option) < setOrDefault(engine, r.other)) fail(r.option, `must not be less than ${r.other}`);
  },
};

// A rule applies where its option is set (a group's member: where the group is).
function applies(engine, path) {
  return engine[path.split('.')[0]] !== undefined;
}

const SHIM_ONLY = OPTIONS.filter((o) => o.shimOnly).map((o) => o.name);
// What fromReadableStream() takes: nothing about requests or reconnection.
const STREAM_OPTIONS = OPTIONS.filter((o) => o.stream).map((o) => o.name);

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
  const engine = checkFields(init, OPTIONS, '');
  for (const r of RULES) if (applies(engine, r.option)) RULE_CHECKS[r.kind](engine, r);
  if (engine.withCredentials === false) delete engine.withCredentials; // the default: nothing to send
  const json = engine.json === true;
  const batch = engine.batch || false;
  const lifecycle = engine.lifecycle !== false;
  const share = engine.share || false;
  const signal = engine.signal || null;
  // A connection silent longer than this is replaced when the tab becomes
  // visible again: staleAfter, or the ping watchdog's limit.
  const staleAfter = engine.staleAfter || (engine.ping ? engine.ping.interval + setOrDefault(engine, 'ping.leeway') : 0);
  for (const k of SHIM_ONLY) delete engine[k];
  return { engine, json, batch, lifecycle, staleAfter, share, signal };
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
