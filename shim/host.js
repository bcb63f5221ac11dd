// What the build's entry point (script.js, esm.js) tells the shared code:
// how to load the engine, where the share worker is, and the page's default
// for the share option. Set once, at the entry's top level, before anything
// reads it (the engine loads in a microtask at the earliest).
export const host = {
  // loadEngine() returns a promise of the engine's API (bridge.js).
  loadEngine: () => Promise.reject(new Error('sseshim: no engine loader')),
  // shareWorkerURL() returns the URL of sseshim-share.js, or null.
  shareWorkerURL: null,
  // shareByDefault() returns false, true or a group name.
  shareByDefault: () => false,
};

export function setHost(h) {
  Object.assign(host, h);
}
