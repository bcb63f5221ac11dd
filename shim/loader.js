// sseshim loader: instantiates the Go engine. Shared by the script-tag build
// (sseshim.js) and the ES module build (index.js); the build wraps it.

// loadGoEngine instantiates the wasm module with wasm_exec.js's Go class
// (already loaded) and resolves with the engine's API once the Go program has
// registered it. One engine serves every EventSource on the page.
function loadGoEngine(wasmURL, prefetched) {
  const g = globalThis;
  if (g.__sseshimGo) return Promise.resolve(g.__sseshimGo);
  if (g.__sseshimLoading) return g.__sseshimLoading;
  g.__sseshimLoading = new Promise((resolve, reject) => {
    const mark = (name) => { if (g.performance && performance.mark) performance.mark(name); };
    g.__sseshimReady = () => { mark('sseshim:ready'); resolve(g.__sseshimGo); };
    const go = new g.Go();
    const response = prefetched || fetch(wasmURL);
    const instantiate = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(response, go.importObject).catch(async () => {
        // Served without application/wasm: fall back to a buffer.
        const r = await fetch(wasmURL);
        return WebAssembly.instantiate(await r.arrayBuffer(), go.importObject);
      })
      : Promise.resolve(response).then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, go.importObject));
    instantiate.then((res) => {
      mark('sseshim:instantiated');
      g.__sseshimInstance = res.instance; // for diagnostics: its memory
      go.run(res.instance).then(() => reject(new Error('sseshim: the engine exited')));
    }, reject);
  });
  return g.__sseshimLoading;
}
