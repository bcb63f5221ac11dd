// A module service worker (register(url, {type: 'module'})): the ES module
// entry, imported statically (a service worker may not import()).
import { EventSource } from '/dist/index.js';
import '/sw/scenario.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', (e) => {
  e.waitUntil(self.swScenario(EventSource, 'module').then((log) => e.ports[0].postMessage(log)));
});
