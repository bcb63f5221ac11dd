// The engine harness's helpers for the scenarios; the driver's script
// (/ctl/driver.js, tests/internal/enginedriver) runs what the test sends.
'use strict';

// record logs what an EventSource does, the same way for both
// implementations, until the stream sends a "done" event, the source closes
// for good, or opts.timeout passes.
window.record = (impl, url, opts = {}) => new Promise((resolve) => {
  const ES = impl === 'native' ? window.NativeEventSource : sseshim.EventSource;
  const log = [];
  let es;
  try {
    es = new ES(url, opts.init);
  } catch (e) {
    resolve(['throws ' + e.name]);
    return;
  }
  let finished = false;
  const finish = (why) => {
    if (finished) return;
    finished = true;
    es.close();
    log.push('end ' + why);
    resolve(log);
  };
  // What a page can see of the event object beside its data
  // (#dispatchMessage: a MessageEvent that does not bubble and cannot be
  // canceled, targeted at the source).
  const shape = (e) => [e.constructor === MessageEvent, e instanceof MessageEvent, e instanceof Event,
    e.bubbles, e.cancelable, e.source === null, e.ports.length, e.target === es].join();
  const onMsg = (e) => {
    log.push(e.type + ' ' + JSON.stringify(e.data) + ' id=' + JSON.stringify(e.lastEventId) +
      ' origin=' + e.origin + ' shape=' + shape(e));
  };
  es.onopen = () => log.push('open rs=' + es.readyState);
  es.onmessage = onMsg;
  for (const t of opts.types || []) es.addEventListener(t, onMsg);
  es.addEventListener('done', () => finish('done'));
  es.onerror = () => {
    log.push('error rs=' + es.readyState);
    if (es.readyState === 2) finish('closed');
  };
  setTimeout(() => finish('timeout'), opts.timeout || 10000);
});

// pool runs fn over items, n at a time, and returns the results in order.
window.pool = async (items, n, fn) => {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
};

