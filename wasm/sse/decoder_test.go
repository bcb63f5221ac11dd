package sse

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse/ssetest"
)

type result struct {
	events  []Event
	lastID  string
	retry   time.Duration
	retried bool
	err     error
}

// decodeChunks runs the decoder over chunks and then ends the stream.
func decodeChunks(chunks [][]byte, max int) result {
	d := Decoder{MaxEventSize: max}
	var r result
	emit := func(e Event) { r.events = append(r.events, e) }
	for _, c := range chunks {
		if err := d.Decode(c, emit); err != nil {
			r.err = err
			break
		}
		if rt, ok := d.Retry(); ok {
			r.retry, r.retried = rt, true
		}
	}
	r.lastID = d.LastEventID()
	d.Reset()
	return r
}

func ev(typ, data, id string) Event { return Event{Type: typ, Data: data, ID: id} }

// splits returns the ways to cut s that the tests try: whole, at every byte
// position into two chunks, into three chunks around every position, and one
// byte at a time.
func splits(s string) [][][]byte {
	b := []byte(s)
	out := [][][]byte{{b}}
	for i := 0; i <= len(b); i++ {
		out = append(out, [][]byte{b[:i], b[i:]})
		if i > 0 && i < len(b) {
			out = append(out, [][]byte{b[:i-1], b[i-1 : i+1], b[i+1:]})
		}
	}
	var bytewise [][]byte
	for i := range b {
		bytewise = append(bytewise, b[i:i+1])
	}
	return append(out, bytewise)
}

func TestDecodeCases(t *testing.T) {
	t.Parallel()
	for _, tc := range ssetest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var want []Event
			for _, e := range tc.Want {
				want = append(want, Event{Type: e.Type, Data: e.Data, ID: e.ID})
			}
			for _, chunks := range splits(tc.In) {
				r := decodeChunks(chunks, 0)
				require.NoError(t, r.err)
				require.Equal(t, want, r.events, "chunks %q", chunks)
				require.Equal(t, tc.LastID, r.lastID, "chunks %q", chunks)
				require.Equal(t, tc.RetrySet, r.retried, "chunks %q", chunks)
				require.Equal(t, tc.Retry, r.retry)
			}
		})
	}
}

func TestResetKeepsLastEventID(t *testing.T) {
	t.Parallel()
	var d Decoder
	var got []Event
	emit := func(e Event) { got = append(got, e) }
	require.NoError(t, d.Decode([]byte("id: 5\ndata: a\n\nid: 6\ndata: partial"), emit))
	d.Reset()
	require.Equal(t, "5", d.LastEventID())
	// A new stream: an event without an id field carries the kept id.
	require.NoError(t, d.Decode([]byte("data: b\n\n"), emit))
	assert.Equal(t, []Event{ev("message", "a", "5"), ev("message", "b", "5")}, got)
}

func TestSetLastEventID(t *testing.T) {
	t.Parallel()
	var d Decoder
	d.SetLastEventID("42")
	var got []Event
	require.NoError(t, d.Decode([]byte("data: x\n\n"), func(e Event) { got = append(got, e) }))
	assert.Equal(t, []Event{ev("message", "x", "42")}, got)
}

func TestEventTooLarge(t *testing.T) {
	t.Parallel()
	in := "data: ok\n\n" + "data: " + strings.Repeat("x", 100) + "\n\ndata: after\n\n"
	for _, chunks := range splits(in) {
		r := decodeChunks(chunks, 64)
		require.Error(t, r.err)
		assert.True(t, errors.Is(r.err, ErrTooLarge))
		var le *LimitError
		require.ErrorAs(t, r.err, &le)
		assert.Equal(t, 64, le.Limit)
		// The event completed before the oversized one is never lost.
		require.Equal(t, []Event{ev("message", "ok", "")}, r.events)
	}
}

func TestEventTooLargeManyLines(t *testing.T) {
	t.Parallel()
	// Many small data lines must hit the cap too, not only one long line.
	in := strings.Repeat("data: 0123456789\n", 20)
	r := decodeChunks([][]byte{[]byte(in)}, 100)
	assert.ErrorIs(t, r.err, ErrTooLarge)
	r = decodeChunks([][]byte{[]byte("event: " + strings.Repeat("e", 200) + "\n")}, 100)
	assert.ErrorIs(t, r.err, ErrTooLarge)
}

func TestErrorIsSticky(t *testing.T) {
	t.Parallel()
	d := Decoder{MaxEventSize: 8}
	emit := func(Event) { t.Fatal("nothing should be emitted") }
	err := d.Decode([]byte("data: 0123456789\n\n"), emit)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, d.Decode([]byte("data: x\n\n"), emit), ErrTooLarge)
	assert.Contains(t, err.Error(), "8 bytes")
	d.Reset()
	require.NoError(t, d.Decode([]byte("data: x\n\n"), func(Event) {}))
}

