package sse

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	d.End()
	return r
}

func ev(typ, data, id string) Event { return Event{Type: typ, Data: data, ID: id} }

var decodeCases = []struct {
	name   string
	in     string
	want   []Event
	lastID string
	retry  time.Duration // 0: no retry field accepted
}{
	{name: "simple", in: "data: hello\n\n", want: []Event{ev("message", "hello", "")}},
	{name: "no space after colon", in: "data:hello\n\n", want: []Event{ev("message", "hello", "")}},
	{name: "only one leading space removed", in: "data:  two\n\n", want: []Event{ev("message", " two", "")}},
	{name: "multi-line data joined with LF", in: "data: a\ndata: b\ndata\n\n", want: []Event{ev("message", "a\nb\n", "")}},
	{name: "CR line ends", in: "data: a\rdata: b\r\r", want: []Event{ev("message", "a\nb", "")}},
	{name: "CRLF line ends", in: "data: a\r\ndata: b\r\n\r\n", want: []Event{ev("message", "a\nb", "")}},
	{name: "mixed line ends", in: "data: a\r\ndata: b\ndata: c\r\r\n", want: []Event{ev("message", "a\nb\nc", "")}},
	{name: "CR CR is two line ends", in: "data: x\r\r", want: []Event{ev("message", "x", "")}},
	{name: "LF CR is two line ends", in: "data: x\n\r", want: []Event{ev("message", "x", "")}},
	{name: "comments ignored", in: ": hello\n:\ndata: x\n: more\n\n", want: []Event{ev("message", "x", "")}},
	{name: "comment alone dispatches nothing", in: ": keep-alive\n\n", want: nil},
	{name: "named event", in: "event: add\ndata: 1\n\n", want: []Event{ev("add", "1", "")}},
	{name: "event type reset after dispatch", in: "event: add\ndata: 1\n\ndata: 2\n\n", want: []Event{ev("add", "1", ""), ev("message", "2", "")}},
	{name: "event type reset even without dispatch", in: "event: add\n\ndata: 2\n\n", want: []Event{ev("message", "2", "")}},
	{name: "empty event field means message", in: "event:\ndata: 1\n\n", want: []Event{ev("message", "1", "")}},
	{name: "last event field wins", in: "event: a\nevent: b\ndata: 1\n\n", want: []Event{ev("b", "1", "")}},
	{name: "id persists", in: "id: 1\ndata: a\n\ndata: b\n\n", want: []Event{ev("message", "a", "1"), ev("message", "b", "1")}, lastID: "1"},
	{name: "bare id resets", in: "id: 1\ndata: a\n\nid\ndata: b\n\n", want: []Event{ev("message", "a", "1"), ev("message", "b", "")}, lastID: ""},
	{name: "empty id resets", in: "id: 1\ndata: a\n\nid:\ndata: b\n\n", want: []Event{ev("message", "a", "1"), ev("message", "b", "")}},
	{name: "id with NUL ignored", in: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", want: []Event{ev("message", "a", "1"), ev("message", "b", "1")}, lastID: "1"},
	{name: "id set without data still commits", in: "id: 7\n\n", want: nil, lastID: "7"},
	{name: "id in incomplete event not committed", in: "id: 1\ndata: a\n\nid: 2\ndata: b\n", want: []Event{ev("message", "a", "1")}, lastID: "1"},
	{name: "id keeps spaces after the first", in: "id:  x y \ndata\n\n", want: []Event{ev("message", "", " x y ")}, lastID: " x y "},
	{name: "data without value dispatches empty", in: "data\n\n", want: []Event{ev("message", "", "")}},
	{name: "data with empty value dispatches empty", in: "data:\n\n", want: []Event{ev("message", "", "")}},
	{name: "two empty data lines", in: "data\ndata\n\n", want: []Event{ev("message", "\n", "")}},
	{name: "no data no dispatch", in: "event: x\n\n", want: nil},
	{name: "incomplete event discarded at end", in: "data: a\n\ndata: b\n", want: []Event{ev("message", "a", "")}},
	{name: "incomplete line discarded at end", in: "data: a\n\ndata: b", want: []Event{ev("message", "a", "")}},
	{name: "final blank line via CR", in: "data: a\r\r", want: []Event{ev("message", "a", "")}},
	{name: "unknown fields ignored", in: "foo: bar\ndata: a\nDATA: b\n\n", want: []Event{ev("message", "a", "")}},
	{name: "field name only", in: "data\n\n", want: []Event{ev("message", "", "")}},
	{name: "colon in value kept", in: "data: a:b: c\n\n", want: []Event{ev("message", "a:b: c", "")}},
	{name: "space before colon is part of name", in: "data : x\n\n", want: nil},
	{name: "leading BOM skipped", in: "\uFEFFdata: a\n\n", want: []Event{ev("message", "a", "")}},
	{name: "only one BOM skipped", in: "\uFEFF\uFEFFdata: a\n\n", want: nil},
	{name: "BOM after start kept in data", in: "data: \uFEFFa\n\n", want: []Event{ev("message", "\uFEFFa", "")}},
	{name: "partial BOM is data", in: "\xEF\xBBdata: a\n\ndata: b\n\n", want: []Event{ev("message", "b", "")}},
	{name: "retry digits", in: "retry: 1500\n", want: nil, retry: 1500 * time.Millisecond},
	{name: "retry zero", in: "retry: 0\n", want: nil, retry: 0},
	{name: "retry not all digits ignored", in: "retry: 15x\nretry: -1\nretry: 1.5\nretry:  5\n", want: nil},
	{name: "retry empty ignored", in: "retry\nretry:\n", want: nil},
	{name: "retry overflow ignored", in: "retry: 99999999999999999999999\n", want: nil},
	{name: "invalid UTF-8 replaced", in: "data: a\xffb\n\n", want: []Event{ev("message", "a\uFFFDb", "")}},
	{name: "truncated sequence one replacement", in: "data: \xE2\x82A\n\n", want: []Event{ev("message", "\uFFFDA", "")}},
	{name: "surrogate replaced per byte", in: "data: \xED\xA0\x80\n\n", want: []Event{ev("message", "\uFFFD\uFFFD\uFFFD", "")}},
	{name: "overlong replaced", in: "data: \xC0\xAF\n\n", want: []Event{ev("message", "\uFFFD\uFFFD", "")}},
	{name: "truncated at line end", in: "data: \xF0\x9F\x98\ndata: x\n\n", want: []Event{ev("message", "\uFFFD\nx", "")}},
	{name: "valid multibyte", in: "event: tëst\ndata: 😀 ünïcode\n\n", want: []Event{ev("tëst", "😀 ünïcode", "")}},
	{name: "invalid in event type", in: "event: a\xffb\ndata: 1\n\n", want: []Event{ev("a\uFFFDb", "1", "")}},
	{name: "invalid in id", in: "id: \xff\ndata: 1\n\n", want: []Event{ev("message", "1", "\uFFFD")}, lastID: "\uFFFD"},
	{name: "NUL in data kept", in: "data: a\x00b\n\n", want: []Event{ev("message", "a\x00b", "")}},
	{name: "many events", in: "data: 1\n\ndata: 2\n\nevent: e\ndata: 3\nid: x\n\n", want: []Event{ev("message", "1", ""), ev("message", "2", ""), ev("e", "3", "x")}, lastID: "x"},
	{name: "blank lines between events", in: "\n\n\ndata: a\n\n\n\n", want: []Event{ev("message", "a", "")}},
	{name: "empty stream", in: "", want: nil},
}

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
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, chunks := range splits(tc.in) {
				r := decodeChunks(chunks, 0)
				require.NoError(t, r.err)
				require.Equal(t, tc.want, r.events, "chunks %q", chunks)
				require.Equal(t, tc.lastID, r.lastID, "chunks %q", chunks)
				if tc.retry > 0 || strings.Contains(tc.name, "retry zero") {
					require.True(t, r.retried, "chunks %q", chunks)
					require.Equal(t, tc.retry, r.retry)
				} else {
					require.False(t, r.retried, "chunks %q", chunks)
				}
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
	d.End()
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
