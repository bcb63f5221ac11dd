// Where the engine's files are, as configure() sets them.

import { baseURL } from './options.js';

// createEngineConfig holds where the engine's files are, as configure() sets
// them. The entry point takes the locations once (take()), in a microtask
// right after the build's code has run; a configure() after that could not
// change anything, so it throws. howElse ends the error message.
export function createEngineConfig(howElse) {
  let set = {};
  let taken = false;

  function url(v, key) {
    if (typeof v !== 'string' && !(typeof URL !== 'undefined' && v instanceof URL)) {
      throw new TypeError(`sseshim: configure(): ${key} must be a string or a URL, not ${v === null ? 'null' : typeof v}`);
    }
    if (String(v) === '') throw new TypeError(`sseshim: configure(): ${key} must not be empty`);
    try {
      return new URL(String(v), baseURL()).href;
    } catch {
      throw new TypeError(`sseshim: configure(): ${key} ${JSON.stringify(String(v))} is not a valid URL`);
    }
  }

  // configure({wasmURL, wasmExecURL, shareURL}): relative URLs resolve
  // against the page. A later call replaces an earlier one.
  const KNOWN = ['wasmURL', 'wasmExecURL', 'shareURL'];
  function configure(options) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`sseshim: configure() takes an object: { ${KNOWN.join(', ')} }`);
    }
    for (const k of Object.keys(options)) {
      if (!KNOWN.includes(k)) {
        throw new TypeError(`sseshim: configure(): unknown option ${JSON.stringify(k)} (known: ${KNOWN.join(', ')})`);
      }
    }
    const next = {};
    for (const k of KNOWN) if (options[k] !== undefined) next[k] = url(options[k], k);
    if (taken) {
      throw new Error('sseshim: configure() was called too late: where the engine is was settled as soon as ' +
        'the code that loaded sseshim had finished running; call it at the top level of the module that ' +
        'imports sseshim (or in the same script), before any await or callback' + howElse);
    }
    set = next;
  }

  return { configure, take: () => { taken = true; return set; } };
}
