package sse

import (
	"errors"
	"io"
	"strconv"
	"strings"
)

// Errors returned by the encoder for values the format cannot carry.
var (
	ErrInvalidID   = errors.New("sse: id contains CR, LF or NUL")
	ErrInvalidType = errors.New("sse: event type contains CR, LF or NUL")
)

// Message is one event as a server sends it.
type Message struct {
	ID    string // sent when non-empty (or when SetID is true)
	SetID bool   // send the id field even when ID is empty: resets the client's last event ID
	Type  string // sent when non-empty; clients default to "message"
	Data  string // split at every CR, LF or CRLF into data lines
	Retry int    // milliseconds; sent when positive
}

// AppendMessage appends the wire form of m to dst. Data is always sent, even
// when empty, so that the client dispatches the event.
func AppendMessage(dst []byte, m Message) ([]byte, error) {
	if strings.ContainsAny(m.ID, "\r\n\x00") {
		return dst, ErrInvalidID
	}
	if strings.ContainsAny(m.Type, "\r\n\x00") {
		return dst, ErrInvalidType
	}
	if m.Retry > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, int64(m.Retry), 10)
		dst = append(dst, '\n')
	}
	if m.ID != "" || m.SetID {
		dst = append(dst, "id: "...)
		dst = append(dst, m.ID...)
		dst = append(dst, '\n')
	}
	if m.Type != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, m.Type...)
		dst = append(dst, '\n')
	}
	dst = appendLines(dst, "data: ", m.Data)
	return append(dst, '\n'), nil
}

// AppendComment appends a comment (one ": " line per line of text). Servers
// send comments as keep-alives; clients ignore them.
func AppendComment(dst []byte, text string) []byte {
	return appendLines(dst, ": ", text)
}

// AppendRetry appends a lone retry field, setting the client's reconnection
// time without dispatching anything.
func AppendRetry(dst []byte, ms int) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, int64(ms), 10)
	return append(dst, '\n', '\n')
}

// appendLines writes text as prefix-ed lines, splitting at CR, LF and CRLF,
// which are the line ends the decoder recognises.
func appendLines(dst []byte, prefix, text string) []byte {
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			dst = append(dst, prefix...)
			dst = append(dst, text...)
			return append(dst, '\n')
		}
		dst = append(dst, prefix...)
		dst = append(dst, text[:i]...)
		dst = append(dst, '\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
}

// Encoder writes messages to an io.Writer, one Write per message.
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes one message.
func (e *Encoder) Encode(m Message) error {
	b, err := AppendMessage(e.buf[:0], m)
	if err != nil {
		return err
	}
	e.buf = b
	_, err = e.w.Write(b)
	return err
}

// Comment writes a comment.
func (e *Encoder) Comment(text string) error {
	e.buf = AppendComment(e.buf[:0], text)
	_, err := e.w.Write(e.buf)
	return err
}
