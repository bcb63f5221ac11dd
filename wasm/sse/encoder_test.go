package sse

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		m    Message
		want string
	}{
		{Message{Data: "hi"}, "data: hi\n\n"},
		{Message{Data: ""}, "data: \n\n"},
		{Message{Data: "a\nb\r\nc\rd"}, "data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{Message{Data: "x\n"}, "data: x\ndata: \n\n"},
		{Message{ID: "7", Type: "add", Data: " lead"}, "id: 7\nevent: add\ndata:  lead\n\n"},
		{Message{SetID: true, Data: "r"}, "id: \ndata: r\n\n"},
		{Message{Retry: 2500, Data: "d"}, "retry: 2500\ndata: d\n\n"},
	}
	for _, tc := range cases {
		got, err := AppendMessage(nil, tc.m)
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(got))
	}
}

func TestAppendMessageRejects(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"a\nb", "a\rb", "a\x00b"} {
		_, err := AppendMessage(nil, Message{ID: id, Data: "x"})
		assert.ErrorIs(t, err, ErrInvalidID)
	}
	for _, typ := range []string{"a\nb", "a\rb", "a\x00b"} {
		_, err := AppendMessage(nil, Message{Type: typ, Data: "x"})
		assert.ErrorIs(t, err, ErrInvalidType)
	}
}

func TestEncoderComments(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	require.NoError(t, e.Comment("keep\nalive"))
	require.NoError(t, e.Encode(Message{Type: "t", Data: "d"}))
	require.Error(t, e.Encode(Message{ID: "\n"}))
	buf.Write(AppendRetry(nil, 10))
	assert.Equal(t, ": keep\n: alive\nevent: t\ndata: d\n\nretry: 10\n\n", buf.String())

	r := decodeChunks([][]byte{buf.Bytes()}, 0)
	require.NoError(t, r.err)
	assert.Equal(t, []Event{ev("t", "d", "")}, r.events)
	assert.True(t, r.retried)
}
