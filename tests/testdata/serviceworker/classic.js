// A classic service worker: importScripts during its first evaluation, as a
// service worker must (later calls are refused).
importScripts('/dist/sseshim.js', '/sw/scenario.js');

self.addEventListener('install', () => self.skipWaiting());
// A message from the page starts the scenario; waitUntil keeps the worker
// alive until the log is posted back on the page's port. sseshim.EventSource,
// not self.EventSource: engines that expose their own EventSource in service
// workers keep it (data-polyfill's "auto").
self.addEventListener('message', (e) => {
  e.waitUntil(swScenario(sseshim.EventSource, 'classic').then((log) => e.ports[0].postMessage(log)));
});
