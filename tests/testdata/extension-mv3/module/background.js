// A module background service worker: the ES module entry, imported
// statically.
import './config.js';
import './stream.js';
import { EventSource } from './index.js';

self.streamAndReport(EventSource, 'module');
