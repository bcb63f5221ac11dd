// Shared connections, the tab's side (the worker's is share.js): sources in
// any tab of the origin whose requests would be identical share one
// connection, held by a SharedWorker. A source with a headers, body or
// fetch function, or a body that is not a string, shares only with a group
// name (share: 'orders-feed'): the page vouches that the requests are
// equivalent. The functions cannot cross into the worker, so the worker
// asks a member page to run them (#call): a fetch function makes the
// group's request in that page, and the response's body, a ReadableStream,
// is transferred to the worker. Where SharedWorker is missing, the worker
// cannot start, or (with a fetch function) a stream cannot be transferred,
// the source runs on the page's own engine and stats.notShared says why.

import { CONNECTING, CLOSED } from './protocol.js';
import { host } from './host.js';
import { noteShared } from './engine.js';
import { abortFetchCall, fetchForGroup, leaveFetchCalls, streamsTransfer } from './share-fetch.js';
import { monotonic, visible } from './lifecycle.js';

const shareMembers = new Map(); // id → SharedConnection
let shareHub = null; // {port, tab, locked, timers, releaseLock, onVisibility}
let shareBroken = false;
let nextShareId = 1;
const NO_WORKER = 'the shared worker could not start';
// How often, in ms, the worker and a tab without Web Locks say they live,
// unless the worker's URL sets it (?beat=): both sides read it.
export const DEFAULT_BEAT = 5000;
// WORKER_START_ALLOWANCE is how long a new worker may stay silent before a
// tab takes it for dead.
const WORKER_START_ALLOWANCE = 10000;

// Shared sources leave their groups while the page is away (in the
// back/forward cache, which a message from the worker would evict it from;
// or gone, for browsers without Web Locks) and join again when a cached
// page is restored.
if (typeof addEventListener === 'function') {
  addEventListener('pagehide', () => {
    // The group's requests made here end: the worker makes the next one in
    // another tab.
    leaveFetchCalls();
    if (!shareHub) return;
    for (const c of [...shareMembers.values()]) c.receive({ t: 'away' });
    // Close the port too: a message already on its way would evict the
    // cached page. A restored page connects anew.
    dropHub();
  });
  addEventListener('pageshow', (e) => { if (e.persisted) for (const c of [...shareMembers.values()]) c.receive({ t: 'back' }); });
}

// shareConnection returns the shared connection for a source that asks
// for one (opts.share), or why it cannot have one; null when not asked.
export function shareConnection(sink, url, opts) {
  if (!opts.share) return null;
  const blocker = shareBlocker(opts);
  if (blocker) return blocker;
  const hub = sharedHub();
  return hub ? new SharedConnection(sink, url, opts) : NO_WORKER;
}

