// sseshim's shared connection hub: the SharedWorker behind the share option.
// Every tab of an origin that opens a source with share connects here; the
// sources whose requests would be identical (the same key, computed by the
// tab) share one EventSource — one engine, one network connection — and each
// tab's object mirrors it. The build bundles the script-tag entry
// (script.js) into the same file, sseshim-share.js, so that a bundler that
// ships this file as an asset ships all it needs; the tab says where the
// engine is (?wasm=).
//
// Messages from a tab: {t: 'join', tab, id, key, url, options, fns, locked,
// lastEventId, at}, {t: 'leave', id, tab}, {t: 'reply', tab, call,
// value | error}, {t: 'beat', tab, hidden, ids}, {t: 'locked', tab}. To a
// tab, each with the member's id: open, events (records, and `at`, how far
// into the group's events), ping, error, retrying, call (run a headers,
// body or fetch function for the group, with args for fetch), abortCall
// (a fetch call's request is no longer wanted), and rejoin (the tab was
// taken for gone); and to each tab, every beat, {t: 'alive'}. The beat also
// sets how often the worker says it lives.

import { api as sseshim } from './script.js';
import { DEFAULT_BEAT } from './share-client.js';
import { tabGone } from './share-fetch.js';

{
  const wasm = new URLSearchParams(self.location.search).get('wasm');
  if (wasm) sseshim.configure({ wasmURL: wasm }); // in time: the same script as sseshim.js
}

const groups = new Map(); // key → group
const tabs = new Map(); // tab id → {entries: Set of {group, member}, locked, seen, hidden, port, watching, lockTimer}
const GRACE = 2000; // after the last tab leaves, so that a reload does not reconnect

