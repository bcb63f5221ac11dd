// A classic background service worker: importScripts at its top level.
importScripts('config.js', 'sseshim.js', 'stream.js');
streamAndReport(sseshim.EventSource, 'classic');
