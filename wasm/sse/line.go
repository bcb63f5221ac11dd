package sse

// lineBuf carries a line that a chunk leaves unterminated over to the chunk
// that ends it, within a cap: the line accumulation that the text/event-stream
// and NDJSON decoders share. Checking the cap as the line grows keeps a
// server that never ends a line from growing the buffer without bound.
type lineBuf struct{ b []byte }

// empty reports whether no line is being carried.
func (l *lineBuf) empty() bool { return len(l.b) == 0 }

// hold keeps p, the start of a line that the chunk does not end, and reports
// false when the line so far exceeds max bytes.
func (l *lineBuf) hold(p []byte, max int) bool {
	if len(l.b)+len(p) > max {
		return false
	}
	l.b = append(l.b, p...)
	return true
}

// join returns the line that end, the chunk's bytes before a line end,
// completes: end itself when nothing was carried, else the carried bytes
// followed by end, valid until the next call. It reports false when the
// line exceeds max bytes.
func (l *lineBuf) join(end []byte, max int) ([]byte, bool) {
	if len(l.b)+len(end) > max {
		return nil, false
	}
	if len(l.b) == 0 {
		return end, true
	}
	line := append(l.b, end...)
	l.b = resetBuf(line)
	return line, true
}

// reset empties the buffer for a new stream.
func (l *lineBuf) reset() { l.b = resetBuf(l.b) }

// drop frees the buffer: the stream failed.
func (l *lineBuf) drop() { l.b = nil }