function shareBlocker(opts) {
  if (typeof SharedWorker !== 'function' || !host.shareWorkerURL) return 'no SharedWorker here';
  if (shareBroken) return NO_WORKER;
  const e = opts.engine;
  const vouched = typeof opts.share === 'string';
  if (!vouched && (typeof e.headers === 'function' || typeof e.body === 'function' || typeof e.fetch === 'function' ||
      (e.body !== undefined && typeof e.body !== 'string'))) {
    return 'a headers or body function, a fetch function, or a body that is not a string, shares only under a group name';
  }
  if (typeof e.fetch === 'function' && !streamsTransfer()) {
    return 'a fetch function shares only where a ReadableStream can be transferred to the shared worker, and not in this browser';
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
  for (const k of ['headers', 'body', 'fetch']) if (typeof e[k] === 'function' || (k === 'body' && e[k] !== undefined && typeof e[k] !== 'string')) e[k] = 'fn';
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
    worker = new SharedWorker(host.shareWorkerURL(), { name: 'sseshim' });
  } catch (err) {
    // A cross-origin sseshim.js, an opaque-origin frame, a build without
    // import.meta.url: this page's own engine serves instead.
    shareBroken = true;
    return null;
  }
  const tab = globalThis.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  const hub = { port: worker.port, tab, locked: false, timers: [], releaseLock: () => {}, onVisibility: null };
  // `beat`: the worker's URL may set it, as the worker reads it.
  const period = Number(new URL(host.shareWorkerURL()).searchParams.get('beat')) || DEFAULT_BEAT;
  // The tab holds a lock for its life: the worker learns that the tab is
  // gone when it is released. The join does not wait for the lock (a
  // page's first lock request can be slow to be granted): the tab says
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
  // Until its first word the worker is starting (its script loads and
  // runs, slowly on a busy device): it gets a start-up allowance first.
  let heard = monotonic();
  let spoke = false;
  hub.timers.push(setInterval(() => {
    const limit = spoke ? 3 * period : Math.max(3 * period, WORKER_START_ALLOWANCE);
    if (shareHub === hub && shareMembers.size && monotonic() - heard > limit) {
      dropHub();
      for (const c of [...shareMembers.values()]) c.receive({ t: 'rejoin' });
    }
  }, period));
  worker.onerror = () => {
    shareBroken = true;
    for (const c of [...shareMembers.values()]) c.receive({ t: 'fallback' });
  };
  worker.port.onmessage = (m) => {
    heard = monotonic();
    spoke = true;
    if (m.data.t === 'abortCall') { // the group's request made here is no longer wanted
      abortFetchCall(m.data.call);
      return;
    }
    const source = shareMembers.get(m.data.id);
    if (source) source.receive(m.data);
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

// SharedConnection is a source's membership of the shared connection for
// its request, in the SharedWorker: it mirrors that connection to the
// source's sink.
class SharedConnection {
  shared = true;
  #sink;
  #url;
  #id = 0;
  #key;
  #options; // the engine's options, without the functions
  #fns = []; // which options are functions, run in this tab for the group
  #fnValues;
  #at; // how far into the group's events this tab is
  #rejoining = false;
  #lastStats = null;

  constructor(sink, url, opts) {
    this.#sink = sink;
    this.#url = url;
    this.#options = { ...opts.engine };
    for (const k of ['headers', 'body', 'fetch']) {
      if (typeof this.#options[k] === 'function') {
        this.#fns.push(k);
        delete this.#options[k];
      }
    }
    this.#key = shareKey(url, opts);
    this.#fnValues = { headers: opts.engine.headers, body: opts.engine.body, fetch: opts.engine.fetch };
  }

  // start joins (or starts) the shared connection.
  start() {
    noteShared();
    const hub = sharedHub();
    this.#id = nextShareId++;
    shareMembers.set(this.#id, this);
    queueMicrotask(() => this.#sendJoin(hub));
  }

  // #sendJoin asks the worker to add this source to its group. With how
  // far it got (a rejoin): the events it missed of a connection still open
  // are handed over; a connection opened for it resumes from the last
  // event ID it saw.
  #sendJoin(hub) {
    if (this.#sink.state() === CLOSED) return;
    try {
      hub.port.postMessage({ t: 'join', tab: hub.tab, locked: hub.locked, id: this.#id, key: this.#key, url: this.#url,
        options: this.#options, fns: this.#fns, lastEventId: this.#sink.lastEventId(), at: this.#at });
    } catch {
      this.receive({ t: 'fallback' }); // an option the worker cannot receive (FormData): the page's engine
    }
  }

  close() {
    this.#sink.setState(CLOSED);
    shareMembers.delete(this.#id);
    if (shareHub) shareHub.port.postMessage({ t: 'leave', id: this.#id, tab: shareHub.tab });
  }

  reset() {} // the group's stream is not this source's to reset

  stats() {
    return this.#lastStats;
  }

  reconnectionTime() {
    return undefined; // the worker says it with each delivery
  }

  // receive takes a message from the shared worker for this source.
  receive(msg) {
    const sink = this.#sink;
    if (sink.state() === CLOSED && msg.t !== 'call') return;
    if (msg.stats) this.#lastStats = msg.stats;
    switch (msg.t) {
      case 'open':
        this.#rejoining = false;
        sink.open(msg.origin);
        break;
      case 'events': {
        this.#at = msg.at;
        sink.id(msg.lastEventId);
        sink.retry(msg.reconnectionTime);
        for (const [type, data, lastEventId] of msg.records) {
          if (!sink.live()) break;
          sink.message(type, data, lastEventId);
        }
        sink.delivered();
        break;
      }
      case 'ping':
        sink.ping();
        break;
      case 'error':
        if (msg.readyState === CLOSED) shareMembers.delete(this.#id);
        sink.error(msg.readyState, msg);
        break;
      case 'retrying':
        sink.retrying(msg);
        break;
      case 'call': // run this page's headers, body or fetch function for the group
        this.#call(msg);
        break;
      case 'away':
        shareHub.port.postMessage({ t: 'leave', id: this.#id, tab: shareHub.tab });
        break;
      case 'rejoin': // this tab's beats stopped for a while (it was frozen): the worker took it for gone
      case 'back': {
        if (msg.t === 'rejoin' && this.#rejoining) break; // a second beat's answer: joining already
        const hub = sharedHub();
        if (!hub) {
          this.receive({ t: 'fallback' });
          break;
        }
        this.#rejoining = true;
        sink.setState(CONNECTING);
        sink.retrying({ delay: 0, attempt: 1, reason: msg.t === 'back' ? 'restored' : 'wake' });
        queueMicrotask(() => this.#sendJoin(hub));
        break;
      }
      case 'fallback': // the worker cannot start: this page's own engine
        shareMembers.delete(this.#id);
        sink.fallback(NO_WORKER);
        break;
    }
  }

  // #call runs this page's headers, body or fetch function for the group;
  // the answer goes back the way the call came, if it is still open.
  #call(msg) {
    const fn = this.#fnValues[msg.fn];
    const hub = shareHub;
    const reply = (m, transfer = []) => {
      if (shareHub === hub) hub.port.postMessage(Object.assign(m, { t: 'reply', tab: hub.tab, call: msg.call }), transfer);
    };
    const fail = (err) => reply({ error: { name: err && err.name, message: String(err && err.message || err) } });
    if (msg.fn === 'fetch') {
      fetchForGroup(fn, msg, reply, fail);
      return;
    }
    Promise.resolve().then(fn).then((value) => {
      try {
        reply({ value });
      } catch (err) {
        fail(err); // a value the worker cannot receive
      }
    }, fail);
  }
}
