// The page's engine, as the sources see it: loaded when first needed, its
// readiness (the ready promise), its death, and the calls into it. The
// loading itself is the entry point's (host.loadEngine, bridge.js).

import { host } from './host.js';

export let engine = null; // the Go side's API once ready
export let loadFailure = null;
export let engineDeath = null;

// The page's own connections (connection.js) that are neither closed nor
// failed: what the engine's death, the page's lifecycle and window.stop()
// act on.
export const live = new Set();
// The connections waiting for the engine to be ready (or to fail to load).
export const waiting = new Set();

// The engine loads when it is first needed: by a source that runs on this
// page's engine, or by a wait on `ready` (its then, catch and finally) —
// and, for a head start for sources made later, once the page has loaded,
// unless it has made a shared source by then. A tab whose sources all
// share a connection never loads it: its own engine starting would hold up
// the shared connection's messages on the main thread.
let startLoad;
let loadAsked = false;
let sharedMade = false;
export function needEngine() {
  if (loadAsked) return;
  loadAsked = true;
  queueMicrotask(startLoad); // a configure() later in the same script still counts
}
// noteShared: the page made a shared source, so the head start is not worth it.
export function noteShared() {
  sharedMade = true;
}

// loadBegun settles once the engine's module has been requested: a
// source's early first request (prefetch.js) waits for it, so that on
// HTTP/1.1, whose six connections to a host long-lived streams can take
// up, the module is never queued behind streams that wait for it.
let loadHasBegun;
export const loadBegun = new Promise((resolve) => { loadHasBegun = resolve; });
const loading = new Promise((resolve) => { startLoad = resolve; })
  .then((x) => {
    try {
      return host.loadEngine(x);
    } finally {
      loadHasBegun();
    }
  })
  .then(
    (api) => {
      engine = api;
      if (api.exited) api.exited.then(engineDied);
      for (const c of [...waiting]) c.engineReady();
      waiting.clear();
    },
    (err) => {
      loadFailure = err instanceof Error ? err : new Error(String(err));
      for (const c of [...waiting]) c.engineFailed(loadFailure);
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
export const ready = new Ready((resolve, reject) => Promise.prototype.then.call(loading, resolve, reject));
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
function engineDied(err) {
  if (engineDeath) return;
  engineDeath = err instanceof Error ? err : new Error('sseshim: the engine stopped: ' + String(err));
  engine = null;
  for (const c of [...live]) c.engineDied(engineDeath.message);
}

// callEngine calls into Go; an exception there means the engine is gone.
export function callEngine(name, ...args) {
  if (!engine) return undefined;
  try {
    return engine[name](...args);
  } catch (err) {
    engineDied(new Error('sseshim: the engine stopped: ' + (err && err.message ? err.message : String(err))));
    return undefined;
  }
}
