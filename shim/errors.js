// SseshimError is what a promise of sseshim rejects with when a source
// fails: an Error with kind (protocol.js KINDS, or 'overflow' when an
// iterator's buffer filled up), and status and code where known. The
// error event (events.js SseshimErrorEvent) carries the same fields.

export class SseshimError extends Error {
  constructor(message, { kind, status, code } = {}) {
    super(message);
    this.name = 'SseshimError';
    this.kind = kind;
    this.status = status || undefined;
    this.code = code || undefined;
  }
}
