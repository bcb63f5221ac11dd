// The engine bridge: loading the Go engine and the handshake with it
// (protocol.js GLOBAL and HANDSHAKE).

import { GLOBAL, HANDSHAKE } from './protocol.js';
import { pumpBody } from './pump.js';

// handshake is the one global the shim and the engine meet in: the shim
// puts there what the engine needs (the pump, the ready callback), the
// engine its API; the load in progress is kept there, so that a second
// copy of the shim on the page shares it, and, for diagnostics, the
// instance and the Go runtime (the tests read them).
export const handshake = () => {
  if (!globalThis[GLOBAL]) globalThis[GLOBAL] = {};
  return globalThis[GLOBAL];
};

// fetchEngine fetches the wasm module, turning a failed request or an error
// status into an error that names the URL and the way out.
export function fetchEngine(wasmURL) {
  const hint = ': serve sseshim.wasm there, or tell sseshim where it is with configure({ wasmURL })';
  return fetch(wasmURL).then((r) => {
    if (!r.ok) throw new Error(`sseshim: could not load the engine from ${wasmURL} (HTTP ${r.status})${hint}`);
    return r;
  }, (err) => {
    throw new Error(`sseshim: could not fetch the engine from ${wasmURL} (${err && err.message})${hint}`);
  });
}

// loadGoEngine instantiates the wasm module with Go (wasm_exec.js's Go
// class, from the toolchain that built the module) and resolves with the
// engine's API once the Go program has registered it. One engine serves every
// EventSource on the page. prefetched: the module's response, when the caller
// began fetching it earlier.
export function loadGoEngine(wasmURL, prefetched, Go) {
  const g = handshake();
  if (g[HANDSHAKE.ENGINE]) return Promise.resolve(g[HANDSHAKE.ENGINE]);
  if (g[HANDSHAKE.LOADING]) return g[HANDSHAKE.LOADING];
  g[HANDSHAKE.LOADING] = new Promise((resolve, reject) => {
    const mark = (name) => { if (globalThis.performance && performance.mark) performance.mark(name); };
    const go = new Go();
    // exited settles when the Go program stops, whatever the reason (a
    // fatal error such as running out of memory exits with code 2).
    let exitCode = 0;
    const goExit = go.exit;
    go.exit = (code) => { exitCode = code; goExit.call(go, code); };
    // It exists before the program runs: the program registers itself
    // (HANDSHAKE.READY) from inside go.run(), before go.run() has returned.
    let stopped;
    const exited = new Promise((r) => { stopped = r; });
    let memory = null;
    g[HANDSHAKE.READY] = () => {
      mark('sseshim:ready');
      g[HANDSHAKE.ENGINE].exited = exited;
      g[HANDSHAKE.ENGINE].memory = memory; // where the engine's batches are (engine.events)
      resolve(g[HANDSHAKE.ENGINE]);
    };
    const response = prefetched || fetchEngine(wasmURL);
    const instantiate = response.then((r) => (WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(r, go.importObject).catch(async () => {
        // Served without application/wasm: fall back to a buffer.
        const again = await fetchEngine(wasmURL);
        return WebAssembly.instantiate(await again.arrayBuffer(), go.importObject);
      })
      : r.arrayBuffer().then((b) => WebAssembly.instantiate(b, go.importObject))));
    instantiate.then((res) => {
      mark('sseshim:instantiated');
      g[HANDSHAKE.INSTANCE] = res.instance; // for diagnostics: its memory
      g[HANDSHAKE.RUNTIME] = go; // for diagnostics: whether it has exited
      memory = res.instance.exports.mem;
      g[HANDSHAKE.PUMP] = (...args) => pumpBody(go, res.instance.exports, ...args);
      go.run(res.instance).then(() => {
        const err = new Error(`sseshim: the engine stopped (exit code ${exitCode}); reload the page`);
        reject(err); // if it stopped before it was ready
        stopped(err);
      });
    }, reject);
  });
  return g[HANDSHAKE.LOADING];
}
