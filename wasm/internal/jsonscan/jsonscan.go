// Package jsonscan reads the few things the engine needs from JSON text —
// whether it is valid, the raw text of a member, a string or an integer —
// without encoding/json, which would weigh heavily in the wasm binary. It
// follows RFC 8259 and never allocates except to unescape strings.
package jsonscan

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 512

// Valid reports whether b is exactly one JSON value, with optional white space
// around it.
func Valid(b []byte) bool {
	i, ok := value(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// Scan reports whether b is exactly one JSON value, like Valid, and in the
// same pass, when b is an object, sets out[i] to the raw text of its member
// keys[i] (nil when absent; the last one when a key repeats). One pass instead
// of a validation and then a search per key.
func Scan(b []byte, keys []string, out [][]byte) bool {
	clear(out)
	i := skipSpace(b, 0)
	var end int
	var ok bool
	if i < len(b) && b[i] == '{' {
		end, ok = object(b, i, 0, keys, out)
	} else {
		end, ok = value(b, i, 0)
	}
	if !ok || skipSpace(b, end) != len(b) {
		clear(out)
		return false
	}
	return true
}

// object scans the object at b[i] and returns the index just past it,
// setting out[k] to the raw value of each member named keys[k].
func object(b []byte, i, depth int, keys []string, out [][]byte) (int, bool) {
	if depth >= maxDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, ok := str(b, i)
		if !ok {
			return i, false
		}
		name := b[i:end]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		start := skipSpace(b, i+1)
		vend, ok := value(b, start, depth+1)
		if !ok {
			return vend, false
		}
		for k, key := range keys {
			if nameIs(name, key) {
				out[k] = b[start:vend]
			}
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// Path returns the raw text of the value at the given member names, descending
// through nested objects: Path(b, "result", "event"). b must be valid JSON.
func Path(b []byte, keys ...string) ([]byte, bool) {
	for _, k := range keys {
		var ok bool
		if b, ok = Member(b, k); !ok {
			return nil, false
		}
	}
	return b, true
}

// Member returns the raw text of the member named key in the object b (the
// last one when the key repeats, as JavaScript's JSON.parse does). b must be
// valid JSON; anything but an object has no members.
func Member(b []byte, key string) ([]byte, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var out [1][]byte
	if _, ok := object(b, i, 0, []string{key}, out[:]); !ok {
		return nil, false
	}
	return out[0], out[0] != nil
}

// nameIs compares a raw JSON string token with key, unescaping only when the
// token has escapes.
func nameIs(tok []byte, key string) bool {
	if len(tok) == len(key)+2 && string(tok[1:len(tok)-1]) == key {
		return true
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return false // no escapes: the bytes compare was the whole answer
	}
	s, ok := String(tok)
	return ok && s == key
}

// String decodes a raw JSON string token ("..." with escapes).
func String(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	body := tok[1 : len(tok)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), true // no escapes: the text is the value
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(body) {
			return "", false
		}
		switch c = body[i]; c {
		case '"', '\\', '/':
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r, ok := hex4(body, i+1)
			if !ok {
				return "", false
			}
			i += 4
			// A pair of surrogates is two escapes.
			if utf16.IsSurrogate(r) && i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				if r2, ok := hex4(body, i+3); ok {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
			}
			out = utf8.AppendRune(out, r) // a lone surrogate becomes U+FFFD
			continue
		default:
			return "", false
		}
		out = append(out, c)
	}
	return string(out), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// Int32 decodes a raw JSON number that is an integer from math.MinInt32 to
// math.MaxInt32, in any of JSON's notations (401, 401.0, 4.01e2). A number
// with a fraction is not one, however small the fraction. Read on the
// decimal digits: strconv.ParseFloat would grow the wasm binary for this.
func Int32(tok []byte) (int32, bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	// The value is digits × 10^exp (RFC 8259 §6 grammar). The integer and
	// fraction digits are read as one run, without a copy: n takes its
	// significant digits (from the first non-zero one, the zeros that end
	// the run held apart), while there are few enough for an int32.
	var n int64
	sig, zeros := 0, 0       // significant digits so far; zeros after the last of them
	intLen, fracLen := 0, -1 // digits before the point, and after it (-1: no point)
	i := 0
	for ; i < len(tok); i++ {
		c := tok[i]
		if c == '.' && fracLen < 0 && intLen > 0 {
			fracLen = 0
			continue
		}
		if !isDigit(c) {
			break
		}
		if fracLen < 0 {
			intLen++
		} else {
			fracLen++
		}
		if c == '0' {
			if sig > 0 {
				zeros++
			}
			continue
		}
		if sig += zeros + 1; sig <= 10 {
			for ; zeros > 0; zeros-- {
				n *= 10
			}
			n = n*10 + int64(c-'0')
		}
		zeros = 0
	}
	if intLen == 0 || (tok[0] == '0' && intLen > 1) || fracLen == 0 {
		return 0, false
	}
	exp := zeros - max(fracLen, 0)
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		sign := 1
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			if tok[i] == '-' {
				sign = -1
			}
			i++
		}
		start, e := i, 0
		for ; i < len(tok) && isDigit(tok[i]); i++ {
			e = min(e*10+int(tok[i]-'0'), 1e9) // saturated: far beyond any int32 either way
		}
		if i == start {
			return 0, false
		}
		exp += sign * e
	}
	if i != len(tok) {
		return 0, false
	}
	if sig == 0 {
		return 0, true
	}
	if exp < 0 || sig+exp > 10 {
		return 0, false // a fraction, or 10^10 or more
	}
	for ; exp > 0; exp-- {
		n *= 10
	}
	if neg {
		n = -n
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, false
	}
	return int32(n), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value starting at b[i] and returns the index just past it.
func value(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		return object(b, i, depth, nil, nil)
	case c == '[':
		return array(b, i, depth)
	case c == '"':
		return str(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return i, false
}

// array scans the array at b[i] and returns the index just past it.
func array(b []byte, i, depth int) (int, bool) {
	if depth >= maxDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = value(b, i, depth+1); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str scans a string token and returns the index past its closing quote.
func str(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := hex4(b, i+1); !ok {
					return i, false
				}
				i += 4
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		}
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

func number(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
