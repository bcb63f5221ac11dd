// A fetch function's requests for a shared group (share-client.js): the
// worker asks a member tab to make them with the page's function, and the
// response's body crosses to the worker as a transferred stream.

const fetchCalls = new Map(); // call id → {abort, leave} of a request made here for the worker, until its body ends

// tabGone is the failure of a group's request whose tab went away: a
// TypeError, a network error that reconnects (through another tab), where
// an AbortError would close the group's source as the user agent's abort
// does.
export const tabGone = () => new TypeError('sseshim: the tab that made the request went away');

// leaveFetchCalls ends the group's requests made here, as the page is
// left: the worker makes the next one in another tab.
export function leaveFetchCalls() {
  for (const call of fetchCalls.values()) call.leave();
  fetchCalls.clear();
}

// abortFetchCall aborts a group's request made here that is no longer wanted.
export function abortFetchCall(id) {
  const call = fetchCalls.get(id);
  fetchCalls.delete(id);
  if (call) call.abort();
}

// streamsTransfer tells whether this browser can transfer a ReadableStream
// through postMessage (transferable streams), as a response's body made
// with a fetch function must be. Checked once.
let transferable;
export function streamsTransfer() {
  if (transferable === undefined) {
    try {
      const rs = new ReadableStream();
      const { port1, port2 } = new MessageChannel();
      port1.postMessage(rs, [rs]);
      port1.close();
      port2.close();
      transferable = true;
    } catch {
      transferable = false;
    }
  }
  return transferable;
}
// fetchForGroup makes the group's request with this page's fetch function. The
// worker sends its engine's URL and init, headers as a list and without
// the signal (which cannot cross): an abortCall message aborts the
// request before it has answered. The answer is the response's status,
// URL and headers, and its body, transferred to the worker through a
// stream of this page's, so that the page knows when it ends: until then,
// leaving the page (pagehide) aborts the request; the worker cancelling
// the body cancels it too.
export function fetchForGroup(fn, msg, reply, fail) {
  const ac = new AbortController();
  const done = () => fetchCalls.delete(msg.call);
  let relayed = null; // the relay's controller, once there is a response
  let left = false;
  fetchCalls.set(msg.call, {
    abort: () => ac.abort(),
    leave: () => {
      left = true;
      if (relayed) relayed.error(tabGone());
      ac.abort();
    },
  });
  const { input, init } = msg.args;
  reply({ started: true }); // the worker waits on it now, however long the server takes
  fn(input, { ...init, headers: new Headers(init.headers), signal: ac.signal }).then((res) => {
    if (left) { // a function that did not heed the abort: the answer is nobody's
      if (res.body) res.body.cancel().catch(() => {});
      done();
      fail(tabGone());
      return;
    }
    let body = null;
    try {
      if (res.body) {
        const relay = new TransformStream({ start(c) { relayed = c; } });
        res.body.pipeTo(relay.writable).catch(() => {}).finally(done);
        body = relay.readable;
      } else done();
      reply({ value: { status: res.status, statusText: res.statusText, url: res.url, headers: [...res.headers], body } }, body ? [body] : []);
    } catch (err) {
      ac.abort();
      done();
      fail(err); // not a response, or one the worker cannot receive
    }
  }, (err) => {
    done();
    fail(left ? tabGone() : err);
  });
}
