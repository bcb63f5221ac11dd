package sse

import "bytes"

// LineDecoder splits newline-delimited JSON (NDJSON, JSON Lines) into lines:
// one JSON value per LF-terminated line, a CR before the LF tolerated, lines
// of only white space skipped. It does not parse the JSON. The zero value is
// ready to use with DefaultMaxEventSize as the line cap.
type LineDecoder struct {
	// MaxLineSize caps one line; zero means DefaultMaxEventSize, negative
	// means no cap.
	MaxLineSize int

	line lineBuf
	err  error
}

func (d *LineDecoder) limit() int {
	switch {
	case d.MaxLineSize == 0:
		return DefaultMaxEventSize
	case d.MaxLineSize < 0:
		return int(^uint(0) >> 1)
	}
	return d.MaxLineSize
}

// Decode feeds the next chunk. emit receives each complete non-blank line
// without its line end; the slice is valid only during the call.
func (d *LineDecoder) Decode(p []byte, emit func(line []byte)) error {
	if d.err != nil {
		return d.err
	}
	limit := d.limit()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if !d.line.hold(p, limit) {
				return d.fail()
			}
			return nil
		}
		line, ok := d.line.join(p[:i], limit)
		if !ok {
			return d.fail()
		}
		p = p[i+1:]
		d.emit(line, emit)
	}
	return nil
}

// emit passes on a line without the CRs that end it, unless the line is
// only white space. The white space is JSON's, which is ASCII: byte loops do
// what bytes.TrimLeft and TrimRight would, without their Unicode paths.
func (d *LineDecoder) emit(line []byte, emit func([]byte)) {
	n := len(line)
	for n > 0 && line[n-1] == '\r' {
		n--
	}
	line = line[:n]
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			emit(line)
			return
		}
	}
}

// End marks the end of the stream. A final line without a line end is a
// complete value that was fully received, so it is emitted, not dropped.
// The decoder is then ready for a new stream.
func (d *LineDecoder) End(emit func(line []byte)) {
	// A line end completes the carried line as Decode completes every
	// other one (the line is within the cap: Decode kept it so); after an
	// error it does nothing.
	d.Decode(lf, emit)
	d.Reset()
}

var lf = []byte{'\n'}

// Reset empties the decoder for a new stream and clears any error.
func (d *LineDecoder) Reset() {
	d.line.reset()
	d.err = nil
}

// Err returns the error that stopped the decoder, if any.
func (d *LineDecoder) Err() error { return d.err }

func (d *LineDecoder) fail() error {
	d.err = &LimitError{Limit: d.limit(), What: "line"}
	d.line.drop()
	return d.err
}