// Timing, in ms. The worker's URL may set them (sseshim-share.js?beat=…):
// - beat: how often a tab without Web Locks says it is alive (the tab reads
//   the same parameter). Such a tab is taken for gone after three silent
//   beats while visible, and after thirty while hidden (150 s by default):
//   browsers run a hidden tab's timers as seldom as once a minute, and
//   freeze hidden tabs.
// - callTimeout: how long a tab may take to run a headers or body function,
//   or to begin a fetch function's request, before the next tab of the
//   group is asked as well (the first answer wins; a later response's body
//   is cancelled, a later request aborted). A request once begun answers
//   when its server does, as long as that takes. With no other tab to ask,
//   the call waits on.
const params = new URLSearchParams(self.location.search);
const setting = (name, dflt) => {
  const v = Number(params.get(name));
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const BEAT = setting('beat', DEFAULT_BEAT);
const CALL_TIMEOUT = setting('callTimeout', 5000);
const HIDDEN_SILENCE = 30 * BEAT;

let nextCall = 1;
let nextGroup = 1;
const calls = new Map(); // call id → {resolve, reject, group, fn, asked: Set of members, timer}

function post(member, msg) {
  msg.id = member.id;
  try {
    member.port.postMessage(msg);
  } catch {
    // a message that cannot be copied; a tab that went away is removed when
    // it says so (pagehide), its lock is released, or its beats stop
  }
}

function broadcast(group, msg) {
  for (const m of group.members) post(m, { ...msg });
}

function statsOf(group) {
  return { ...group.es.stats, shared: true, tabs: new Set([...group.members].map((m) => m.tab)).size };
}

// ask runs a page's headers, body or fetch function in a live tab of the
// group: the function cannot cross into the worker. A tab that goes away,
// or does not answer within CALL_TIMEOUT (frozen, busy, or gone without a
// word), hands the call on to the next one. A signal's abort drops the call
// and tells the tabs asked.
function ask(group, fn, args, signal) {
  return new Promise((resolve, reject) => {
    const call = nextCall++;
    calls.set(call, { resolve, reject, group, fn, args, asked: new Set(), timer: 0 });
    if (signal) {
      signal.addEventListener('abort', () => {
        const c = calls.get(call);
        if (!c) return;
        calls.delete(call);
        clearTimeout(c.timer);
        for (const m of c.asked) post(m, { t: 'abortCall', call });
        reject(signal.reason);
      }, { once: true });
    }
    send(call);
  });
}

// askFetch is a group's fetch function: its request is made in a member tab
// with that page's function (share-client.js), the engine's init sent as
// data (its headers as a list; its signal stays here, see ask). The
// response comes back as its status, URL, headers and body, the body a
// ReadableStream transferred from the tab: what the engine reads of a
// response (jsbridge/fetch.go).
function askFetch(group, input, init) {
  const data = { method: init.method, cache: init.cache, credentials: init.credentials, redirect: init.redirect,
    headers: [...new Headers(init.headers)] };
  if (init.body !== undefined) data.body = init.body;
  return ask(group, 'fetch', { input, init: data }, init.signal).then((v) => ({
    status: v.status, statusText: v.statusText, url: v.url, headers: new Headers(v.headers),
    body: v.body && bodyFrom(v.tab, v.body, init.signal),
  }));
}

// bodyFrom passes a body transferred from a tab through a stream this
// worker can fail: a transferred stream need not end when the tab that
// holds its source goes away, and the engine would wait on it for good.
// When the tab is gone (removeTab), the body fails, and the engine
// reconnects through another tab. The request's signal aborts it as it
// aborts a fetch's body; either way the failure cancels the request.
const madeIn = new Map(); // tab id → the controllers of bodies it serves
function bodyFrom(tab, transferred, signal) {
  let ctrl;
  const ts = new TransformStream({ start(c) { ctrl = c; } });
  signal.addEventListener('abort', () => ctrl.error(signal.reason), { once: true });
  if (!madeIn.has(tab)) madeIn.set(tab, new Set());
  const mine = madeIn.get(tab);
  mine.add(ctrl);
  transferred.pipeTo(ts.writable).catch(() => {}).finally(() => {
    mine.delete(ctrl);
    if (!mine.size && madeIn.get(tab) === mine) madeIn.delete(tab);
  });
  return ts.readable;
}

// send asks the first member that can run the call's function and has not
// been asked yet. A member that went away is no longer in the group; one
// that is merely slow still may answer.
function send(call) {
  const c = calls.get(call);
  clearTimeout(c.timer);
  const able = [...c.group.members].filter((m) => m.fns.includes(c.fn));
  const member = able.find((m) => !c.asked.has(m));
  if (!member) {
    if (able.length > 0) { // every tab was asked and is still working on it: wait, but ask a tab that joins meanwhile
      c.timer = setTimeout(() => { if (calls.has(call)) send(call); }, CALL_TIMEOUT);
      return;
    }
    calls.delete(call);
    c.reject(new Error('sseshim: no tab left to run the ' + c.fn + ' function'));
    return;
  }
  c.asked.add(member);
  post(member, { t: 'call', call, fn: c.fn, args: c.args });
  c.timer = setTimeout(() => { if (calls.has(call)) send(call); }, CALL_TIMEOUT);
}

function createGroup(key, url, options, fns) {
  const init = { ...options, batch: true, json: false };
  delete init.share;
  // recent: the last events, each with its place in the group's sequence
  // (seq), for tabs that join again; inc tells one group from a later one
  // with the same key.
  const group = { key, members: new Set(), es: null, closeTimer: 0, origin: '', recent: [], recentBytes: 0, seq: 0, inc: nextGroup++ };
  if (fns.includes('headers')) init.headers = () => ask(group, 'headers');
  if (fns.includes('body')) init.body = () => ask(group, 'body');
  if (fns.includes('fetch')) init.fetch = (input, request) => askFetch(group, input, request);
  const es = new sseshim.EventSource(url, init);
  group.es = es;
  try {
    group.origin = new URL(url).origin;
  } catch {
    group.origin = 'null';
  }
  es.onopen = () => {
    broadcast(group, { t: 'open', origin: group.origin, stats: statsOf(group) });
    for (const m of group.members) {
      if (!m.missed) continue;
      post(m, { t: 'events', records: m.missed, lastEventId: es.lastEventId, reconnectionTime: es.reconnectionTime, at: [group.inc, group.seq], stats: statsOf(group) });
      m.missed = null;
    }
  };
  es.addEventListener('batch', (e) => {
    const records = e.events.map((r) => [r.type, r.data, r.lastEventId]);
    remember(group, records);
    broadcast(group, { t: 'events', records, lastEventId: es.lastEventId, reconnectionTime: es.reconnectionTime, at: [group.inc, group.seq], stats: statsOf(group) });
  });
  es.addEventListener('ping', () => broadcast(group, { t: 'ping' }));
  es.addEventListener('retrying', (e) => broadcast(group, { t: 'retrying', delay: e.delay, attempt: e.attempt, reason: e.reason }));
  es.onerror = (e) => {
    broadcast(group, { t: 'error', readyState: es.readyState, kind: e.kind, status: e.status, code: e.code, message: e.message, stats: statsOf(group) });
    if (es.readyState === es.CLOSED) {
      // Failed for good: its members are CLOSED too, and leave nothing behind.
      if (groups.get(key) === group) groups.delete(key);
      for (const m of [...group.members]) {
        const mine = tabs.get(m.tab);
        if (mine) for (const entry of [...mine.entries]) if (entry.member === m) mine.entries.delete(entry);
      }
      group.members.clear();
      group.recent = [];
      group.recentBytes = 0;
    }
  };
  groups.set(key, group);
  return group;
}

// The last events of a group, for a tab that joins again (restored from the
// back/forward cache, resumed) and missed some: Chromium runs no task of
// this worker while its only tab is in the cache, so the events that came
// meanwhile are handed out after the tab has left and before it is back.
const RECENT_EVENTS = 1000;
const RECENT_BYTES = 1 << 20;

function remember(group, records) {
  for (const r of records) {
    group.recent.push(r);
    group.recentBytes += r[1].length + r[2].length;
  }
  group.seq += records.length;
  while (group.recent.length > RECENT_EVENTS || (group.recentBytes > RECENT_BYTES && group.recent.length > 1)) {
    const r = group.recent.shift();
    group.recentBytes -= r[1].length + r[2].length;
  }
}

// missed returns the events of this group after the place `at` ([inc, seq])
// a tab had reached: the recent ones it did not get (all of those still
// kept, if it was away longer). Events have no identity of their own (ids
// are optional and may repeat), so the place is the group's count.
function missed(group, at) {
  if (!Array.isArray(at) || at[0] !== group.inc) return [];
  const behind = group.seq - at[1];
  if (!(behind > 0)) return [];
  return group.recent.slice(Math.max(0, group.recent.length - behind));
}

function join(port, msg) {
  const known = tabs.get(msg.tab);
  if (known && [...known.entries].some((e) => e.member.id === msg.id)) return; // a second rejoin of the same source
  let group = groups.get(msg.key);
  // A tab that joins again (restored from the back/forward cache, resumed)
  // and finds no connection opens one from the last event ID it saw, so
  // that the server may replay what it missed; an open connection is
  // already past that point, and the tab gets the events from then on.
  if (!group) group = createGroup(msg.key, msg.url, msg.lastEventId ? { ...msg.options, lastEventId: msg.lastEventId } : msg.options, msg.fns);
  clearTimeout(group.closeTimer);
  const member = { port, id: msg.id, tab: msg.tab, fns: msg.fns };
  group.members.add(member);
  if (!tabs.has(msg.tab)) {
    const info = { entries: new Set(), locked: msg.locked, seen: performance.now(), hidden: false, port, watching: false, lockTimer: 0 };
    tabs.set(msg.tab, info);
    // A tab holds a lock for its life, where it can: when the lock is
    // released, the tab is gone. It says 'locked' once it holds it (the
    // worker must not take the lock first); should that never come (the tab
    // died at once), the worker waits on the lock after LOCK_GRACE anyway.
    // Without Web Locks, its beats say it lives.
    if (msg.locked) {
      if (lockHeld.delete(msg.tab)) watchLock(msg.tab);
      else info.lockTimer = setTimeout(() => watchLock(msg.tab), LOCK_GRACE);
    }
  }
  tabs.get(msg.tab).entries.add({ group, member });
  // A tab that joins an open connection is open at once, and gets what it
  // missed if it was here before.
  const records = missed(group, msg.at);
  if (group.es.readyState === group.es.OPEN) {
    post(member, { t: 'open', origin: group.origin, stats: statsOf(group) });
    if (records.length) post(member, { t: 'events', records, lastEventId: group.es.lastEventId, reconnectionTime: group.es.reconnectionTime, stats: statsOf(group) });
  } else if (records.length) {
    member.missed = records; // delivered right after the group's next open
  }
}

function removeMember(group, member) {
  group.members.delete(member);
  for (const [call, c] of calls) if (c.group === group && c.asked.has(member)) { c.asked.delete(member); send(call); } // the next tab serves
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
  for (const entry of [...mine.entries]) {
    if (entry.member.id === msg.id) {
      mine.entries.delete(entry);
      removeMember(entry.group, entry.member);
    }
  }
}

const LOCK_GRACE = 30000;
const lockHeld = new Set(); // tabs that said 'locked' before they joined

// watchLock waits on a tab's lock: granted, the tab is gone.
function watchLock(tab) {
  const info = tabs.get(tab);
  if (!info || info.watching) return;
  info.watching = true;
  clearTimeout(info.lockTimer);
  navigator.locks.request('sseshim-tab-' + tab, () => removeTab(tab));
}

function removeTab(tab) {
  const mine = tabs.get(tab);
  tabs.delete(tab);
  for (const ctrl of madeIn.get(tab) || []) ctrl.error(tabGone());
  madeIn.delete(tab);
  if (mine) clearTimeout(mine.lockTimer);
  if (mine) for (const { group, member } of mine.entries) removeMember(group, member);
}

// beat: a tab without Web Locks lives. One that was taken for gone (it was
// frozen, or its timers stalled) is told to join again.
function beat(port, msg) {
  const known = tabs.get(msg.tab);
  if (known) {
    known.seen = performance.now();
    known.hidden = msg.hidden;
  }
  const members = new Set(known ? [...known.entries].map((e) => e.member.id) : []);
  for (const id of msg.ids) if (!members.has(id)) post({ port, id }, { t: 'rejoin' });
}

// Every beat: tabs without Web Locks that fell silent are dropped, and every
// tab hears that this worker lives (one that stops hearing it starts anew:
// the worker runs in some tab's renderer process, which may crash).
setInterval(() => {
  const now = performance.now(); // not Date.now(): a machine's sleep is no tab's silence
  for (const [tab, info] of tabs) {
    if (!info.locked && now - info.seen > (info.hidden ? HIDDEN_SILENCE : 3 * BEAT)) {
      removeTab(tab);
      continue;
    }
    try {
      info.port.postMessage({ t: 'alive' });
    } catch {
      // a port that is gone: its tab leaves by its lock or its beats
    }
  }
}, BEAT);

function reply(msg) {
  const c = calls.get(msg.call);
  if (msg.started) { // a tab began the request of a fetch call: no other tab is asked
    if (c) clearTimeout(c.timer);
    return;
  }
  if (!c) { // answered already, by another tab, or aborted: a response's body is nobody's
    const body = msg.value && msg.value.body;
    if (body instanceof ReadableStream) body.cancel().catch(() => {});
    return;
  }
  calls.delete(msg.call);
  clearTimeout(c.timer);
  // Another tab asked meanwhile may be making the same request: not wanted.
  if (c.fn === 'fetch') for (const m of c.asked) if (m.tab !== msg.tab) post(m, { t: 'abortCall', call: msg.call });
  if ('error' in msg) c.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
  else c.resolve(c.fn === 'fetch' ? { ...msg.value, tab: msg.tab } : msg.value); // a fetch's body is the tab's (bodyFrom)
}

self.onconnect = (e) => {
  const port = e.ports[0];
  port.onmessage = (m) => {
    const msg = m.data;
    const from = msg.tab && tabs.get(msg.tab);
    if (from) from.seen = performance.now(); // any word from a tab says it lives
    if (msg.t === 'join') join(port, msg);
    else if (msg.t === 'leave') leave(msg);
    else if (msg.t === 'reply') reply(msg);
    else if (msg.t === 'beat') beat(port, msg);
    else if (msg.t === 'locked') {
      if (tabs.has(msg.tab)) watchLock(msg.tab);
      else {
        lockHeld.add(msg.tab);
        setTimeout(() => lockHeld.delete(msg.tab), LOCK_GRACE); // it never joined
      }
    }
  };
  port.start();
};
