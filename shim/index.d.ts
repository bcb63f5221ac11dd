// Types for sseshim: an EventSource with the browser's API plus opt-in
// extensions for streams the browser's cannot read.

export type Format = 'sse' | 'ndjson' | 'auto';

export type HeadersInit = Record<string, string> | Headers;

/** What fetch() can send again on every reconnect. */
export type RequestBody = string | URLSearchParams | Blob | FormData | ArrayBuffer | ArrayBufferView;

// <generated-options> Generated from wasm/optspec by go generate; DO NOT EDIT until the closing marker.

/** The members of the ping option. */
export interface PingOptions {
  /** How often the server is asked to ping, in milliseconds. */
  interval: number;
  /** Added to interval before the connection counts as dead (default 2000 ms; 0 for none). */
  leeway?: number;
  /** Query parameter asking for pings (default "ping_interval"; false for none). */
  param?: string | false;
  /** Type of ping events (default "ping"). */
  eventType?: string;
  /** Only ping events, not any data, keep the connection alive. */
  requireEvent?: boolean;
  /** Also deliver pings as ordinary events. */
  dispatch?: boolean;
}

/** The members of the retry option. */
export interface RetryOptions {
  /**
   * Floor under every delay in ms (default 1000); when set, also the first delay (otherwise the
   * reconnection time, or the server's retry field).
   */
  initial?: number;
  /** Cap on the delay in ms (default 60000); a Retry-After header is still honoured. */
  max?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Fraction of each delay randomised away, 0–1 (default 0). */
  jitter?: number;
  /** Close with an error after this many consecutive failed attempts (default: no limit). */
  maxAttempts?: number;
  /** A connection open at least this long that ends cleanly reconnects at once (default 600000; 0 turns it off). */
  immediateAfter?: number;
  /** A connection that carried an event and stayed open this long (ms, default 30000) resets the failure count. */
  healthyAfter?: number;
}

/** The EventSource constructor's second argument: the spec's withCredentials and sseshim's extensions. */
export interface EventSourceInit {
  /** Send credentials cross-origin, as the browser's EventSource does. */
  withCredentials?: boolean;
  /** The request method (default "GET"); a body needs another one, e.g. POST. */
  method?: string;
  /** Sent with every attempt, reconnects included; or a function (sync or async) called before every attempt. */
  body?: RequestBody | (() => RequestBody | null | undefined | Promise<RequestBody | null | undefined>);
  /** Request headers, or a function (sync or async) called before every attempt. */
  headers?: HeadersInit | (() => HeadersInit | null | undefined | Promise<HeadersInit | null | undefined>);
  /**
   * Its abort closes the source, as close() does: CLOSED, no error event, the request aborted (a stream from
   * fromReadableStream() cancelled). One already aborted gives a source that is CLOSED from the start and sends no request.
   */
  signal?: AbortSignal | null;
  /**
   * Called instead of the global fetch for every request of this source (the first, and every reconnect), with
   * the URL and init the engine would use. What it throws or rejects with is a network error carrying its message.
   * With share, it shares only under a group name, as a headers function does.
   */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** How the body is read (default "sse"): ndjson is one JSON value per line, auto follows the Content-Type. */
  format?: Format;
  /** Add a lazy `json` property to every MessageEvent (nested JSON strings decoded). */
  json?: boolean;
  /**
   * React to the page's lifecycle (default true): pause while offline and reconnect on online, replace the
   * connection after a wake from sleep, after a return to a visible tab when it has been silent longer than
   * staleAfter, and after a restore from the back/forward cache. Each reconnect but a restore fires retrying with a reason; stats.reconnectReason keeps the last one.
   */
  lifecycle?: boolean;
  /** A connection silent longer than this (ms) is replaced when the tab becomes visible (default: the ping limit). */
  staleAfter?: number;
  /**
   * Share one connection with every same-origin tab whose request is identical, through a SharedWorker
   * (sseshim-share.js beside sseshim.js). A string names a group: required when headers or body is a function
   * (or a body is not a string), since the page then vouches that the requests are equivalent.
   */
  share?: boolean | string;
  /**
   * Batch mode: instead of a MessageEvent per event, one `batch` event per delivery (true: per chunk received;
   * 'frame': coalesced to one per animation frame) carrying the events in order as plain records.
   * open, error, retrying and ping are unchanged; onmessage does not fire; stats count events.
   */
  batch?: boolean | 'frame';
  /** Dead-connection watchdog; a number is the interval in ms. */
  ping?: PingOptions | number;
  /**
   * A reconnection policy: exponential backoff between a floor and a ceiling, whatever the server's retry
   * field says. Even `{}` turns it on, with the defaults of its members.
   */
  retry?: RetryOptions;
  /**
   * Bound on the connection phase in ms (headers function, request, response headers); a timeout is a failed
   * attempt. Default 30000 when ping or retry is set, none otherwise; 0 turns it off.
   */
  connectTimeout?: number;
  /** HTTP statuses that reconnect instead of failing (Retry-After honoured). */
  retryStatuses?: number[];
  /** Drop events whose id was seen recently (true: the last 1000 ids). */
  dedupe?: boolean | number;
  /** Last event ID to resume from on the first request. */
  lastEventId?: string;
  /**
   * Query parameter that carries the last event ID when a cross-origin server's CORS policy refuses the
   * Last-Event-ID header on a reconnect (default "lastEventId"; false turns the fallback off).
   */
  lastEventIdParam?: string | false;
  /** Cap on one event, in bytes (default 16 MiB). */
  maxEventSize?: number;
  /** Where an NDJSON event carries its type (default ["eventType"]). */
  eventTypePath?: string[];
  /** Where an NDJSON event carries its id (default ["eventId"]). */
  idPath?: string[];
}

