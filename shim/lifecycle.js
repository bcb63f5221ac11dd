// The page's lifecycle and the user agent's aborts, for the page's own
// connections (engine.js live). Shared connections have their own
// (share-client.js).

import { live } from './engine.js';

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
    for (const c of [...live]) c.abortedByUserAgent();
    return r;
  };
}

// Streams die when a laptop sleeps, a phone goes offline, or a tab comes
// back from the back/forward cache; each source reacts unless created with
// lifecycle: false (connection.js lifecycle()):
// - offline: the connection is paused, no attempt made and no failure
//   counted; online: it reconnects at once, with Last-Event-ID;
// - a wake from sleep (a timer that fired far too late): replaced at once;
// - a tab made visible again whose connection has been silent longer than
//   staleAfter (or the ping watchdog's limit): replaced at once; nothing is
//   torn down because a tab is hidden;
// - the back/forward cache, as the standard is about to say (whatwg/html
//   PR #12381, web-platform-tests PR #59568): entering it (pagehide,
//   persisted) aborts the connection, which keeps the page eligible; a
//   restore (pageshow, persisted) reconnects at once with Last-Event-ID,
//   with no error event and no reconnection delay. The engine pauses and
//   reconnects (reason restored) as for the rest; each source
//   (eventsource.js) keeps that cycle's error and retrying from the page.
// Each other reconnect fires retrying with a reason; stats.reconnectReason
// keeps the last reason, restored included.
export const isOffline = () => typeof navigator !== 'undefined' && navigator.onLine === false;
const lifecycleEvent = (what) => { for (const c of [...live]) c.lifecycle(what); };
// How many times the page has entered the back/forward cache: a source
// whose last restore (or open) came before the latest entry is in a cycle.
export const backForward = { entries: 0 };
// Firefox and WebKit abort a page's fetches as a navigation away begins,
// before pagehide: a connection fails as the page is left, for the cache
// or for good. Its error and retrying are held (LeaveHold) from
// beforeunload until the page is hidden, which drops them (a restore
// reconnects with no error, PR #12381, and an unloaded page shows
// nothing), or until LEAVE_HOLD has passed with the page still shown (the
// navigation did not happen), which dispatches them.
const LEAVE_HOLD = 10000;
const leaving = { since: -Infinity, hides: 0 };

// LeaveHold is one source's held error and retrying (eventsource.js).
export class LeaveHold {
  #fires = null; // what is held, in order
  #hides = 0; // leaving.hides when the first was held

  // hold keeps fire back, and reports whether it did: while the page is
  // being left, or behind what is already held.
  hold(fire) {
    if (!this.#fires) {
      if (monotonic() - leaving.since >= LEAVE_HOLD) return false;
      const fires = this.#fires = [];
      this.#hides = leaving.hides;
      setTimeout(() => { if (this.#fires === fires) this.release(); }, LEAVE_HOLD);
    }
    this.#fires.push(fire);
    return true;
  }

  // drop forgets what is held (the page closed the source).
  drop() {
    this.#fires = null;
  }

  // release dispatches what is held, unless the page was hidden since
  // (then it is dropped); the source calls it before its next open.
  release() {
    const fires = this.#fires;
    this.#fires = null;
    if (fires && leaving.hides === this.#hides) for (const fire of fires) fire();
  }
}
if (typeof addEventListener === 'function') {
  addEventListener('offline', () => lifecycleEvent('offline'));
  addEventListener('online', () => lifecycleEvent('online'));
  addEventListener('beforeunload', () => { leaving.since = monotonic(); });
  addEventListener('pagehide', (e) => {
    leaving.hides++;
    leaving.since = -Infinity;
    if (!e.persisted) return;
    backForward.entries++;
    lifecycleEvent('hidden-cached');
  });
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
export const visible = () => typeof document === 'undefined' || document.visibilityState === 'visible';
export const monotonic = () => (globalThis.performance ? performance.now() : Date.now());
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
