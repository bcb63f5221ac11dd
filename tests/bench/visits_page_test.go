//go:build !js

package bench

import "strconv"

// The repeat-visit benchmark's page: a dashboard that opens one stream as it
// loads and keeps it open. It times, on its own clock (performance.now(),
// zero at the navigation's start), when sseshim is ready and when the first
// event arrives, checks every event's sequence number, and lists what it
// loaded from dist/ as Resource Timing saw it (transferSize: 0 when the
// HTTP cache answered without asking the server, the headers alone for a
// 304). %s: the scripts that open the stream.
const visitPage = `<!doctype html><meta charset="utf-8"><title>dashboard</title>
<script>
window.visit = { ready: 0, first: 0, events: 0, bad: 0, error: '' };
const fail = (what) => { if (!visit.error) visit.error = String(what); };
window.onerror = (msg) => fail(msg);
window.onunhandledrejection = (e) => fail((e.reason && e.reason.message) || e.reason);
const onEvent = (e) => {
  if (!visit.first) visit.first = performance.now();
  let seq = -1;
  try { seq = JSON.parse(e.data).seq; } catch {}
  if (seq !== visit.events) visit.bad++;
  visit.events++;
};
// visitSteps: where the time to the first event went, in ms from the
// navigation's start: the page's HTML received; the script and the module
// received (Resource Timing's responseEnd); the module instantiated and the
// Go program's ready call (the shim's performance marks; a floor row's
// page sets them too). The script is sseshim.js (by its hashed name or
// not), or a floor's wasm_exec.js.
window.visitSteps = () => {
  const end = (re) => {
    const r = performance.getEntriesByType('resource').find((e) => re.test(new URL(e.name).pathname));
    return r ? r.responseEnd : 0;
  };
  const mark = (name) => {
    const m = performance.getEntriesByName(name, 'mark')[0];
    return m ? m.startTime : 0;
  };
  const nav = performance.getEntriesByType('navigation')[0];
  return { html: nav ? nav.responseEnd : 0, script: end(/\/(sseshim(\.[0-9a-f]+)?|wasm_exec\.[0-9]+)\.js$/), module: end(/\.wasm$/),
    instantiated: mark('sseshim:instantiated'), goReady: mark('sseshim:ready') };
};
window.visitResources = () => performance.getEntriesByType('resource')
  .filter((e) => /^\/dist\//.test(new URL(e.name).pathname))
  .map((e) => ({ path: new URL(e.name).pathname, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
</script>
%s`

// visitCode is, for each row, how its page opens the stream.
var visitCode = map[string]string{
	"native": `<script>
  const es = new EventSource('/visits/stream');
  es.onmessage = onEvent;
  es.onerror = () => fail('error event, readyState ' + es.readyState);
</script>`,
	// The controls: the browser's EventSource and, on each event, the
	// functions of a plain module (plainModule), loaded the way the engine
	// is. plain calls all of them from the first event, so V8 tiers them up
	// together; plain-steps calls a few more every 30 events, so V8 tiers
	// them up a batch at a time over a few seconds, as it does the engine's.
	"plain":       plainCode(plainFuncs),
	"plain-steps": plainCode(5),
	// The floors: the least an engine in Go, or on safejs, costs a visit.
	"bare":        floorCode("bare"),
	"bare-safejs": floorCode("safejs"),
	// sseshim.js by its content-hashed name from dist/manifest.json, as a
	// page whose HTML a build writes loads it (visitServer puts it in).
	"sseshim": `<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
  sseshim.ready.then(() => { visit.ready = performance.now(); }, fail);
  const es = new sseshim.EventSource('/visits/stream');
  es.onmessage = onEvent;
  es.onerror = (e) => fail('error event ' + (e.kind || '') + ' ' + (e.message || ''));
</script>`,
}

// visitWait resolves once the page has its first event, sseshim or a
// floor's Go program (if it loads one) is ready and Resource Timing lists
// its module (its entry comes when its body has been read), a control's
// module is instantiated, or an error.
const visitWait = `new Promise((resolve) => {
  const sseshimPage = typeof sseshim !== 'undefined' || window.visitFloor;
  const c = () => {
    const moduleListed = visitResources().some((r) => r.path.endsWith('.wasm'));
    const plainReady = !window.visitPlain || performance.getEntriesByName('sseshim:instantiated', 'mark').length > 0;
    if (visit.error || (visit.first && plainReady && (!sseshimPage || (visit.ready && moduleListed)))) {
      resolve({ ...visit, resources: visitResources(), steps: visitSteps() });
      return;
    }
    setTimeout(c, 5);
  };
  c();
})`

// plainCode is a control row's page: step functions more are called every
// 30 events.
func plainCode(step int) string {
	return `<script>
  window.visitPlain = true;
  let calls = null;
  fetch('/visits/plain.0123456789.wasm').then((r) => WebAssembly.instantiateStreaming(r)).then((m) => {
    performance.mark('sseshim:instantiated');
    calls = Object.values(m.instance.exports);
  }, fail);
  let n = 0;
  const es = new EventSource('/visits/stream');
  es.onmessage = (e) => {
    if (calls) {
      const hot = Math.min(calls.length, ` + strconv.Itoa(step) + ` * (1 + Math.floor(n++ / 30)));
      for (let i = 0; i < hot; i++) calls[i](2000);
    }
    onEvent(e);
  };
  es.onerror = () => fail('error event, readyState ' + es.readyState);
</script>`
}

// floorCode is a floor row's page: a Go program (buildFloors' bare.wasm, or
// its safejs twin) loaded as a Go program at its leanest is: Go's
// wasm_exec.js and the module, both content-hashed and immutable, the
// module compiled as it streams in; the browser's EventSource opened at
// once beside it, as sseshim sends its first request while its engine
// loads. Each event goes through the program's exported function before
// the page's handler, those that came before the program was ready as soon
// as it is: the first event of an engine that costs nothing but its Go
// program's start.
func floorCode(module string) string {
	return `<script src="/dist/wasm_exec.0123456789.js"></script>
<script>
  window.visitFloor = true;
  let early = [];
  const deliver = (e) => {
    if (bareAdd(2, 3) !== 5) fail('the floor program does not answer');
    onEvent(e);
  };
  window.__bareReady = () => {
    performance.mark('sseshim:ready');
    visit.ready = performance.now();
    const held = early;
    early = null;
    held.forEach(deliver);
  };
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch('/dist/` + module + `.0123456789.wasm'), go.importObject).then((r) => {
    performance.mark('sseshim:instantiated');
    go.run(r.instance);
  }, fail);
  const es = new EventSource('/visits/stream');
  es.onmessage = (e) => { if (early) early.push(e); else deliver(e); };
  es.onerror = () => fail('error event, readyState ' + es.readyState);
</script>`
}