/** What fromReadableStream() takes besides the stream: nothing about requests or reconnection. */
export type StreamOptions = Pick<EventSourceInit, 'signal' | 'format' | 'json' | 'batch' | 'dedupe' | 'maxEventSize' | 'eventTypePath' | 'idPath'>;

// </generated-options>

export interface SseshimMessageEvent<T = any> extends MessageEvent<string> {
  /** With the json option: data parsed as JSON, nested JSON strings decoded; undefined when invalid. */
  readonly json?: T;
}

export type ErrorKind = 'network' | 'end' | 'status' | 'content-type' | 'timeout' | 'watchdog' | 'server' |
  'too-large' | 'headers' | 'body' | 'lifecycle' | 'max-attempts' | 'config' | 'engine';

export interface SseshimErrorEventInit extends EventInit {
  kind?: ErrorKind;
  status?: number;
  code?: number;
  message?: string;
}

/** The error event: why the source failed or will reconnect. */
export declare class SseshimErrorEvent extends Event {
  constructor(type: string, init?: SseshimErrorEventInit);
  /** Why the event fired. */
  readonly kind: ErrorKind | undefined;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  /** The in-band error code (an NDJSON {"error":{"code"}}), for kind "server". */
  readonly code: number | undefined;
  readonly message: string;
}

export interface RetryingEventInit extends EventInit {
  delay?: number;
  attempt?: number;
  reason?: 'online' | 'wake' | 'visible' | 'restored';
}

/** Fires after each error that will reconnect. */
export declare class RetryingEvent extends Event {
  constructor(type: string, init?: RetryingEventInit);
  /** Milliseconds until the next attempt. */
  readonly delay: number;
  /** The number of the attempt it waits for (1 for the first reconnect). */
  readonly attempt: number;
  /** Why the page's lifecycle replaced the connection; undefined for an ordinary reconnect. A restore from the back/forward cache fires none (see stats.reconnectReason). */
  readonly reason: 'online' | 'wake' | 'visible' | 'restored' | undefined;
}

