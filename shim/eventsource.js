// EventSource (WHATWG HTML "Server-sent events", #server-sent-events): the
// state the page sees and the events it hears. The connection behind it is
// either the page's own engine's (connection.js) or a shared one
// (share-client.js); both report to the source's sink, below.

import { CONNECTING, OPEN, CLOSED, STATS_DEFAULTS } from './protocol.js';
import { host } from './host.js';
import { normalizeOptions, validURL, baseURL, checkStreamOptions } from './options.js';
import { RECONNECTION_TIME } from './options.gen.js';
import { SseshimErrorEvent, RetryingEvent, BatchEvent, BatchRecord, JSONRecord, SseshimMessageEvent, JSONMessageEvent } from './events.js';
import { EngineConnection } from './connection.js';
import { shareConnection } from './share-client.js';
import { createIterator, CLOSED_BY_PAGE } from './iterate.js';
import { backForward, LeaveHold } from './lifecycle.js';

const STREAM_URL = 'about:event-stream';

// nextFrame runs f at the next animation frame, or soon where there are
// none: a worker without requestAnimationFrame, or a hidden page, whose
// frames stop (its batches must not pile up until it is shown).
const nextFrame = (f) => (typeof requestAnimationFrame === 'function' &&
  !(typeof document !== 'undefined' && document.hidden)
  ? requestAnimationFrame(() => f())
  : setTimeout(f, 16));

export class EventSource extends EventTarget {
  #url;
  #withCredentials;
  #readyState = CONNECTING;
  #engineOptions;
  #lifecycle; // null with lifecycle: false, else {staleAfter}
  #reader = null; // fromReadableStream(): the stream's reader, handed to the engine
  static #nextReader = null; // fromReadableStream() passes its reader to the constructor
  #Message; // the message event's class: with or without json
  #Record; // batch: a batch record's class
  #batch; // false, true (a batch event per chunk) or 'frame' (per animation frame)
  #collected = null; // batch: the records of the chunk, or of the frame, not yet delivered
  #frameDue = false; // batch: 'frame': a frame will deliver #collected
  #origin = '';
  #lastEventId = '';
  #reconnectionTime = null; // null until the connection says (see the getter)
  #failing = false; // failed by window.stop(): nothing more from the connection
  #closedByPage = false;
  #conn;
  #notShared = null; // why a source that asked to share does not
  #sink;
  #iterators = new Set(); // each iterator's ended(): told how the source ended
  #ended; // how it ended, for iterators made later: CLOSED_BY_PAGE or the error's init
  #restoredAt = backForward.entries; // back/forward cache entries this source has come back from
  #reconnectReason; // why the page's lifecycle last replaced the connection (stats)
  #held = new LeaveHold(); // an error and retrying that come as the page is left
  #signal = null; // the signal option, while its abort may still close the source
  #onAbort = null;

  constructor(url, eventSourceInitDict) {
    super();
    if (arguments.length < 1) {
      throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
    }
    this.#reader = EventSource.#nextReader;
    EventSource.#nextReader = null;
    this.#url = this.#reader ? STREAM_URL : validURL(String(url), baseURL());
    const opts = normalizeOptions(eventSourceInitDict, host.shareByDefault);
    this.#engineOptions = opts.engine;
    this.#Message = opts.json ? JSONMessageEvent : SseshimMessageEvent;
    this.#Record = opts.json ? JSONRecord : BatchRecord;
    this.#batch = opts.batch;
    // A stream handed over (fromReadableStream) is the page's to manage:
    // the page's lifecycle does not pause or replace it.
    this.#lifecycle = opts.lifecycle && !this.#reader ? { staleAfter: opts.staleAfter } : null;
    this.#withCredentials = opts.engine.withCredentials === true;
    this.#sink = this.#makeSink();
    if (opts.signal) {
      if (opts.signal.aborted) {
        // Aborted already: CLOSED from the start, with a connection that
        // never starts, so no request at all (not even a prefetch); a
        // stream handed over is cancelled.
        this.#conn = new EngineConnection(this.#sink, this.#url, this.#engineOptions, null, this.#reader);
        this.close();
        return;
      }
      this.#listen(opts.signal);
    }
    const shared = shareConnection(this.#sink, this.#url, opts);
    if (typeof shared === 'string') this.#ownConnection(shared);
    else if (shared) this.#use(shared);
    else this.#ownConnection(null);
  }

  // #ownConnection runs the source on this page's engine: at construction,
  // or when its shared connection cannot be had after all.
  #ownConnection(notShared) {
    this.#notShared = notShared;
    this.#use(new EngineConnection(this.#sink, this.#url, this.#engineOptions, this.#lifecycle, this.#reader));
  }

