package sse

import "unicode/utf8"

// The event stream is decoded as the WHATWG Encoding standard's UTF-8
// decoder does (#parsing-an-event-stream, "decode"): one U+FFFD per maximal
// subpart of an ill-formed sequence, as the browser's EventSource does. This
// differs from unicode/utf8, which replaces byte by byte.

// sequence returns the length of the multi-byte sequence at b[i] (not
// ASCII) and whether it is well-formed. When it is not, the
// length is that of its maximal subpart, at least one byte: what one U+FFFD
// replaces. The byte that breaks the sequence is not part of it: it starts
// the next one, as the decoder "prepends" it to the stream.
func sequence(b []byte, i int) (int, bool) {
	lead := b[i]
	var need int
	lower, upper := byte(0x80), byte(0xBF)
	switch {
	case lead < 0xC2 || lead > 0xF4:
		// A continuation byte, an overlong two-byte lead, or past U+10FFFF.
		return 1, false
	case lead <= 0xDF:
		need = 1
	case lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lower = 0xA0 // overlong
		} else if lead == 0xED {
			upper = 0x9F // a surrogate
		}
	default:
		need = 3
		if lead == 0xF0 {
			lower = 0x90 // overlong
		} else if lead == 0xF4 {
			upper = 0x8F // past U+10FFFF
		}
	}
	n := 1
	for ; n <= need; n++ {
		if i+n >= len(b) || b[i+n] < lower || b[i+n] > upper {
			return n, false
		}
		lower, upper = 0x80, 0xBF
	}
	return n, true
}

// appendValid appends src to dst with every ill-formed sequence replaced.
// Well-formed runs are copied whole.
func appendValid(dst, src []byte) []byte {
	run := 0 // where the well-formed run being read started
	for i := 0; i < len(src); {
		for i < len(src) && src[i] < utf8.RuneSelf {
			i++
		}
		if i == len(src) {
			break
		}
		n, ok := sequence(src, i)
		if !ok {
			dst = append(dst, src[run:i]...)
			dst = append(dst, "\uFFFD"...)
			run = i + n
		}
		i += n
	}
	return append(dst, src[run:]...)
}

// ToValidUTF8 returns b decoded as the browser decodes an event stream: every
// ill-formed sequence becomes U+FFFD. It returns b itself when b is valid.
func ToValidUTF8(b []byte) []byte {
	if utf8.Valid(b) { // well-formed text, the common case, checked fast
		return b
	}
	return appendValid(make([]byte, 0, len(b)+8), b)
}
