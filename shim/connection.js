// A source's connection on the page's own engine. A connection, this one or
// a shared one (share-client.js), serves one EventSource through the same
// interface: start(), close(), reset(), stats(), reconnectionTime() and
// `shared`; it reports to the source's sink (eventsource.js), which holds
// the state the page sees and fires the events.

import { CLOSED, KIND, RECORD, SEPARATOR, CALL, CALLBACK, OPEN_ARG, RESULT } from './protocol.js';
import { engine, loadFailure, engineDeath, live, waiting, loadBegun, needEngine, callEngine } from './engine.js';
import { isOffline } from './lifecycle.js';
import { prefetchFirst } from './prefetch.js';

// UTF-8 with replacement (#parsing-an-event-stream); a chunk's records
// start with a flag letter, so no BOM of the data is ever taken for the
// text's own.
const utf8 = new TextDecoder();

export class EngineConnection {
  shared = false;
  #sink;
  #url;
  #options; // what the engine reads (options.js normalizeOptions)
  #lifecycle; // null with lifecycle: false, else {staleAfter}
  #reader; // fromReadableStream(): the stream's reader, handed to the engine
  #handle = 0;
  #callbacks;
  #prefetch = null; // the first request, begun while the engine loads
  #offlineStart = false; // started offline: started on 'online'
  #retryingUntil = 0; // waiting to reconnect until then: no fetch in flight
  #lastStats = null;

