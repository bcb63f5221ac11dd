// What both extensions' background service workers do: stream from the
// test server (self.testServer, config.js, written by the test) with an
// Authorization header, then open a stream the server refuses with 401, and
// post what they saw back to the server: the test reads it there.
self.streamAndReport = function streamAndReport(ES, tag) {
  const server = self.testServer;
  const log = [location.protocol + ' ' + (typeof chrome === 'object' && typeof chrome.runtime.id)];
  const report = () => fetch(server + '/ext/result?ext=' + tag, { method: 'POST', body: JSON.stringify(log) });
  const refused = () => {
    const es = new ES(server + '/ext/401');
    es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.status + ' rs=' + es.readyState); report(); };
  };
  const es = new ES(server + '/ext/stream?ext=' + tag, { headers: { Authorization: 'Bearer ext-' + tag } });
  es.onopen = () => log.push('open');
  es.onmessage = (e) => log.push('message ' + e.data + ' #' + e.lastEventId);
  es.addEventListener('done', () => { log.push('done'); es.close(); refused(); });
  es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.message); es.close(); report(); };
};
