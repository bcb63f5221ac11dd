//go:build !js

package bench

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
window.visitResources = () => performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname.startsWith('/dist/'))
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
	"sseshim": `<script src="/dist/sseshim.js" data-polyfill="off"></script>
<script>
  sseshim.ready.then(() => { visit.ready = performance.now(); }, fail);
  const es = new sseshim.EventSource('/visits/stream');
  es.onmessage = onEvent;
  es.onerror = (e) => fail('error event ' + (e.kind || '') + ' ' + (e.message || ''));
</script>`,
}

// visitWait resolves once the page has its first event, sseshim (if it
// loads it) is ready and Resource Timing lists the engine's module (its
// entry comes when its body has been read), or an error.
const visitWait = `new Promise((resolve) => {
  const sseshimPage = typeof sseshim !== 'undefined';
  const c = () => {
    const moduleListed = visitResources().some((r) => r.path.endsWith('.wasm'));
    if (visit.error || (visit.first && (!sseshimPage || (visit.ready && moduleListed)))) {
      resolve({ ...visit, resources: visitResources() });
      return;
    }
    setTimeout(c, 5);
  };
  c();
})`
