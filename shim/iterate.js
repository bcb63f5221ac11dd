// Async iteration of a source's events: for await (const e of source), or
// source.events({types, preventClose, highWaterMark}). An iterator hears
// its types from the moment it is made; what arrives while the loop body
// is busy waits in order in its buffer, up to highWaterMark events, past
// which the source closes and the iterator throws (kind 'overflow'):
// nothing is lost without saying so, and memory stays bounded.

import { SseshimError } from './errors.js';

export const ITERATE_DEFAULTS = Object.freeze({ preventClose: false, highWaterMark: 10000 });
const OPTIONS = ['types', 'preventClose', 'highWaterMark'];

function bad(what) {
  throw new TypeError(`sseshim: events() option ${what}`);
}

// iterateOptions checks events()'s argument and fills in the defaults;
// types defaults to what the source dispatches its events as.
function iterateOptions(options, defaultTypes) {
  if (options === undefined || options === null) options = {};
  else if (typeof options !== 'object') throw new TypeError('sseshim: events() takes an object: { types, preventClose, highWaterMark }');
  for (const k of Object.keys(options)) if (!OPTIONS.includes(k)) bad(`${k} is unknown (known: ${OPTIONS.join(', ')})`);
  const { types = defaultTypes, preventClose = ITERATE_DEFAULTS.preventClose, highWaterMark = ITERATE_DEFAULTS.highWaterMark } = options;
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) bad('types must be an array of strings');
  if (typeof preventClose !== 'boolean') bad('preventClose must be a boolean');
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) bad('highWaterMark must be an integer of at least 1');
  return { types: [...new Set(types)], preventClose, highWaterMark };
}

// createIterator makes one iterator over source. The source tells it how
// the source ended (the `ended` hook it registers): CLOSED_BY_PAGE, or the
// init of the error event that left it CLOSED; ending() says how it has
// already ended (undefined while it has not). stream: a
// fromReadableStream() source, whose stream's clean end (kind 'end') is
// the iteration's end, not a failure.
export const CLOSED_BY_PAGE = 'closed';
export function createIterator(source, options, { defaultTypes, stream, register, ending }) {
  const { types, preventClose, highWaterMark } = iterateOptions(options, defaultTypes);
  const buffer = [];
  const pending = []; // {resolve, reject} of next() calls waiting for an event
  let end = null; // what comes once the buffer is empty: {done} or {error}
  let finished = false; // listeners removed, the source no longer heard

  const finish = () => {
    if (finished) return;
    finished = true;
    for (const t of types) source.removeEventListener(t, onEvent);
    unregister();
  };
  // settle hands the end to the waiting next() calls: they wait only
  // when the buffer is empty.
  const settle = () => {
    while (pending.length) {
      const p = pending.shift();
      if (end.error) {
        p.reject(end.error);
        end = { done: true }; // an error is thrown once; then the iterator is done
      } else p.resolve({ value: undefined, done: true });
    }
  };
  const onEvent = (e) => {
    if (end) return;
    if (pending.length) {
      pending.shift().resolve({ value: e, done: false });
      return;
    }
    if (buffer.length >= highWaterMark) {
      // The events buffered are still delivered, then the error: the loop
      // knows the last event it saw, and from its id where to resume.
      end = { error: new SseshimError(`sseshim: more than ${highWaterMark} events waited for the loop ` +
        '(highWaterMark): the source is closed; make the loop body faster or raise highWaterMark', { kind: 'overflow' }) };
      finish();
      source.close();
      return;
    }
    buffer.push(e);
  };
  // ended: the page closed the source: what is buffered is dropped, as
  // close() stops events at once; or it failed for good (init: the error
  // event's): the buffered events come first, then the error.
  const ended = (init) => {
    if (end) return;
    finish();
    if (init === CLOSED_BY_PAGE) {
      buffer.length = 0;
      end = { done: true };
    } else if (stream && init.kind === 'end') {
      end = { done: true };
    } else {
      end = { error: new SseshimError(init.message ? 'sseshim: ' + init.message.replace(/^sseshim: /, '') : `sseshim: the source failed (${init.kind})`, init) };
    }
    if (!buffer.length) settle();
  };
  const unregister = register(ended);
  for (const t of types) source.addEventListener(t, onEvent);
  const already = ending();
  if (already !== undefined) ended(already);

  const iterator = {
    next() {
      if (buffer.length) return Promise.resolve({ value: buffer.shift(), done: false });
      if (!end) return new Promise((resolve, reject) => pending.push({ resolve, reject }));
      const { error } = end;
      end = { done: true };
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    },
    // return: the loop was left (break, return, a throw): the source
    // closes unless preventClose; the iterator is done either way.
    return(value) {
      buffer.length = 0;
      if (!end) {
        end = { done: true };
        finish();
        if (!preventClose) source.close();
      }
      end = { done: true };
      settle();
      return Promise.resolve({ value, done: true });
    },
    [Symbol.asyncIterator]() { return this; },
  };
  return iterator;
}