  constructor(sink, url, options, lifecycle, reader) {
    this.#sink = sink;
    this.#url = url;
    this.#options = options;
    this.#lifecycle = lifecycle;
    this.#reader = reader;
    this.#callbacks = {
      [CALLBACK.OPEN]: (u) => this.#onOpen(u),
      [CALLBACK.EVENTS]: (at, length) => this.#onEvents(at, length),
      [CALLBACK.ERROR]: (readyState, kind, status, code, message) => this.#onError(readyState, kind, status, code, message),
      [CALLBACK.RETRYING]: (delay, attempt, reason) => this.#onRetrying(delay, attempt, reason),
    };
  }

  // start is the one start sequence of a source on this page's engine:
  // at construction, and when a shared source falls back to its own.
  start() {
    live.add(this);
    if (engineDeath) this.#fail(KIND.ENGINE, engineDeath.message);
    // Open in a microtask: the engine may fail the first attempt during
    // the call (a headers function that throws), and listeners added
    // right after the constructor must hear of it.
    else if (engine) queueMicrotask(() => this.#open());
    else if (loadFailure) this.engineFailed(loadFailure);
    else this.#waitForEngine();
  }

  // #waitForEngine opens the connection when the engine is ready (loading
  // it if nobody has yet), or fails it if the engine cannot load.
  // Meanwhile its first request may already go out (prefetch.js).
  #waitForEngine() {
    if (!this.#reader && !(this.#lifecycle && isOffline())) {
      loadBegun.then(() => {
        if (waiting.has(this) && this.#sink.state() !== CLOSED) this.#prefetch = prefetchFirst(this.#url, this.#options);
      });
    }
    waiting.add(this);
    needEngine();
  }

  engineReady() {
    this.#open();
  }

  engineFailed(err) {
    this.#dropPrefetch();
    this.#failSoon(KIND.ENGINE, 'sseshim: the engine did not load: ' + err.message.replace(/^sseshim: /, ''));
  }

  engineDied(message) {
    this.#fail(KIND.ENGINE, message);
  }

  // #dropPrefetch aborts a first request the engine will not take.
  #dropPrefetch() {
    if (this.#prefetch) this.#prefetch.abort();
    this.#prefetch = null;
  }

  #open() {
    if (!this.#sink.live()) {
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
    const arg = { [OPEN_ARG.URL]: this.#url, [OPEN_ARG.OPTIONS]: this.#options, [OPEN_ARG.CALLBACKS]: this.#callbacks };
    if (this.#reader) arg[OPEN_ARG.READER] = this.#reader;
    else if (prefetch) arg[OPEN_ARG.PREFETCH] = prefetch;
    // {id}, or {error: {kind, message}}; nothing when the engine is gone
    // (callEngine has failed every source then).
    const r = callEngine(CALL.OPEN, arg);
    const id = r && r[RESULT.ID];
    if (!id && prefetch) prefetch.abort();
    if (id) this.#handle = id;
    else if (r && this.#sink.state() !== CLOSED) {
      const err = r[RESULT.ERROR] || {};
      this.#failSoon(err[RESULT.KIND] || KIND.CONFIG, String(err[RESULT.MESSAGE]));
    }
  }

  // close makes the source CLOSED and stops its engine connection, if any.
  close() {
    this.#dropPrefetch();
    live.delete(this);
    if (this.#sink.state() === CLOSED) return;
    this.#sink.setState(CLOSED);
    waiting.delete(this);
    if (this.#reader && !this.#handle) this.#reader.cancel(); // the engine never had it
    if (this.#handle && engine) {
      this.#lastStats = callEngine(CALL.STATS, this.#handle) || this.#lastStats;
      callEngine(CALL.CLOSE, this.#handle);
    }
  }

  // #fail fails the connection from the page's side: the engine stopped.
  #fail(kind, message) {
    this.close();
    this.#failSoon(kind, message);
  }

  #failSoon(kind, message) {
    live.delete(this);
    this.#sink.fail(kind, message);
  }

  reset() {
    if (this.#handle) callEngine(CALL.RESET, this.#handle);
  }

  stats() {
    const s = this.#handle ? callEngine(CALL.STATS, this.#handle) : null;
    if (s) this.#lastStats = s;
    return this.#lastStats;
  }

  reconnectionTime() {
    const s = this.#handle ? callEngine(CALL.STATS, this.#handle) : null;
    return s ? s.reconnectionTime : undefined;
  }

  // lifecycle: what happened to the page (lifecycle.js), and whether this
  // connection should be paused or replaced.
  lifecycle(what) {
    if (!this.#lifecycle || !this.#sink.live()) return;
    if (!this.#handle) {
      if (what === 'online' && this.#offlineStart && engine) {
        this.#offlineStart = false;
        this.#open();
      }
      return;
    }
    switch (what) {
      case 'offline':
      case 'hidden-cached':
        callEngine(CALL.PAUSE, this.#handle);
        break;
      case 'online':
      case 'wake':
      case 'restored':
        callEngine(CALL.RECONNECT, this.#handle, what);
        break;
      case 'visible': {
        const stale = this.#lifecycle.staleAfter;
        const s = stale ? callEngine(CALL.STATS, this.#handle) : null;
        if (s && s.lastActivity && Date.now() - s.lastActivity > stale) callEngine(CALL.RECONNECT, this.#handle, 'visible');
        break;
      }
    }
  }

  // window.stop() aborted the fetch in flight, if there is one (or the
  // engine's own download, while the source waits for it): fail the
  // connection (#fail-the-connection: a task that sets readyState to
  // CLOSED and fires error; until then readyState stays as it is).
  abortedByUserAgent() {
    if (this.#handle && this.#retryingUntil > performance.now()) return; // no fetch to abort
    live.delete(this);
    waiting.delete(this);
    this.#sink.abort(KIND.NETWORK, 'the user agent aborted the request (window.stop())');
    if (this.#handle && engine) callEngine(CALL.CLOSE, this.#handle);
  }

  // Calls from the engine. After close() nothing more is dispatched.

  #onOpen(url) {
    if (!this.#sink.live()) return;
    let origin;
    try {
      origin = new URL(url || this.#url).origin;
    } catch {
      origin = new URL(this.#url).origin;
    }
    this.#sink.open(origin);
  }

  // #onEvents reads one chunk's records (protocol.js RECORD) in order. The
  // bytes are in the engine's memory at [at, at + length): decoded here,
  // before any listener runs, since the engine reuses the buffer and its
  // memory's ArrayBuffer is replaced when it grows. It stops when the
  // source closes (close() from a listener).
  #onEvents(at, length) {
    const sink = this.#sink;
    if (!sink.live() || !engine) return;
    const f = utf8.decode(new Uint8Array(engine.memory.buffer, at, length)).split(SEPARATOR);
    const end = f.length - 1; // the text ends with a separator
    for (let i = 0; i < end && sink.live();) {
      const flag = f[i];
      if (flag === RECORD.MESSAGE) {
        sink.message(f[i + 1], f[i + 2]);
        i += 3;
      } else if (flag === RECORD.ID) {
        sink.id(f[i + 1]);
        i += 2;
      } else if (flag === RECORD.RETRY) {
        sink.retry(Number(f[i + 1]));
        i += 2;
      } else {
        i += 1;
        sink.ping();
      }
    }
    sink.delivered();
  }

  #onError(readyState, kind, status, code, message) {
    if (!this.#sink.live()) return;
    if (readyState === CLOSED) live.delete(this);
    this.#sink.error(readyState, { kind, status, code, message });
  }

  #onRetrying(delay, attempt, reason) {
    if (!this.#sink.live()) return;
    this.#retryingUntil = performance.now() + delay;
    this.#sink.retrying({ delay, attempt, reason });
  }
}