export interface EventSourceStats {
  readyState: number;
  events: number;
  pings: number;
  bytes: number;
  reconnects: number;
  failures: number;
  dropped: number;
  /** Milliseconds since the epoch of the last chunk received, 0 if none. */
  lastActivity: number;
  /** Delay of the pending or last reconnect, in ms. */
  nextRetry: number;
  lastError: string;
  /** The reconnection time in ms, once the engine has started the source. */
  reconnectionTime?: number;
  /** Whether the connection is shared across tabs (share option). */
  shared: boolean;
  /** With share: how many tabs are on the connection. */
  tabs: number;
  /** With share, when it could not: why. */
  notShared?: string;
  /** Why the page's lifecycle last replaced the connection; "restored" (the back/forward cache) fires no retrying event. */
  reconnectReason?: 'online' | 'wake' | 'visible' | 'restored';
}

/** One event of a batch. */
export interface BatchRecord<T = any> {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
  /** With the json option: data parsed (nested JSON strings decoded) on first use; undefined when invalid. */
  readonly json?: T;
}

/** The batch event of batch mode. */
export declare class BatchEvent<T = any> extends Event {
  constructor(type: string, init?: EventInit & { events?: BatchRecord<T>[] });
  readonly events: readonly BatchRecord<T>[];
}

export interface EventSourceEventMap {
  open: Event;
  message: SseshimMessageEvent;
  error: SseshimErrorEvent;
  ping: Event;
  retrying: RetryingEvent;
  batch: BatchEvent;
}

/** A message event of a type the source's event map names: json is the type the map gives it. */
export interface TypedMessageEvent<T> extends MessageEvent<string> {
  /** data parsed as JSON (the json option), nested JSON strings decoded; undefined at run time when invalid. */
  readonly json: T;
}

/**
 * The event a listener of type K hears: a {@link TypedMessageEvent} for a type in the source's event map
 * `Events`, else the source's own event of that name ({@link EventSourceEventMap}), else an untyped message
 * event. A union of types gives the union of their events.
 */
export type EventOf<Events, K> = K extends keyof Events ? TypedMessageEvent<Events[K]>
  : K extends keyof EventSourceEventMap ? EventSourceEventMap[K] : SseshimMessageEvent;

/** What {@link SseshimError.kind} can be: an error event's kind, or "overflow" (an iterator's buffer filled up). */
export type SseshimErrorKind = ErrorKind | 'overflow';

/**
 * What an iteration rejects with when its source fails for good (kind, status and code as its error event's),
 * or when its buffer overflows (kind "overflow").
 */
export declare class SseshimError extends Error {
  constructor(message: string, init?: { kind?: SseshimErrorKind; status?: number; code?: number });
  readonly name: 'SseshimError';
  readonly kind: SseshimErrorKind | undefined;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  /** The in-band error code, for kind "server". */
  readonly code: number | undefined;
}

/** The options of {@link EventSource.events}. */
export interface EventsOptions<K extends string = string> {
  /** The event types to iterate (default ["message"], or ["batch"] in batch mode). */
  types?: readonly K[];
  /** Leaving the loop early (break, return, a throw) leaves the source open (default false: it closes). */
  preventClose?: boolean;
  /** How many events may wait for the loop (an integer, default 10000); past it the source closes and the iterator throws an SseshimError of kind "overflow". */
  highWaterMark?: number;
}

/** An iterator over a source's events, itself async-iterable; return() closes the source unless preventClose. */
export interface EventIterator<T> extends AsyncIterableIterator<T> {
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: any): Promise<IteratorResult<T, any>>;
  [Symbol.asyncIterator](): EventIterator<T>;
}

/**
 * The EventSource. `Events` maps event types to the type of their parsed JSON (the json option), for
 * listeners and iterators of those types; it must be a type alias (an object type), not an interface.
 *
 * @example
 * type Feed = { reading: { celsius: number } };
 * const es = new EventSource<Feed>('/stream', { json: true });
 * es.addEventListener('reading', (e) => console.log(e.json.celsius));
 */
