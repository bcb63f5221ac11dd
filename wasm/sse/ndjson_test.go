package sse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeLines(chunks [][]byte, max int) ([]string, error) {
	d := LineDecoder{MaxLineSize: max}
	var got []string
	emit := func(l []byte) { got = append(got, string(l)) }
	for _, c := range chunks {
		if err := d.Decode(c, emit); err != nil {
			return got, err
		}
	}
	d.End(emit)
	return got, nil
}

func TestLineDecoder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"lines", "{\"a\":1}\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"CRLF tolerated", "{\"a\":1}\r\n{\"b\":2}\r\n", []string{`{"a":1}`, `{"b":2}`}},
		{"blank lines skipped", "\n\r\n  \n{\"a\":1}\n\t\n", []string{`{"a":1}`}},
		{"final line without LF kept", "1\n2", []string{"1", "2"}},
		{"empty", "", nil},
		{"lone CR is not a line end", "1\r2\n", []string{"1\r2"}},
	}
	for _, tc := range cases {
		for _, chunks := range splits(tc.in) {
			got, err := decodeLines(chunks, 0)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, "%s: %q", tc.name, chunks)
		}
	}
}

func TestLineDecoderCap(t *testing.T) {
	t.Parallel()
	in := "{\"ok\":1}\n" + strings.Repeat("x", 50) + "\n{\"after\":1}\n"
	for _, chunks := range splits(in) {
		got, err := decodeLines(chunks, 20)
		require.ErrorIs(t, err, ErrTooLarge)
		require.Equal(t, []string{`{"ok":1}`}, got)
	}
	var d LineDecoder
	d.MaxLineSize = 4
	require.Error(t, d.Decode([]byte("12345"), func([]byte) {}))
	require.ErrorIs(t, d.Err(), ErrTooLarge)
	d.Reset()
	assert.NoError(t, d.Decode([]byte("1\n"), func([]byte) {}))
}
