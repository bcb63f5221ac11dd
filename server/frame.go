package main

import "github.com/sseshim/sseshim/wasm/sse"

// format is how a stream is written.
type format int

const (
	formatSSE    format = iota // text/event-stream
	formatNDJSON               // one JSON value per line
)

// frame is one event, encoded once for every subscriber. It carries nothing
// vendor-specific: what a vendor's handler needs to filter or rewrite its
// frames travels in meta, which only that vendor's file interprets.
type frame struct {
	id    string // "" for none
	event string // SSE event type ("" = message)
	data  string // SSE data, or the NDJSON line without its LF
	// ping marks a keep-alive frame: it goes on the wire like any other but
	// is not an event (it does not count for close_after, stall_after,
	// inject or idleness).
	ping bool
	// comment, when set, makes the frame an SSE comment line (": comment"):
	// news about the stream itself, such as the MQTT broker going away,
	// that clients dispatch no event for. NDJSON streams leave it out.
	comment string
	meta    any // the source's own data, read only by its vendor's file
}

func (f frame) encode(dst []byte, fm format) []byte {
	if f.comment != "" {
		if fm == formatNDJSON {
			return dst
		}
		return append(sse.AppendComment(dst, f.comment), '\n')
	}
	if fm == formatNDJSON {
		dst = append(dst, f.data...)
		return append(dst, '\n')
	}
	out, err := sse.AppendMessage(dst, sse.Message{ID: f.id, Type: f.event, Data: f.data})
	if err != nil {
		// Ids and types come from this server: a bad one is a bug here.
		panic("server: " + err.Error())
	}
	return out
}