export declare class EventSource<Events extends Record<string, unknown> = {}> extends EventTarget {
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit);
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: number;
  readonly stats: EventSourceStats;
  /** The last event ID string: what id: fields set, sent as Last-Event-ID on reconnect. */
  readonly lastEventId: string;
  /** The reconnection time in milliseconds: the default, or what retry: fields set. */
  readonly reconnectionTime: number;
  /** Discards unfinished buffered data, so that a fresh stream can be piped in (fromReadableStream). */
  reset(): void;
  /**
   * The proposed EventSource.fromReadableStream() (whatwg/html#12272): parses a ReadableStream of bytes.
   * url is "about:event-stream"; the stream's end or failure fires error and closes the source (no reconnect);
   * a locked stream throws a TypeError; close() cancels the stream.
   */
  static fromReadableStream<Events extends Record<string, unknown> = {}>(stream: ReadableStream<Uint8Array>, options?: StreamOptions): EventSource<Events>;
  /**
   * Iterates the source's events of `types`, buffered in order while the loop body is busy. close() ends the
   * iteration; a failure for good (CLOSED after an error) rejects with an {@link SseshimError}; reconnects do
   * not end it. Unknown options, a highWaterMark below 1 or not an integer, and types that are not an array
   * of strings throw a TypeError.
   */
  events<K extends string = 'message'>(options?: EventsOptions<K>): EventIterator<EventOf<Events, K>>;
  /** for await (const e of source): its message events (batch events in batch mode), as events() with no options. */
  [Symbol.asyncIterator](): EventIterator<EventOf<Events, 'message'>>;
  onopen: ((this: EventSource<Events>, ev: Event) => any) | null;
  onmessage: ((this: EventSource<Events>, ev: EventOf<Events, 'message'>) => any) | null;
  onerror: ((this: EventSource<Events>, ev: SseshimErrorEvent) => any) | null;
  close(): void;
  addEventListener<K extends keyof EventSourceEventMap | (keyof Events & string)>(type: K, listener: (this: EventSource<Events>, ev: EventOf<Events, K>) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: (this: EventSource<Events>, ev: SseshimMessageEvent) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof EventSourceEventMap | (keyof Events & string)>(type: K, listener: (this: EventSource<Events>, ev: EventOf<Events, K>) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
}

/**
 * Resolves when the engine is loaded; sources made before then start at that moment. Waiting on it
 * (then, catch, finally, await) loads the engine if nothing has yet: it loads when first needed, or after
 * the page's load unless the page made a shared source (a tab whose sources all share never loads one).
 */
export declare const ready: Promise<void>;
export declare const CONNECTING: 0;
export declare const OPEN: 1;
export declare const CLOSED: 2;
/** Where the engine's files are; see {@link configure}. */
export interface EngineOptions {
  /**
   * URL of sseshim.wasm. Relative URLs resolve against the page. Without it,
   * the module uses `new URL('./sseshim.wasm', import.meta.url)`, which
   * bundlers that understand the pattern (webpack, Vite, Parcel) rewrite to
   * the file they ship, and which fails with a clear error where
   * `import.meta.url` is missing (esbuild's default iife format).
   */
  wasmURL?: string | URL;
  /**
   * URL of another Go wasm_exec.js for the script-tag build (sseshim.js),
   * which otherwise uses the one built into it: only for an engine built
   * with another Go version. The ES module imports its own copy, so there it
   * is checked and otherwise unused.
   */
  wasmExecURL?: string | URL;
  /**
   * URL of sseshim-share.js, the worker behind the share option. Without it,
   * the module uses `new URL('./sseshim-share.js', import.meta.url)`, which
   * webpack and Vite rewrite to the file they ship. The worker is told where
   * the engine is, so it may sit anywhere on the page's origin.
   */
  shareURL?: string | URL;
}

/**
 * Says where the engine's files are: for bundles without `import.meta.url`
 * (esbuild's default iife format), a CDN, or a subpath. Call it before first
 * use, at the top level of the module that imports sseshim: the engine begins
 * loading in a microtask right after sseshim's module has run, and a call
 * after that throws an Error. A second call replaces the first. Unknown
 * options, and URLs that are empty or neither strings nor URL objects, throw
 * a TypeError.
 *
 * @example
 * import { configure, EventSource } from 'sseshim';
 * configure({ wasmURL: '/assets/sseshim.wasm' });
 */
export declare function configure(options: EngineOptions): void;
/** Sets globalThis.EventSource (only where the browser has none unless force). */
export declare function install(options?: { force?: boolean }): typeof EventSource;
export default EventSource;
