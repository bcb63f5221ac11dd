// The json property of message events and batch records (the json option):
// the data parsed as JSON, with JSON nested inside JSON strings decoded too.

// parseNested parses JSON text, then also every string inside it that holds
// a JSON object or array (Losant's "message"), to a bounded depth. It
// returns undefined for invalid JSON and never throws.
function parseNested(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return unwrap(v, 0);
}

// looksLikeJSON: the first character after white space opens an object or
// an array (a string holding "123" stays a string).
function looksLikeJSON(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) return true; // { [
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

function unwrap(v, depth) {
  if (typeof v === 'string') {
    if (depth > 8 || !looksLikeJSON(v)) return v;
    try {
      return unwrap(JSON.parse(v), depth + 1);
    } catch {
      return v;
    }
  }
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'string' || (x !== null && typeof x === 'object')) v[i] = unwrap(x, depth + 1);
    }
  } else {
    for (const k in v) {
      const x = v[k];
      if (typeof x === 'string' || (x !== null && typeof x === 'object')) v[k] = unwrap(x, depth + 1);
    }
  }
  return v;
}

// parsedJSON is the json property of a message event or batch record:
// parsed on first use, then kept.
export const PARSED = Symbol('parsed');
export const UNPARSED = {};
export function parsedJSON(o) {
  if (o[PARSED] === UNPARSED) o[PARSED] = parseNested(o.data);
  return o[PARSED];
}