  // #listen makes the signal's abort close the source. The listener holds
  // the source, so #end removes it: a long-lived signal must not keep
  // closed sources alive.
  #listen(signal) {
    this.#signal = signal;
    this.#onAbort = () => this.close();
    signal.addEventListener('abort', this.#onAbort);
  }

  #use(conn) {
    this.#conn = conn;
    conn.start();
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
  // eventTypePath, idPath and signal.
  static fromReadableStream(stream, options) {
    if (typeof ReadableStream === 'undefined' || !(stream instanceof ReadableStream)) {
      throw new TypeError("Failed to execute 'fromReadableStream' on 'EventSource': parameter 1 is not of type 'ReadableStream'.");
    }
    checkStreamOptions(options);
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
    if (this.#reconnectionTime === null) {
      const t = this.#conn.reconnectionTime();
      if (t !== undefined) this.#reconnectionTime = t;
    }
    if (this.#reconnectionTime !== null) return this.#reconnectionTime;
    // Before the engine has started the source: the spec's default as
    // Chromium and the engine use it (eventsource.DefaultReconnectionTime).
    return (this.#engineOptions.retry && this.#engineOptions.retry.initial) || RECONNECTION_TIME;
  }

  // reset() discards unfinished buffered data — a partial line, data, an
  // event type — so that a fresh stream can be piped in; the last event ID
  // and the reconnection time persist (whatwg/html#12272).
  reset() {
    this.#conn.reset();
  }

  // Diagnostics from the engine: events, bytes, reconnects, lastActivity,
  // nextRetry, failures, dropped, lastError (protocol.js STATS_DEFAULTS).
  get stats() {
    const shared = this.#conn.shared;
    return Object.assign({ ...STATS_DEFAULTS, shared, tabs: shared ? 0 : 1 }, this.#conn.stats(),
      { readyState: this.#readyState }, this.#notShared ? { shared: false, notShared: this.#notShared } : {},
      this.#reconnectReason ? { reconnectReason: this.#reconnectReason } : {});
  }

  close() {
    this.#closedByPage = true;
    this.#held.drop();
    this.#conn.close();
    this.#end(CLOSED_BY_PAGE);
  }

  // events() iterates the source's events (iterate.js): message events, or
  // batch events in batch mode, unless options.types says otherwise.
  events(options) {
    return createIterator(this, options, {
      defaultTypes: [this.#batch ? 'batch' : 'message'],
      stream: this.#reader !== null,
      register: (ended) => {
        this.#iterators.add(ended);
        return () => this.#iterators.delete(ended);
      },
      ending: () => this.#ended,
    });
  }

  [Symbol.asyncIterator]() {
    return this.events();
  }

  // #end tells the iterators how the source ended, once: before the error
  // event's listeners run, so that one that calls close() does not turn a
  // failure into a clean end. The signal's abort has nothing left to close.
  // What the leave hold kept goes out first, in order; a listener of it
  // may have ended the source meanwhile.
  #end(how) {
    if (this.#ended !== undefined) return;
    this.#held.release();
    if (this.#ended !== undefined) return;
    this.#ended = how;
    if (this.#signal) {
      this.#signal.removeEventListener('abort', this.#onAbort);
      this.#signal = this.#onAbort = null;
    }
    for (const ended of [...this.#iterators]) ended(how);
  }

  // #fireError dispatches an error event; one that leaves the source
  // CLOSED ends its iterations.
  #fireError(init) {
    if (this.#readyState === CLOSED) this.#end(init);
    this.dispatchEvent(new SseshimErrorEvent('error', init));
  }

  // #makeSink returns what the connection reports to. Its calls follow the
  // connection's order: the state changes, then the event.
  #makeSink() {
    return {
      state: () => this.#readyState,
      setState: (rs) => { this.#readyState = rs; },
      // live: the source still takes what its connection says.
      live: () => this.#readyState !== CLOSED && !this.#failing,
      lastEventId: () => this.#lastEventId,
      id: (id) => { this.#lastEventId = id; },
      retry: (ms) => { this.#reconnectionTime = ms; },
      open: (origin) => this.#open(origin),
      // message: one event of a chunk; lastEventId defaults to the source's.
      message: (type, data, lastEventId = this.#lastEventId) => this.#message(type, data, lastEventId),
      // delivered: the chunk is through; in batch mode, its batch goes out.
      delivered: () => this.#delivered(),
      ping: () => this.dispatchEvent(new Event('ping')),
      error: (readyState, init) => this.#error(readyState, init),
      retrying: (init) => this.#retrying(init),
      fail: (kind, message) => this.#failSoon(kind, message),
      abort: (kind, message) => this.#abort(kind, message),
      fallback: (notShared) => this.#ownConnection(notShared),
    };
  }

  #open(origin) {
    if (this.#collected) this.#flush();
    this.#held.release();
    this.#restoredAt = backForward.entries;
    this.#readyState = OPEN;
    this.#origin = origin;
    this.dispatchEvent(new Event('open'));
  }

  #message(type, data, lastEventId) {
    if (this.#batch) (this.#collected ||= []).push(new this.#Record(type, data, lastEventId));
    else this.dispatchEvent(new this.#Message(type, data, this.#origin, lastEventId));
  }

  // #delivered sends the chunk's records as one batch event: now, or at the
  // next animation frame.
  #delivered() {
    if (!this.#batch || this.#readyState === CLOSED || this.#failing) return;
    if (this.#batch !== 'frame') {
      this.#flush();
      return;
    }
    if (this.#frameDue || !this.#collected) return;
    this.#frameDue = true;
    nextFrame(() => {
      this.#frameDue = false;
      this.#flush();
    });
  }

  // #flush delivers the records not yet delivered: at the chunk's end or
  // the frame, or at once before an error, a retry or an open, so that
  // what was received is neither lost nor delivered out of order.
  #flush() {
    const events = this.#collected;
    this.#collected = null;
    if (events && events.length && !this.#closedByPage && !this.#failing) {
      this.dispatchEvent(new BatchEvent('batch', { events }));
    }
  }

  #error(readyState, init) {
    if (this.#collected) this.#flush();
    // What is held goes out before the end, in the state it came in.
    if (readyState === CLOSED) this.#held.release();
    this.#readyState = readyState;
    // The pause of a back/forward cache cycle fires no error
    // (whatwg/html PR #12381).
    if (init.kind === 'lifecycle' && readyState !== CLOSED && this.#backForwardCycle()) return;
    // A held error is one that left the source CONNECTING: it ends nothing.
    if (readyState !== CLOSED && this.#lifecycle &&
      this.#held.hold(() => this.dispatchEvent(new SseshimErrorEvent('error', init)))) return;
    this.#fireError(init);
  }

  #retrying(init) {
    if (this.#collected) this.#flush();
    if (init.reason) this.#reconnectReason = init.reason;
    // A restore from the back/forward cache reconnects with no event and
    // no delay (whatwg/html PR #12381): only stats say why.
    if (init.reason === 'restored') {
      this.#restoredAt = backForward.entries;
      return;
    }
    if (this.#lifecycle && this.#held.hold(() => this.dispatchEvent(new RetryingEvent('retrying', init)))) return;
    this.dispatchEvent(new RetryingEvent('retrying', init));
  }

  // #backForwardCycle: the page entered the back/forward cache since this
  // source last came back (a restore, or an open).
  #backForwardCycle() {
    return backForward.entries > this.#restoredAt;
  }

  // #failSoon fails the connection in a task of its own, as the browser
  // does, so that listeners added right after the constructor see it.
  #failSoon(kind, message) {
    this.#readyState = CLOSED;
    setTimeout(() => {
      if (!this.#closedByPage) this.#fireError({ kind, message });
    }, 0);
  }

  // #abort fails the connection the way the user agent does when it aborts
  // the fetch (#fail-the-connection): readyState stays as it is until the
  // task that makes it CLOSED and fires error.
  #abort(kind, message) {
    this.#failing = true;
    setTimeout(() => {
      if (this.#closedByPage || this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      this.#fireError({ kind, message });
    }, 0);
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
