// sseshim's shared connection hub: the SharedWorker behind the share option.
// Every tab of an origin that opens a source with share connects here; the
// sources whose requests would be identical (the same key, computed by the
// tab) share one EventSource — one engine, one network connection — and each
// tab's object mirrors it. The build prepends importScripts('sseshim.js').
//
// Messages from a tab: {t: 'join', tab, id, key, url, options, fns},
// {t: 'leave', id, tab}, {t: 'reply', call, value | error}. To a tab, each
// with the member's id: open, events (records), ping, error, retrying, and
// call (run a headers or body function for the group).

'use strict';

const groups = new Map(); // key → group
const tabs = new Map(); // tab id → Set of {group, member}
const GRACE = 2000; // after the last tab leaves, so that a reload does not reconnect

let nextCall = 1;
const calls = new Map(); // call id → {resolve, reject, group, fn}

function post(member, msg) {
  msg.id = member.id;
  try {
    member.port.postMessage(msg);
  } catch {
    // a message that cannot be copied; a tab that went away is removed when
    // it says so (pagehide) or its lock is released
  }
}

function broadcast(group, msg) {
  for (const m of group.members) post(m, { ...msg });
}

function statsOf(group) {
  return { ...group.es.stats, shared: true, tabs: new Set([...group.members].map((m) => m.tab)).size };
}

// ask runs a page's headers or body function in a live tab of the group: the
// function cannot cross into the worker. If that tab goes away first, the
// next one is asked.
function ask(group, fn) {
  return new Promise((resolve, reject) => {
    const call = nextCall++;
    calls.set(call, { resolve, reject, group, fn });
    send(call);
  });
}

function send(call) {
  const c = calls.get(call);
  const member = [...c.group.members].find((m) => m.fns.includes(c.fn));
  if (!member) {
    calls.delete(call);
    c.reject(new Error('sseshim: no tab left to run the ' + c.fn + ' function'));
    return;
  }
  c.member = member;
  post(member, { t: 'call', call, fn: c.fn });
}

function createGroup(key, url, options, fns) {
  const init = { ...options, batch: true, json: false };
  delete init.share;
  const group = { key, members: new Set(), es: null, closeTimer: 0, origin: '' };
  if (fns.includes('headers')) init.headers = () => ask(group, 'headers');
  if (fns.includes('body')) init.body = () => ask(group, 'body');
  const es = new sseshim.EventSource(url, init);
  group.es = es;
  try {
    group.origin = new URL(url).origin;
  } catch {
    group.origin = 'null';
  }
  es.onopen = () => broadcast(group, { t: 'open', origin: group.origin, stats: statsOf(group) });
  es.addEventListener('batch', (e) => {
    const records = e.events.map((r) => [r.type, r.data, r.lastEventId]);
    broadcast(group, { t: 'events', records, lastEventId: es.lastEventId, reconnectionTime: es.reconnectionTime, stats: statsOf(group) });
  });
  es.addEventListener('ping', () => broadcast(group, { t: 'ping' }));
  es.addEventListener('retrying', (e) => broadcast(group, { t: 'retrying', delay: e.delay, attempt: e.attempt, reason: e.reason }));
  es.onerror = (e) => {
    broadcast(group, { t: 'error', readyState: es.readyState, kind: e.kind, status: e.status, code: e.code, message: e.message, stats: statsOf(group) });
    if (es.readyState === es.CLOSED && groups.get(key) === group) groups.delete(key);
  };
  groups.set(key, group);
  return group;
}

function join(port, msg) {
  let group = groups.get(msg.key);
  if (!group) group = createGroup(msg.key, msg.url, msg.options, msg.fns);
  clearTimeout(group.closeTimer);
  const member = { port, id: msg.id, tab: msg.tab, fns: msg.fns };
  group.members.add(member);
  if (!tabs.has(msg.tab)) {
    tabs.set(msg.tab, new Set());
    // The tab holds a lock for its life: when it is released, the tab is gone.
    if (self.navigator && navigator.locks) navigator.locks.request('sseshim-tab-' + msg.tab, () => removeTab(msg.tab));
  }
  tabs.get(msg.tab).add({ group, member });
  // A tab that joins an open connection is open at once.
  if (group.es.readyState === group.es.OPEN) post(member, { t: 'open', origin: group.origin, stats: statsOf(group) });
}

function removeMember(group, member) {
  group.members.delete(member);
  for (const [call, c] of calls) if (c.member === member) send(call); // the next tab serves
  if (group.members.size === 0) {
    group.closeTimer = setTimeout(() => {
      if (group.members.size === 0) {
        group.es.close();
        if (groups.get(group.key) === group) groups.delete(group.key); // not a newer group with the same key
      }
    }, GRACE);
  }
}

function leave(msg) {
  const mine = tabs.get(msg.tab);
  if (!mine) return;
  for (const entry of [...mine]) {
    if (entry.member.id === msg.id) {
      mine.delete(entry);
      removeMember(entry.group, entry.member);
    }
  }
}

function removeTab(tab) {
  const mine = tabs.get(tab);
  tabs.delete(tab);
  if (mine) for (const { group, member } of mine) removeMember(group, member);
}

function reply(msg) {
  const c = calls.get(msg.call);
  if (!c) return;
  calls.delete(msg.call);
  if ('error' in msg) c.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
  else c.resolve(msg.value);
}

self.onconnect = (e) => {
  const port = e.ports[0];
  port.onmessage = (m) => {
    const msg = m.data;
    if (msg.t === 'join') join(port, msg);
    else if (msg.t === 'leave') leave(msg);
    else if (msg.t === 'reply') reply(msg);
    else if (msg.t === 'stats') {
      const g = groups.get(msg.key);
      if (g) post({ port, id: msg.id }, { t: 'stats', stats: statsOf(g) });
    }
  };
  port.start();
};
