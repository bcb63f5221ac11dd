// The JavaScript half of the bridge protocol between the shim and the Go
// engine: every name and constant both sides must agree on, in one place.
// The Go half is wasm/main.go (the API and the handshake),
// wasm/internal/jsbridge/sink.go (the callbacks and the records) and
// wasm/internal/jsbridge/body.go (the pump).

// readyState values (#dom-eventsource-readystate); the engine's error
// callback reports the state it leaves the source in with them.
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

// Globals of the handshake. The Go program sets ENGINE to its API
// ({open, close, stats, live, reset, pause, reconnect}) and then
// calls READY; it calls PUMP to read a response body. LOADING is the load
// in progress, so that a second copy of the shim on the page shares it;
// INSTANCE and RUNTIME are kept for diagnostics (the tests read them).
export const GLOBAL = {
  ENGINE: '__sseshimGo',
  READY: '__sseshimReady',
  LOADING: '__sseshimLoading',
  PUMP: '__sseshimPump',
  INSTANCE: '__sseshimInstance',
  RUNTIME: '__sseshimRuntime',
};

// The engine's API (wasm/main.go): open(url, options, callbacks[, reader[,
// prefetch]]) returns a handle (or why it could not start); the others
// take the handle.
export const CALL = { OPEN: 'open', CLOSE: 'close', STATS: 'stats', RESET: 'reset', PAUSE: 'pause', RECONNECT: 'reconnect' };

// The callbacks the engine calls on each source (wasm/internal/jsbridge/
// sink.go): open(url), events(at, length), error(readyState, kind, status,
// code, message), retrying(delay, attempt, reason).
export const CALLBACK = { OPEN: 'open', EVENTS: 'events', ERROR: 'error', RETRYING: 'retrying' };

// The WebAssembly export the pump feeds each chunk to: FEED(id, length).
export const FEED = 'sseshimFeed';

// One chunk's records, as the engine writes them into its memory: fields
// separated (and the text ended) by SEPARATOR, each record led by a flag:
// "m\rtype\rdata\r" a message, "i\rid\r" a new last event ID, "r\rms\r" a
// new reconnection time, "p\r" a ping.
export const SEPARATOR = '\r';
export const RECORD = { MESSAGE: 'm', ID: 'i', RETRY: 'r', PING: 'p' };

// The kinds of an error event, as the engine names them; the shim itself
// reports ENGINE (the engine did not load, or stopped), CONFIG (the engine
// refused the options) and NETWORK (window.stop()).
export const KIND = { ENGINE: 'engine', CONFIG: 'config', NETWORK: 'network' };
export const KINDS = ['network', 'end', 'status', 'content-type', 'timeout', 'watchdog', 'server', 'too-large',
  'headers', 'max-attempts', 'config', 'engine'];

// The keys of a source's stats, with what they read before the engine has
// said anything. The engine's stats(handle) adds reconnectionTime; the shim
// adds readyState, and notShared where a share was asked for and refused.
export const STATS_DEFAULTS = Object.freeze({
  events: 0, pings: 0, bytes: 0, reconnects: 0, failures: 0, dropped: 0,
  lastActivity: 0, nextRetry: 0, lastError: '', shared: false, tabs: 1,
});
