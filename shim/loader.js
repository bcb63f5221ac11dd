// sseshim loader: instantiates the Go engine. Shared by the script-tag build
// (sseshim.js) and the ES module build (index.js); the build wraps it.

// createEngineConfig holds where the engine's files are, as configure() sets
// them. Loading begins in a microtask right after the build's code has run
// (createSseshim), and takes the locations once (take()); a configure() after
// that could not change anything, so it throws.
function createEngineConfig(howElse) {
  let set = {};
  let taken = false;

  function url(v, key) {
    if (typeof v !== 'string' && !(typeof URL !== 'undefined' && v instanceof URL)) {
      throw new TypeError(`sseshim: configure(): ${key} must be a string or a URL, not ${v === null ? 'null' : typeof v}`);
    }
    if (String(v) === '') throw new TypeError(`sseshim: configure(): ${key} must not be empty`);
    const base = typeof document !== 'undefined' ? document.baseURI : globalThis.location && location.href;
    try {
      return new URL(String(v), base).href;
    } catch {
      throw new TypeError(`sseshim: configure(): ${key} ${JSON.stringify(String(v))} is not a valid URL`);
    }
  }

  // configure({wasmURL, wasmExecURL, shareURL}): relative URLs resolve
  // against the page. A later call replaces an earlier one.
  const KNOWN = ['wasmURL', 'wasmExecURL', 'shareURL'];
  function configure(options) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`sseshim: configure() takes an object: { ${KNOWN.join(', ')} }`);
    }
    for (const k of Object.keys(options)) {
      if (!KNOWN.includes(k)) {
        throw new TypeError(`sseshim: configure(): unknown option ${JSON.stringify(k)} (known: ${KNOWN.join(', ')})`);
      }
    }
    const next = {};
    for (const k of KNOWN) if (options[k] !== undefined) next[k] = url(options[k], k);
    if (taken) {
      throw new Error('sseshim: configure() was called too late: where the engine is was settled as soon as ' +
        'the code that loaded sseshim had finished running; call it at the top level of the module that ' +
        'imports sseshim (or in the same script), before any await or callback' + howElse);
    }
    set = next;
  }

  return { configure, take: () => { taken = true; return set; } };
}

// fetchEngine fetches the wasm module, turning a failed request or an error
// status into an error that names the URL and the way out.
function fetchEngine(wasmURL) {
  const hint = ': serve sseshim.wasm there, or tell sseshim where it is with configure({ wasmURL })';
  return fetch(wasmURL).then((r) => {
    if (!r.ok) throw new Error(`sseshim: could not load the engine from ${wasmURL} (HTTP ${r.status})${hint}`);
    return r;
  }, (err) => {
    throw new Error(`sseshim: could not fetch the engine from ${wasmURL} (${err && err.message})${hint}`);
  });
}

// pumpBody reads a response body for the engine (wasm/internal/jsbridge/
// body.go): it copies each chunk into the engine's memory at [at, at + size)
// and calls the engine's exported sseshimFeed(id, length), which decodes the
// chunk and delivers its events before it returns — a plain wasm call, far
// cheaper than a js.FuncOf callback. A chunk larger than size is fed in
// pieces. When a feed returns false the engine wants no more: the pump stops
// and calls done(null), a js.FuncOf, so that the engine's goroutines run;
// otherwise done(reason) says how the stream ended (null: at its end). own:
// the chunks are the fetch's own, not a page's stream's.
//
// A read of data already queued resolves in a microtask of the same task, so
// a flood (a backlog after a stall, a gzip bomb of line ends) would hold the
// page's event loop until it is through: after 20 ms of such work the pump
// lets the page run a task (setTimeout) before it goes on. A read that took
// 0.1 ms or more waited for the network (the event loop ran meanwhile).
function pumpBody(go, wasm, reader, id, at, size, done, own) {
  const now = () => performance.now();
  let busySince = now();
  let chunk = null;
  let off = 0;
  // (A Go program that has exited must not be entered again.)
  const finish = (reason) => { if (!go.exited) done(reason); };
  const pause = () => setTimeout(() => { busySince = now(); next(); }, 0);
  const next = () => {
    while (chunk) {
      if (now() - busySince >= 20) { pause(); return; }
      const c = chunk;
      const n = Math.min(c.length - off, size);
      // A fresh view each time: the memory's buffer is replaced when it grows.
      new Uint8Array(wasm.mem.buffer, at, n).set(off === 0 && n === c.length ? c : c.subarray(off, off + n));
      off += n;
      if (off >= c.length) chunk = null;
      let more = false;
      try {
        if (!go.exited) more = wasm.sseshimFeed(id, n);
      } catch {
        // the engine failed; the shim fails its sources
      }
      if (go.exited) { reader.cancel().catch(() => {}); return; }
      if (!more) { finish(null); return; }
      // Detaching a fed chunk's buffer (the fetch's own: a page's stream may
      // still use its chunks) frees its memory now. Left to the collector,
      // the JS heap of a million-event soak sat at 10-12 MB instead of 2 MB.
      if (!chunk && own && c.buffer.transfer) c.buffer.transfer(0);
    }
    const asked = now();
    reader.read().then((r) => {
      if (r.done) { finish(null); return; }
      const t = now();
      if (t - asked >= 0.1) busySince = t;
      // (Not instanceof: a stream from another realm gives that realm's.)
      if (Object.prototype.toString.call(r.value) !== '[object Uint8Array]') {
        finish(new TypeError(`sseshim: the stream gave a chunk that is not a Uint8Array (${typeof r.value})`));
        return;
      }
      chunk = r.value.length ? r.value : null;
      off = 0;
      next();
    }, finish);
  };
  next();
}

// loadGoEngine instantiates the wasm module with Go (wasm_exec.js's Go
// class, from the toolchain that built the module) and resolves with the
// engine's API once the Go program has registered it. One engine serves every
// EventSource on the page. prefetched: the module's response, when the caller
// began fetching it earlier.
function loadGoEngine(wasmURL, prefetched, Go) {
  const g = globalThis;
  if (g.__sseshimGo) return Promise.resolve(g.__sseshimGo);
  if (g.__sseshimLoading) return g.__sseshimLoading;
  g.__sseshimLoading = new Promise((resolve, reject) => {
    const mark = (name) => { if (g.performance && performance.mark) performance.mark(name); };
    const go = new Go();
    // exited settles when the Go program stops, whatever the reason (a
    // fatal error such as running out of memory exits with code 2).
    let exitCode = 0;
    const goExit = go.exit;
    go.exit = (code) => { exitCode = code; goExit.call(go, code); };
    let exited;
    let memory = null;
    g.__sseshimReady = () => {
      mark('sseshim:ready');
      g.__sseshimGo.exited = exited;
      g.__sseshimGo.memory = memory; // where the engine's batches are (engine.events)
      resolve(g.__sseshimGo);
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
      g.__sseshimInstance = res.instance; // for diagnostics: its memory
      g.__sseshimRuntime = go; // for diagnostics: whether it has exited
      memory = res.instance.exports.mem;
      g.__sseshimPump = (...args) => pumpBody(go, res.instance.exports, ...args);
      exited = go.run(res.instance).then(() => {
        const err = new Error(`sseshim: the engine stopped (exit code ${exitCode}); reload the page`);
        reject(err); // if it stopped before it was ready
        return err;
      });
    }, reject);
  });
  return g.__sseshimLoading;
}
