// The script-tag loader: <script src="sseshim.js" data-polyfill="auto"></script>
// loads wasm_exec.js and sseshim.wasm from beside itself (data-wasm and
// data-wasm-exec override), exposes window.sseshim = {EventSource, ready},
// and installs window.EventSource: "auto" only where the browser has none,
// "force" always, "off" never.
const script = document.currentScript;
const base = script && script.src ? script.src : document.baseURI;
const attr = (name) => (script && script.dataset ? script.dataset[name] : undefined);
const wasmURL = new URL(attr('wasm') || 'sseshim.wasm', base).href;
const execURL = new URL(attr('wasmExec') || 'wasm_exec.js', base).href;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(new Error('sseshim: could not load ' + url));
    document.head.appendChild(s);
  });
}

const api = createSseshim(() => {
  // Start downloading the module while wasm_exec.js loads.
  const wasm = globalThis.__sseshimGo ? null : fetch(wasmURL);
  return (globalThis.Go ? Promise.resolve() : loadScript(execURL)).then(() => loadGoEngine(wasmURL, wasm));
});

globalThis.sseshim = api;
const mode = attr('polyfill') || 'auto';
if (mode === 'force' || (mode === 'auto' && typeof globalThis.EventSource === 'undefined')) {
  globalThis.EventSource = api.EventSource;
} else if (mode !== 'auto' && mode !== 'off') {
  console.warn('sseshim: unknown data-polyfill value ' + JSON.stringify(mode) + '; use auto, force or off');
}
