// The events an EventSource fires beside the spec's own (error, retrying,
// batch), and the message event (#dispatchMessage).

import { PARSED, UNPARSED, parsedJSON } from './json.js';

// SseshimErrorEvent is the error event, with why it fired: kind (one of
// protocol.js KINDS), and status, code and message when known.
class SseshimErrorEvent extends Event {
  #kind;
  #status;
  #code;
  #message;
  constructor(type, init = {}) {
    super(type, init);
    this.#kind = init.kind;
    this.#status = init.status || undefined;
    this.#code = init.code || undefined;
    this.#message = init.message || '';
  }
  get kind() { return this.#kind; }
  get status() { return this.#status; }
  get code() { return this.#code; }
  get message() { return this.#message; }
}

// RetryingEvent fires after an error that will reconnect: the delay in
// milliseconds and the number of the attempt it waits for.
class RetryingEvent extends Event {
  #delay;
  #attempt;
  #reason;
  constructor(type, init = {}) {
    super(type, init);
    this.#delay = init.delay ?? 0;
    this.#attempt = init.attempt ?? 0;
    this.#reason = init.reason || undefined;
  }
  get delay() { return this.#delay; }
  get attempt() { return this.#attempt; }
  // Why the page's lifecycle replaced the connection (online, wake,
  // visible, restored); undefined for an ordinary reconnect.
  get reason() { return this.#reason; }
}

// BatchEvent carries the events of one delivery in batch mode, in order,
// as plain records: no DOM event per event.
class BatchEvent extends Event {
  #events;
  constructor(type, init = {}) {
    super(type, init);
    this.#events = init.events || [];
  }
  get events() { return this.#events; }
}

// BatchRecord is one event of a batch; with json on, JSONRecord adds a
// lazy json property, parsed on first use.
class BatchRecord {
  constructor(type, data, lastEventId) {
    this.type = type;
    this.data = data;
    this.lastEventId = lastEventId;
  }
}
class JSONRecord extends BatchRecord {
  constructor(type, data, lastEventId) {
    super(type, data, lastEventId);
    this[PARSED] = UNPARSED;
  }
  get json() { return parsedJSON(this); }
}

// SseshimMessageEvent is the message event (#dispatchMessage): a
// MessageEvent (instanceof, its toString tag, source null, ports empty)
// whose data, origin and lastEventId are its own fields, which is cheaper
// than a MessageEvent the browser initialises from a dictionary.
class SseshimMessageEvent extends MessageEvent {
  #data;
  #origin;
  #lastEventId;
  constructor(type, data, origin, lastEventId) {
    super(type);
    this.#data = data;
    this.#origin = origin;
    this.#lastEventId = lastEventId;
  }
  get data() { return this.#data; }
  get origin() { return this.#origin; }
  get lastEventId() { return this.#lastEventId; }
}
// With json on: a lazy json property, parsed on first use.
class JSONMessageEvent extends SseshimMessageEvent {
  constructor(type, data, origin, lastEventId) {
    super(type, data, origin, lastEventId);
    this[PARSED] = UNPARSED;
  }
  get json() { return parsedJSON(this); }
}

// The spec creates the message event in the realm of the EventSource as a
// MessageEvent (#dispatchMessage): its constructor is that realm's
// MessageEvent, whatever subclass carries its fields (WPT
// eventsource/eventsource-onmessage-realm.htm).
for (const C of [SseshimMessageEvent, JSONMessageEvent]) {
  Object.defineProperty(C.prototype, 'constructor', { value: MessageEvent, writable: true, configurable: true });
}

export { SseshimErrorEvent, RetryingEvent, BatchEvent, BatchRecord, JSONRecord, SseshimMessageEvent, JSONMessageEvent };
