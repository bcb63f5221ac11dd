package sse

import "unicode/utf8"

// appendValid appends src to dst, replacing every invalid UTF-8 sequence with
// U+FFFD exactly as the WHATWG Encoding standard's UTF-8 decoder does: one
// replacement character per maximal subpart of an ill-formed sequence. This is
// what the browser's EventSource does (#parsing-an-event-stream, "decode"), and it differs
// from unicode/utf8, which replaces byte by byte.
func appendValid(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		b := src[i]
		if b < utf8.RuneSelf {
			dst = append(dst, b)
			i++
			continue
		}
		need := 0
		lower, upper := byte(0x80), byte(0xBF)
		switch {
		case b >= 0xC2 && b <= 0xDF:
			need = 1
		case b >= 0xE0 && b <= 0xEF:
			need = 2
			if b == 0xE0 {
				lower = 0xA0
			} else if b == 0xED {
				upper = 0x9F
			}
		case b >= 0xF0 && b <= 0xF4:
			need = 3
			if b == 0xF0 {
				lower = 0x90
			} else if b == 0xF4 {
				upper = 0x8F
			}
		default:
			dst = append(dst, "\uFFFD"...)
			i++
			continue
		}
		j := i + 1
		ok := true
		for k := 0; k < need; k++ {
			if j >= len(src) || src[j] < lower || src[j] > upper {
				ok = false
				break
			}
			lower, upper = 0x80, 0xBF
			j++
		}
		if !ok {
			// The offending byte (src[j]) is not consumed: it starts the next
			// sequence, as the decoder "prepends" it to the stream.
			dst = append(dst, "\uFFFD"...)
			i = j
			continue
		}
		dst = append(dst, src[i:j]...)
		i = j
	}
	return dst
}

// ToValidUTF8 returns b decoded as the browser decodes an event stream: every
// ill-formed sequence becomes U+FFFD. It returns b itself when b is valid.
func ToValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return appendValid(make([]byte, 0, len(b)+8), b)
}
