// The scenario both service workers run (classic.js, module.js): a stream
// with an Authorization header whose events carry non-ASCII UTF-8, then a
// stream the server refuses with 401. It logs what a page would see.
// A global, so that a classic worker (importScripts) and a module worker
// (import for its side effect) share the one file.
self.swScenario = function swScenario(ES, tag) {
  // The runs in this global: 1 again once the browser has stopped the
  // worker and a message has started it anew.
  self.swRuns = (self.swRuns || 0) + 1;
  const log = ['run ' + self.swRuns];
  log.push('realm ' + (typeof ServiceWorkerGlobalScope === 'function' && self instanceof ServiceWorkerGlobalScope));
  const stream = () => new Promise((resolve) => {
    const es = new ES('/sw/stream?realm=' + tag, { headers: { Authorization: 'Bearer sw-' + tag } });
    es.onopen = () => log.push('open');
    es.onmessage = (e) => log.push('message ' + e.data + ' #' + e.lastEventId);
    es.addEventListener('done', () => { log.push('done'); es.close(); resolve(); });
    es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.message); es.close(); resolve(); };
  });
  const refused = () => new Promise((resolve) => {
    const es = new ES('/sw/401?realm=' + tag);
    es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.status + ' rs=' + es.readyState); resolve(); };
  });
  return stream().then(refused).then(() => log, (err) => log.concat('failed ' + err));
};