func TestHugeCommentIsNotBuffered(t *testing.T) {
	t.Parallel()
	d := Decoder{MaxEventSize: 16}
	var got []Event
	emit := func(e Event) { got = append(got, e) }
	require.NoError(t, d.Decode([]byte(":"), emit))
	for i := 0; i < 100; i++ {
		require.NoError(t, d.Decode([]byte(strings.Repeat("c", 1000)), emit))
	}
	require.NoError(t, d.Decode([]byte("\r\ndata: x\n\n"), emit))
	assert.Equal(t, []Event{ev("message", "x", "")}, got)
}

func TestNoCap(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("y", DefaultMaxEventSize+10)
	r := decodeChunks([][]byte{[]byte("data: " + big + "\n\n")}, -1)
	require.NoError(t, r.err)
	require.Len(t, r.events, 1)
	assert.Equal(t, len(big), len(r.events[0].Data))
	r = decodeChunks([][]byte{[]byte("data: " + big + "\n\n")}, 0)
	assert.ErrorIs(t, r.err, ErrTooLarge)
}

func TestToValidUTF8(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"abc":              "abc",
		"\xff":             "\uFFFD",
		"\xE2\x82":         "\uFFFD",
		"\xF0\x90\x80":     "\uFFFD",
		"\xF0\x80\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xF4\x90\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xE0\x80\x80":     "\uFFFD\uFFFD\uFFFD",
		"\xE0\xA0\x80":     "\u0800",
		"a\xC2":            "a\uFFFD",
		"\xC2\xC2\xA9":     "\uFFFD\u00A9",
		"\xF5":             "\uFFFD",
		"\x80\x80":         "\uFFFD\uFFFD",
	}
	for in, want := range cases {
		assert.Equal(t, want, string(ToValidUTF8([]byte(in))), "%q", in)
	}
}

// TestBorrowGivesTheSameEvents decodes every case with Borrow, turning the
// borrowed data into text as a WHATWG decoder would, and expects exactly the
// events of the copying decoder.
func TestBorrowGivesTheSameEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range ssetest.Cases {
		for _, chunks := range splits(tc.In) {
			want := decodeChunks(chunks, 0)
			d := Decoder{Borrow: true}
			var got []Event
			for _, c := range chunks {
				require.NoError(t, d.Decode(c, func(e Event) {
					e.Data = string(ToValidUTF8([]byte(e.Data))) // copy now: the string is borrowed
					got = append(got, e)
				}))
			}
			require.Equal(t, want.events, got, "%s %q", tc.Name, chunks)
		}
	}
}

func TestHugeRetryIsClampedNotWrapped(t *testing.T) {
	t.Parallel()
	// 4e17, 2^62 and more, 2^64 and more, and a hundred digits: all valid
	// values, clamped, never ignored and never wrapped.
	for _, v := range []string{"400000000000000000", "4611686018427387904", "18446744073709551616", strings.Repeat("9", 100)} {
		r := decodeChunks([][]byte{[]byte("retry: 1000\nretry: " + v + "\n")}, 0)
		require.True(t, r.retried, v)
		assert.Greater(t, r.retry, 100*365*24*time.Hour, "%s: a huge retry stays huge (and positive)", v)
	}
	r := decodeChunks([][]byte{[]byte("retry: 1000\nretry: 99999999999999999999x\n")}, 0)
	assert.Equal(t, time.Second, r.retry, "not only digits: ignored")
}

// The last event ID counts toward the cap: it travels with every event.
func TestLongIDCountsTowardTheCap(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("i", 40)
	r := decodeChunks([][]byte{[]byte("id: " + id + "\ndata: " + strings.Repeat("d", 20) + "\n\n")}, 64)
	assert.ErrorIs(t, r.err, ErrTooLarge, "40 + 20 bytes and the field names exceed 64")
	r = decodeChunks([][]byte{[]byte("id: " + id + "\ndata: short\n\nid: " + id + "\ndata: again\n\n")}, 64)
	require.NoError(t, r.err, "a new id replaces the old one: it is not counted twice")
	assert.Len(t, r.events, 2)
	r = decodeChunks([][]byte{[]byte("id: " + strings.Repeat("i", 70) + "\n")}, 64)
	assert.ErrorIs(t, r.err, ErrTooLarge, "an id alone over the cap")
	// However the stream is cut: a line carried over to the next chunk is
	// capped as one read whole is, and an id line may replace the old id.
	for _, chunks := range splits("id: " + id + "\ndata: short\n\nid: " + id + "\ndata: again\n\n") {
		r = decodeChunks(chunks, 64)
		require.NoError(t, r.err, "%q", chunks)
		assert.Len(t, r.events, 2)
	}
}
