// The script-tag loader: <script src="sseshim.js" data-polyfill="auto"></script>
// loads sseshim.wasm from beside itself (data-wasm overrides, and so does
// sseshim.configure() called in the same script, e.g. when sseshim.js is
// part of a bundle), exposes
// window.sseshim = {EventSource, SseshimError, ready, configure, …}, and installs
// window.EventSource: "auto" only where the browser has none, "force" always,
// "off" never. data-share makes share the default of the page's sources, and
// data-share-worker says where sseshim-share.js is (default: beside it).
//
// Go's wasm_exec.js is built into this file (runWasmExec: the build wraps
// it in a function, see the Makefile), so the engine costs one request, not
// two. data-wasm-exec or configure({ wasmExecURL }) load another
// wasm_exec.js instead: the one that matches an engine built with another
// Go version.
//
// In a classic, shared or service worker, importScripts('…/sseshim.js') does the same:
// the engine's files default to beside sseshim.js, and self.sseshimConfig =
// {wasmURL, wasmExecURL, polyfill, share, shareWorkerURL} set before importScripts, or
// sseshim.configure() right after it, replaces the data attributes.

import { runWasmExec } from 'sseshim-wasm-exec';
import { HANDSHAKE, CONNECTING, OPEN, CLOSED } from './protocol.js';
import { setHost } from './host.js';
import { ready } from './engine.js';
import { createEngineConfig } from './config.js';
import { fetchEngine, loadGoEngine, handshake } from './bridge.js';
import { EventSource } from './eventsource.js';
import { SseshimErrorEvent, RetryingEvent, BatchEvent } from './events.js';
import { SseshimError } from './errors.js';

const inWorker = typeof document === 'undefined' && typeof importScripts === 'function';
const script = inWorker ? null : document.currentScript;
const preset = (globalThis.sseshimConfig && typeof globalThis.sseshimConfig === 'object') ? globalThis.sseshimConfig : {};
const base = script && script.src ? script.src : (inWorker ? workerScriptURL() : document.baseURI);
const attr = (name) => (script && script.dataset ? script.dataset[name] : undefined);
const config = createEngineConfig(inWorker
  ? '; in a worker, call it right after importScripts(), or set self.sseshimConfig before'
  : '; from a separate <script>, it is too late: use the data-wasm and data-wasm-exec attributes of the sseshim.js script tag instead');
if (preset.wasmURL !== undefined || preset.wasmExecURL !== undefined || preset.shareWorkerURL !== undefined) {
  config.configure({ wasmURL: preset.wasmURL, wasmExecURL: preset.wasmExecURL, shareURL: preset.shareWorkerURL });
}

// workerScriptURL finds where importScripts() loaded this file from: a
// worker has no document.currentScript, but the stack of an Error names the
// script. Failing that, the worker's own location.
function workerScriptURL() {
  const stack = String(new Error().stack || '');
  const m = stack.match(/(https?:\/\/[^\s()]+):\d+:\d+/);
  return m ? m[1] : self.location.href;
}

function loadScript(url) {
  const missing = () => new Error('sseshim: could not load ' + url +
    ': serve wasm_exec.js there, or point data-wasm-exec (or configure({ wasmExecURL })) at it, ' +
    'or leave both out to use the one built into sseshim.js');
  if (inWorker) {
    // A service worker's importScripts takes a new URL only until it is
    // installed; the engine's head start (engine.js) comes that early, and
    // a restarted worker gets the file from the scripts stored at install.
    try {
      importScripts(url);
      return Promise.resolve();
    } catch {
      return Promise.reject(missing());
    }
  }
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(missing());
    document.head.appendChild(s);
  });
}

// data-share (or sseshimConfig.share) makes share the page's default: present
// or "true" shares, "false" does not, any other value names a group.
function shareByDefault() {
  const v = attr('share') ?? preset.share;
  if (v === undefined || v === false || v === 'false') return false;
  return v === '' || v === true || v === 'true' ? true : String(v);
}

// builtInGo runs the wasm_exec.js built into this file and takes its Go
// class, leaving the page's globalThis.Go as it was: another Go program on
// the page needs the wasm_exec.js of its own Go version.
function builtInGo() {
  const had = Object.prototype.hasOwnProperty.call(globalThis, 'Go');
  const pageGo = globalThis.Go;
  runWasmExec();
  const Go = globalThis.Go;
  if (had) globalThis.Go = pageGo;
  else delete globalThis.Go;
  return Go;
}

// Where the engine is, as configured by then, is settled in the microtask
// after this script (configure() later throws); the engine itself loads when
// it is first needed (engine.js), which may be later.
let located = null;
queueMicrotask(() => { located = config.take(); });

// Where the engine is: configure(), data-wasm, or beside this script under
// its content-hashed name (SSESHIM_WASM_PATH, the Makefile's define).
const wasmLocation = (set) => set.wasmURL || new URL(attr('wasm') || SSESHIM_WASM_PATH, base).href;

// shareWorkerURL is where sseshim-share.js is — configure({shareURL}),
// data-share-worker, or beside this script — telling it (?wasm=) where the
// engine is, which it cannot know when a bundler renamed the files.
function shareWorkerURL() {
  const set = located || config.take();
  const u = new URL(set.shareURL || attr('shareWorker') || 'sseshim-share.js', base);
  u.searchParams.set('wasm', wasmLocation(set));
  return u.href;
}

// loadEngine loads the engine from where it is, with the wasm_exec.js built
// in unless another was named.
function loadEngine() {
  const set = located || config.take();
  const wasmURL = wasmLocation(set);
  const execURL = set.wasmExecURL || (attr('wasmExec') && new URL(attr('wasmExec'), base).href);
  const h = handshake();
  if (h[HANDSHAKE.ENGINE] || h[HANDSHAKE.LOADING]) return loadGoEngine(wasmURL); // sseshim.js ran twice
  // The module's fetch, and with it its streaming compile, begins now: in
  // the microtask after the first source that needs the engine (or after the
  // page's load), before anything else can wait.
  const wasm = fetchEngine(wasmURL);
  if (!execURL) return loadGoEngine(wasmURL, wasm, builtInGo());
  wasm.catch(() => {}); // reported by loadGoEngine, or moot if wasm_exec.js fails
  return loadScript(execURL).then(() => loadGoEngine(wasmURL, wasm, globalThis.Go));
}

setHost({ loadEngine, shareWorkerURL, shareByDefault });

// The page's API; the share worker (share.js) uses it too.
export const api = { EventSource, SseshimErrorEvent, RetryingEvent, BatchEvent, SseshimError, ready, configure: config.configure,
  CONNECTING, OPEN, CLOSED };
globalThis.sseshim = api;
const mode = attr('polyfill') || preset.polyfill || 'auto';
if (mode === 'force' || (mode === 'auto' && typeof globalThis.EventSource === 'undefined')) {
  globalThis.EventSource = EventSource;
} else if (mode !== 'auto' && mode !== 'off') {
  console.warn('sseshim: unknown data-polyfill value ' + JSON.stringify(mode) + '; use auto, force or off');
}
