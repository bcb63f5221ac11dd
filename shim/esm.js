// The ES module entry: bundlers see new URL('./sseshim.wasm', import.meta.url)
// and ship the module beside the bundle. Where that cannot work (esbuild's
// default iife format empties import.meta; a CDN or subpath the bundler does
// not know), configure({ wasmURL }) says where the engine is.

import './wasm_exec.js'; // Go's, beside this module in the package: its global Go class
import { setHost } from './host.js';
import { ready } from './engine.js';
import { createEngineConfig } from './config.js';
import { loadGoEngine } from './bridge.js';
import { EventSource } from './eventsource.js';

export { ready };
export { EventSource };
export { SseshimErrorEvent, RetryingEvent, BatchEvent } from './events.js';
export { SseshimError } from './errors.js';
export { CONNECTING, OPEN, CLOSED } from './protocol.js';

const config = createEngineConfig('; with a dynamic import(), import a module of your own that imports sseshim ' +
  'and calls configure() at its top level');

// moduleWasmURL is the engine beside this module, as the bundler rewrote it:
// SSESHIM_WASM_PATH is its content-hashed name (the Makefile's define, a
// string literal in dist/index.js, so that bundlers see the asset).
function moduleWasmURL() {
  let url;
  try {
    url = new URL(SSESHIM_WASM_PATH, import.meta.url);
  } catch {
    // import.meta.url is missing: an iife or CommonJS bundle.
  }
  if (!url) {
    throw new Error('sseshim: cannot locate sseshim.wasm: import.meta.url is not available in this build ' +
      "(esbuild's default iife format empties import.meta). Call configure({ wasmURL: '/path/to/sseshim.wasm' }) " +
      "from 'sseshim' before first use and serve the file there, or bundle as an ES module (esbuild --format=esm)");
  }
  return url.href;
}

// Where the engine is, as configured by then, is settled in the microtask
// after this module has run; the engine loads when first needed.
let located = null;
queueMicrotask(() => { located = config.take(); });

setHost({
  loadEngine: () => {
    const { wasmURL } = located || config.take();
    // wasm_exec.js is imported above, so the Go class is always there.
    return loadGoEngine(wasmURL || moduleWasmURL(), null, globalThis.Go);
  },
  // sseshim-share.js beside this module, as the bundler shipped it (or
  // configure({shareURL})), told (?wasm=) where the engine is: a bundler
  // renames the files, and the worker cannot know.
  shareWorkerURL: () => {
    const set = located || config.take();
    const u = new URL(set.shareURL || new URL('./sseshim-share.js', import.meta.url));
    u.searchParams.set('wasm', set.wasmURL || moduleWasmURL());
    return u.href;
  },
});

// configure({ wasmURL, wasmExecURL }) says where the engine's files are.
// Call it before first use: at the top level of the module that imports
// sseshim. wasmExecURL is for the script-tag build (a wasm_exec.js to use
// instead of the one built into it); this module imports its own
// wasm_exec.js, so here it is checked and otherwise unused.
export const configure = config.configure;

// install sets globalThis.EventSource: only where the browser has none,
// unless force is true. It returns the class.
export function install({ force = false } = {}) {
  if (force || typeof globalThis.EventSource === 'undefined') globalThis.EventSource = EventSource;
  return EventSource;
}

export default EventSource;
