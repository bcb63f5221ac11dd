// The JavaScript half of the bridge protocol between the shim and the Go
// engine. The names and constants both sides must agree on are generated
// from their one list in Go (wasm/internal/protocol) into protocol.gen.js;
// what is the shim's alone is here.

import { STATS } from './protocol.gen.js';

export { GLOBAL, HANDSHAKE, CALL, OPEN_ARG, RESULT, CALLBACK, RECORD, SEPARATOR, FEED, KIND } from './protocol.gen.js';

// readyState values (#dom-eventsource-readystate); the engine's error
// callback reports the state it leaves the source in with them.
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

// The keys of a source's stats, with what they read before the engine has
// said anything. The engine's stats add readyState and reconnectionTime;
// the shim adds shared and tabs, and notShared where a share was asked for
// and refused.
export const STATS_DEFAULTS = Object.freeze({ ...STATS, shared: false, tabs: 1 });
