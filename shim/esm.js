// The ES module entry: bundlers see new URL('./sseshim.wasm', import.meta.url)
// and ship the module beside the bundle.
const api = createSseshim(() => loadGoEngine(new URL('./sseshim.wasm', import.meta.url)));

export const EventSource = api.EventSource;
export const ready = api.ready;
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

// install sets globalThis.EventSource: only where the browser has none,
// unless force is true. It returns the class.
export function install({ force = false } = {}) {
  if (force || typeof globalThis.EventSource === 'undefined') globalThis.EventSource = EventSource;
  return EventSource;
}

export default EventSource;
