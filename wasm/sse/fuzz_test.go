package sse

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse/ssetest"
)

// FuzzDecode checks that decoding never panics and that the way the input is
// split into chunks never changes the result.
func FuzzDecode(f *testing.F) {
	for _, tc := range ssetest.Cases {
		f.Add([]byte(tc.In), uint16(1), uint16(3))
	}
	f.Add([]byte("data: a\r"), uint16(8), uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		whole := decodeChunks([][]byte{in}, 256)
		a := int(cut1) % (len(in) + 1)
		b := int(cut2) % (len(in) + 1)
		if a > b {
			a, b = b, a
		}
		split := decodeChunks([][]byte{in[:a], in[a:b], in[b:]}, 256)
		require.Equal(t, whole.events, split.events)
		require.Equal(t, whole.lastID, split.lastID)
		require.Equal(t, whole.err == nil, split.err == nil)
		for _, e := range whole.events {
			require.True(t, utf8.ValidString(e.Data) && utf8.ValidString(e.Type) && utf8.ValidString(e.ID))
		}
	})
}

// FuzzRoundTrip checks that decode(encode(m)) gives m back, with line ends in
// the data normalised to LF (the only change the format imposes).
func FuzzRoundTrip(f *testing.F) {
	f.Add("1", "update", "hello\nworld", uint16(0))
	f.Add("", "", "", uint16(3))
	f.Add("x", "", "a\r\nb\rc", uint16(5))
	f.Fuzz(func(t *testing.T, id, typ, data string, retry uint16) {
		if !utf8.ValidString(id) || !utf8.ValidString(typ) || !utf8.ValidString(data) {
			return
		}
		m := Message{ID: id, Type: typ, Data: data, Retry: int(retry)}
		wire, err := AppendMessage(nil, m)
		if strings.ContainsAny(id, "\r\n\x00") || strings.ContainsAny(typ, "\r\n\x00") {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		r := decodeChunks([][]byte{wire}, -1)
		require.NoError(t, r.err)
		require.Len(t, r.events, 1)
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(data)
		wantType := typ
		if wantType == "" {
			wantType = "message"
		}
		// A value starting with a space keeps it: the encoder writes "data: ".
		require.Equal(t, Event{Type: wantType, Data: want, ID: id}, r.events[0])
		if retry > 0 {
			require.Equal(t, int64(retry), r.retry.Milliseconds())
		}
	})
}

// FuzzLineDecoder checks the NDJSON splitter for panics and chunking invariance.
func FuzzLineDecoder(f *testing.F) {
	f.Add([]byte("{\"a\":1}\r\n\n2\n3"), uint16(4))
	f.Add([]byte(" \t\r\r\n x\r\r\n\r\n\t"), uint16(2))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		whole, err1 := decodeLines([][]byte{in}, 64)
		a := int(cut) % (len(in) + 1)
		split, err2 := decodeLines([][]byte{in[:a], in[a:]}, 64)
		require.Equal(t, whole, split)
		require.Equal(t, err1 == nil, err2 == nil)
		if err1 == nil {
			// The lines are the LF-separated ones, less their final CRs,
			// without those of only SP, HTAB and CR.
			var want []string
			for _, l := range bytes.Split(in, []byte("\n")) {
				l = bytes.TrimRight(l, "\r")
				if len(bytes.TrimLeft(l, " \t\r")) > 0 {
					want = append(want, string(l))
				}
			}
			require.Equal(t, want, whole, "%q", in)
		}
	})
}

// whatwgDecode is the Encoding standard's UTF-8 decoder (#utf-8-decoder)
// written as the standard states it, one byte at a time with its "bytes
// needed" and boundary state: the oracle for ToValidUTF8.
func whatwgDecode(in []byte) string {
	var out []rune
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(in); {
		b := in[i]
		if needed == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				needed, cp = 1, rune(b&0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(b&0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(b&0x7)
			default:
				out = append(out, utf8.RuneError)
			}
			i++
			continue
		}
		if b < lower || b > upper {
			// The byte is "prepended to the stream": read again.
			cp, needed, seen, lower, upper = 0, 0, 0, 0x80, 0xBF
			out = append(out, utf8.RuneError)
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(b&0x3F)
		seen++
		i++
		if seen == needed {
			out = append(out, cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out = append(out, utf8.RuneError)
	}
	return string(out)
}

// FuzzToValidUTF8 checks the repair against the standard's decoder.
func FuzzToValidUTF8(f *testing.F) {
	for _, s := range []string{"abc", "\xff", "\xE2\x82", "\xF0\x90\x80", "\xF0\x80\x80\x80", "\xED\xA0\x80",
		"\xF4\x90\x80\x80", "\xE0\xA0\x80", "a\xC2", "\xC2\xC2\xA9", "héllo wörld — 温度 😀 0123456789", "\x80\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want := whatwgDecode(in)
		require.Equal(t, want, string(ToValidUTF8(in)), "%q", in)
		require.Equal(t, want, string(appendValid(nil, in)), "%q: the repair of valid text is a copy", in)
	})
}
