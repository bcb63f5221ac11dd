// runRealm runs the same streams through sseshim in any realm (the page, a
// classic, module or shared worker) and returns the event log: an async
// headers function, reconnection with Last-Event-ID, NDJSON with json, and
// fromReadableStream over a fetch() body.
async function runRealm(ES, tag) {
  const log = [];
  const run = (url, init, types = []) => new Promise((resolve) => {
    const es = new ES(url + (url.includes('?') ? '&' : '?') + 'realm=' + tag, init);
    const push = (e) => log.push(e.type + ' ' + (e.json ? JSON.stringify(e.json) : e.data) + ' #' + e.lastEventId);
    es.onmessage = push;
    for (const t of types) es.addEventListener(t, push);
    es.addEventListener('done', () => { es.close(); resolve(); });
    es.onerror = (e) => {
      log.push('error ' + e.kind + ' rs=' + es.readyState + (e.kind === 'engine' ? ' ' + e.message : ''));
      if (es.readyState === 2) resolve();
    };
  });
  let token = 0; // refreshed before every attempt
  await run('/realm/sse', { headers: async () => ({ Authorization: 'Bearer ' + tag + ' ' + (++token) }), retry: { initial: 10 } });
  await run('/realm/ndjson', { format: 'ndjson', json: true }, ['temperature']);
  const res = await fetch('/realm/sse?once=1&realm=' + tag);
  await new Promise((resolve) => {
    const es = ES.fromReadableStream(res.body);
    es.onmessage = (e) => log.push('stream ' + e.data + ' #' + e.lastEventId);
    es.onerror = () => { log.push('stream end rs=' + es.readyState + ' last=' + es.lastEventId); resolve(); };
  });
  return log;
}
globalThis.runRealm = runRealm; // for a module, which imports this file for its effect
