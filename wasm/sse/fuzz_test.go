package sse

import (
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
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		whole, err1 := decodeLines([][]byte{in}, 64)
		a := int(cut) % (len(in) + 1)
		split, err2 := decodeLines([][]byte{in[:a], in[a:]}, 64)
		require.Equal(t, whole, split)
		require.Equal(t, err1 == nil, err2 == nil)
	})
}
