// Package ssetest holds the text/event-stream conformance cases shared by the
// decoder's unit tests and the browser differential tests, which run each
// input through the browser's own EventSource and sseshim's and compare.
package ssetest

import (
	"math"
	"time"
)

// Event is an expected dispatched event.
type Event struct {
	Type, Data, ID string
}

// E builds an Event.
func E(typ, data, id string) Event { return Event{Type: typ, Data: data, ID: id} }

// Case is one stream and what #event-stream-interpretation says it dispatches when it is the
// whole stream.
type Case struct {
	Name   string
	In     string
	Want   []Event
	LastID string        // the last event ID string at the end
	Retry  time.Duration // the reconnection time set, 0 when none
	// RetrySet is true when a retry field is accepted (Retry may be 0).
	RetrySet bool
	// ChromiumDeparts says why Chromium's EventSource does not do what the
	// spec says here; the differential tests then hold sseshim to the spec
	// alone.
	ChromiumDeparts string
}

// MaxRetry is the largest reconnection time: what a retry field too large
// to represent is clamped to.
const MaxRetry = time.Duration(math.MaxInt64/int64(time.Millisecond)) * time.Millisecond

// Cases covers every parsing rule of #parsing-an-event-stream and #event-stream-interpretation.
var Cases = []Case{
	{Name: "simple", In: "data: hello\n\n", Want: []Event{E("message", "hello", "")}},
	{Name: "no space after colon", In: "data:hello\n\n", Want: []Event{E("message", "hello", "")}},
	{Name: "only one leading space removed", In: "data:  two\n\n", Want: []Event{E("message", " two", "")}},
	{Name: "multi-line data joined with LF", In: "data: a\ndata: b\ndata\n\n", Want: []Event{E("message", "a\nb\n", "")}},
	{Name: "CR line ends", In: "data: a\rdata: b\r\r", Want: []Event{E("message", "a\nb", "")}},
	{Name: "CRLF line ends", In: "data: a\r\ndata: b\r\n\r\n", Want: []Event{E("message", "a\nb", "")}},
	{Name: "mixed line ends", In: "data: a\r\ndata: b\ndata: c\r\r\n", Want: []Event{E("message", "a\nb\nc", "")}},
	{Name: "CR CR is two line ends", In: "data: x\r\r", Want: []Event{E("message", "x", "")}},
	{Name: "LF CR is two line ends", In: "data: x\n\r", Want: []Event{E("message", "x", "")}},
	{Name: "comments ignored", In: ": hello\n:\ndata: x\n: more\n\n", Want: []Event{E("message", "x", "")}},
	{Name: "comment alone dispatches nothing", In: ": keep-alive\n\n", Want: nil},
	{Name: "named event", In: "event: add\ndata: 1\n\n", Want: []Event{E("add", "1", "")}},
	{Name: "event type reset after dispatch", In: "event: add\ndata: 1\n\ndata: 2\n\n", Want: []Event{E("add", "1", ""), E("message", "2", "")}},
	{Name: "event type reset even without dispatch", In: "event: add\n\ndata: 2\n\n", Want: []Event{E("message", "2", "")}},
	{Name: "empty event field means message", In: "event:\ndata: 1\n\n", Want: []Event{E("message", "1", "")}},
	{Name: "last event field wins", In: "event: a\nevent: b\ndata: 1\n\n", Want: []Event{E("b", "1", "")}},
	{Name: "id persists", In: "id: 1\ndata: a\n\ndata: b\n\n", Want: []Event{E("message", "a", "1"), E("message", "b", "1")}, LastID: "1"},
	{Name: "bare id resets", In: "id: 1\ndata: a\n\nid\ndata: b\n\n", Want: []Event{E("message", "a", "1"), E("message", "b", "")}, LastID: ""},
	{Name: "empty id resets", In: "id: 1\ndata: a\n\nid:\ndata: b\n\n", Want: []Event{E("message", "a", "1"), E("message", "b", "")}},
	{Name: "id with NUL ignored", In: "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", Want: []Event{E("message", "a", "1"), E("message", "b", "1")}, LastID: "1"},
	{Name: "id set without data still commits", In: "id: 7\n\n", Want: nil, LastID: "7"},
	{Name: "id in incomplete event not committed", In: "id: 1\ndata: a\n\nid: 2\ndata: b\n", Want: []Event{E("message", "a", "1")}, LastID: "1"},
	{Name: "id keeps spaces after the first", In: "id:  x y \ndata\n\n", Want: []Event{E("message", "", " x y ")}, LastID: " x y "},
	{Name: "data without value dispatches empty", In: "data\n\n", Want: []Event{E("message", "", "")}},
	{Name: "data with empty value dispatches empty", In: "data:\n\n", Want: []Event{E("message", "", "")}},
	{Name: "two empty data lines", In: "data\ndata\n\n", Want: []Event{E("message", "\n", "")}},
	{Name: "no data no dispatch", In: "event: x\n\n", Want: nil},
	{Name: "incomplete event discarded at end", In: "data: a\n\ndata: b\n", Want: []Event{E("message", "a", "")}},
	{Name: "incomplete line discarded at end", In: "data: a\n\ndata: b", Want: []Event{E("message", "a", "")}},
	{Name: "final blank line via CR", In: "data: a\r\r", Want: []Event{E("message", "a", "")}},
	{Name: "unknown fields ignored", In: "foo: bar\ndata: a\nDATA: b\n\n", Want: []Event{E("message", "a", "")}},
	{Name: "field name only", In: "data\n\n", Want: []Event{E("message", "", "")}},
	{Name: "colon in value kept", In: "data: a:b: c\n\n", Want: []Event{E("message", "a:b: c", "")}},
	{Name: "space before colon is part of name", In: "data : x\n\n", Want: nil},
	{Name: "leading BOM skipped", In: "\uFEFFdata: a\n\n", Want: []Event{E("message", "a", "")}},
	{Name: "only one BOM skipped", In: "\uFEFF\uFEFFdata: a\n\n", Want: nil},
	{Name: "BOM after start kept in data", In: "data: \uFEFFa\n\n", Want: []Event{E("message", "\uFEFFa", "")}},
	{Name: "partial BOM is data", In: "\xEF\xBBdata: a\n\ndata: b\n\n", Want: []Event{E("message", "b", "")}},
	{Name: "blank line runs", In: "\n\r\n\r\rdata: a\n\n\n\r\n\r\r\n\n\n\n\n\n\n\n\n\ndata: b\r\r\r\n",
		Want: []Event{E("message", "a", ""), E("message", "b", "")}},
	{Name: "id then a blank run", In: "id: 1\n\n\n\n\n\n\n\n\n\n\n\ndata: x\n\nevent: t\n\n\n\n\n\n\n\n\n\ndata: y\n\n",
		Want: []Event{E("message", "x", "1"), E("message", "y", "1")}, LastID: "1"},
	{Name: "retry digits", In: "retry: 1500\n", Want: nil, Retry: 1500 * time.Millisecond, RetrySet: true},
	{Name: "retry zero", In: "retry: 0\n", Want: nil, Retry: 0, RetrySet: true},
	{Name: "retry not all digits ignored", In: "retry: 15x\nretry: -1\nretry: 1.5\nretry:  5\n", Want: nil},
	{Name: "retry empty ignored", In: "retry\nretry:\n", Want: nil},
	{Name: "retry overflow clamped", In: "retry: 99999999999999999999999\n", Want: nil, Retry: MaxRetry, RetrySet: true,
		ChromiumDeparts: "Chromium ignores a retry value too large for its integer type; the spec accepts any run of ASCII digits"},
	{Name: "invalid UTF-8 replaced", In: "data: a\xffb\n\n", Want: []Event{E("message", "a\uFFFDb", "")}},
	{Name: "truncated sequence one replacement", In: "data: \xE2\x82A\n\n", Want: []Event{E("message", "\uFFFDA", "")}},
	{Name: "surrogate replaced per byte", In: "data: \xED\xA0\x80\n\n", Want: []Event{E("message", "\uFFFD\uFFFD\uFFFD", "")}},
	{Name: "overlong replaced", In: "data: \xC0\xAF\n\n", Want: []Event{E("message", "\uFFFD\uFFFD", "")}},
	{Name: "truncated at line end", In: "data: \xF0\x9F\x98\ndata: x\n\n", Want: []Event{E("message", "\uFFFD\nx", "")}},
	{Name: "valid multibyte", In: "event: tëst\ndata: 😀 ünïcode\n\n", Want: []Event{E("tëst", "😀 ünïcode", "")}},
	{Name: "invalid in event type", In: "event: a\xffb\ndata: 1\n\n", Want: []Event{E("a\uFFFDb", "1", "")}},
	{Name: "invalid in id", In: "id: \xff\ndata: 1\n\n", Want: []Event{E("message", "1", "\uFFFD")}, LastID: "\uFFFD"},
	{Name: "NUL in data kept", In: "data: a\x00b\n\n", Want: []Event{E("message", "a\x00b", "")}},
	{Name: "many events", In: "data: 1\n\ndata: 2\n\nevent: e\ndata: 3\nid: x\n\n", Want: []Event{E("message", "1", ""), E("message", "2", ""), E("e", "3", "x")}, LastID: "x"},
	{Name: "blank lines between events", In: "\n\n\ndata: a\n\n\n\n", Want: []Event{E("message", "a", "")}},
	{Name: "empty stream", In: "", Want: nil},
}
