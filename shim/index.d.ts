// Types for sseshim: an EventSource with the browser's API plus opt-in
// extensions for streams the browser's cannot read.

export type Format = 'sse' | 'ndjson' | 'auto';

export type HeadersInit = Record<string, string> | Headers;

export interface PingOptions {
  /** How often the server is asked to ping, in milliseconds. */
  interval: number;
  /** Added to interval before the connection counts as dead (default 2000 ms). */
  leeway?: number;
  /** Query parameter asking for pings (default "ping_interval"; "-" for none). */
  param?: string;
  /** Type of ping events (default "ping"). */
  eventType?: string;
  /** Only ping events, not any data, keep the connection alive. */
  requireEvent?: boolean;
  /** Also deliver pings as ordinary events. */
  dispatch?: boolean;
}

export interface RetryOptions {
  /** First reconnection delay in ms (default 3000, or the server's retry field). */
  initial?: number;
  /** Cap on the delay in ms (default 60000). */
  max?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Fraction of each delay randomised away, 0–1. */
  jitter?: number;
  /** Close with an error after this many consecutive failed attempts. */
  maxAttempts?: number;
  /** A connection open at least this long that ends cleanly reconnects at once (default 600000). */
  immediateAfter?: number;
}

export interface EventSourceInit {
  withCredentials?: boolean;
  /** Request headers, or a function (sync or async) called before every attempt. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  format?: Format;
  /** Add a lazy `json` property to every MessageEvent (nested JSON strings decoded). */
  json?: boolean;
  /** Dead-connection watchdog; a number is the interval in ms. */
  ping?: PingOptions | number;
  retry?: RetryOptions;
  /** HTTP statuses that reconnect instead of failing (Retry-After honoured). */
  retryStatuses?: number[];
  /** Drop events whose id was seen recently (true: the last 1000 ids). */
  dedupe?: boolean | number;
  /** Last event ID to resume from on the first request. */
  lastEventId?: string;
  /** Cap on one event, in bytes (default 16 MiB). */
  maxEventSize?: number;
  /** Where an NDJSON event carries its type (default ["eventType"]). */
  eventTypePath?: string[];
  /** Where an NDJSON event carries its id (default ["eventId"]). */
  idPath?: string[];
}

export interface SseshimMessageEvent<T = any> extends MessageEvent<string> {
  /** With the json option: data parsed as JSON, nested JSON strings decoded; undefined when invalid. */
  readonly json?: T;
}

export interface SseshimErrorEvent extends Event {
  /** network, end, status, content-type, watchdog, server, too-large, headers, max-attempts, config, engine */
  readonly kind?: string;
  readonly status?: number;
  readonly code?: number;
  readonly message: string;
}

export interface RetryingEvent extends Event {
  readonly delay: number;
  readonly attempt: number;
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
}

export interface EventSourceEventMap {
  open: Event;
  message: SseshimMessageEvent;
  error: SseshimErrorEvent;
  ping: Event;
  retrying: RetryingEvent;
}

export declare class EventSource extends EventTarget {
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit);
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: number;
  readonly stats: EventSourceStats;
  onopen: ((this: EventSource, ev: Event) => any) | null;
  onmessage: ((this: EventSource, ev: SseshimMessageEvent) => any) | null;
  onerror: ((this: EventSource, ev: SseshimErrorEvent) => any) | null;
  close(): void;
  addEventListener<K extends keyof EventSourceEventMap>(type: K, listener: (this: EventSource, ev: EventSourceEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: (this: EventSource, ev: SseshimMessageEvent) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof EventSourceEventMap>(type: K, listener: (this: EventSource, ev: EventSourceEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
}

/** Resolves when the engine is loaded; sources made before then start at that moment. */
export declare const ready: Promise<void>;
export declare const CONNECTING: 0;
export declare const OPEN: 1;
export declare const CLOSED: 2;
/** Sets globalThis.EventSource (only where the browser has none unless force). */
export declare function install(options?: { force?: boolean }): typeof EventSource;
export default EventSource;
