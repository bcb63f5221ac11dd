// A classic service worker that names its own wasm_exec.js (wasmExecURL):
// sseshim imports it when the engine first loads, early enough that the
// browser stores it with the worker's scripts.
self.sseshimConfig = { wasmExecURL: '/dist/wasm_exec.js' };
importScripts('/dist/sseshim.js', '/sw/scenario.js');
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', (e) => {
  e.waitUntil(swScenario(sseshim.EventSource, 'exec').then((log) => e.ports[0].postMessage(log)));
});
