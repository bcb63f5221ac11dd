// A source's first request, begun while the engine loads.

import { OPTIONS } from './options.gen.js';

// prefetchFirst begins a source's first request while the engine loads, so
// that on a real network its round trip overlaps the engine's start-up
// instead of following it; the engine takes the response once it is ready
// (wasm/internal/jsbridge/prefetch.go), and only if it would have made
// that very request: otherwise it aborts it and makes its own. So it is
// done only where the shim can tell the request for sure: a GET of
// text/event-stream (#dom-eventsource's Accept) with fixed headers, no
// Last-Event-ID and no ping parameter; anything else waits for the engine.
// Which options leave the request so is the table's (optspec PrefetchSafe).
// A fetch option makes it too, as every request of the source.
const PREFETCH_SAFE = OPTIONS.filter((o) => o.prefetchSafe).map((o) => o.name);
export function prefetchFirst(url, o) {
  const request = o.fetch || (typeof fetch === 'function' ? fetch : null);
  if (!request || typeof AbortController !== 'function') return null;
  if (Object.keys(o).some((k) => !PREFETCH_SAFE.includes(k)) || (o.format !== undefined && o.format !== 'sse') ||
      typeof o.headers === 'function') return null;
  const headers = {};
  const names = new Set();
  for (const [k, v] of Object.entries(o.headers || {})) {
    // The engine sends a non-ASCII value as its UTF-8 bytes; and of two
    // names that differ in case only, it sends one.
    if (names.has(k.toLowerCase()) || /[^\x20-\x7e]/.test(v)) return null;
    names.add(k.toLowerCase());
    headers[k] = v;
  }
  if (!names.has('accept')) headers.Accept = 'text/event-stream';
  let list;
  try {
    list = new Headers(headers); // an invalid header fails the engine's way, not here
  } catch {
    return null;
  }
  const credentials = o.withCredentials ? 'include' : 'same-origin';
  const ac = new AbortController();
  // The init the engine would make (jsbridge/fetch.go), a Headers included.
  const response = request(url, { method: 'GET', headers: list, cache: 'no-store', credentials, redirect: 'follow', signal: ac.signal });
  response.catch(() => {}); // the engine hears of a failure; an aborted prefetch's is nobody's
  return { url, credentials, headers, response, abort: () => ac.abort() };
}
