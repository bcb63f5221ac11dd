package jsonscan

import (
	"testing"
)

// benchLine is an NDJSON envelope as the engine reads it on every event.
var benchLine = []byte(`{"result":{"event":{"eventId":"c5v8m3ulak1g00b1a2bg","eventType":"temperature",` +
	`"targetName":"projects/p/devices/d","data":{"temperature":{"value":21.5,"samples":[{"value":21.5,"sampleTime":"2026-12-08T01:00:00Z"}],` +
	`"updateTime":"2026-12-08T01:00:00Z"}},"timestamp":"2026-12-08T01:00:00Z","note":"caf\u00e9 \"quoted\" \ud83d\ude00"}}}`)

// BenchmarkEnvelope does what the engine does per NDJSON line: one scan for
// the envelope, the event member, one scan for its type and id, and the
// decoding of both.
func BenchmarkEnvelope(b *testing.B) {
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	envelope := []string{"error", "result"}
	keys := []string{"eventType", "eventId"}
	for b.Loop() {
		var top, out [2][]byte
		if !Scan(benchLine, envelope, top[:]) {
			b.Fatal("invalid")
		}
		ev, ok := Member(top[1], "event")
		if !ok {
			b.Fatal("no event")
		}
		Scan(ev, keys, out[:])
		if _, ok := String(out[0]); !ok {
			b.Fatal("no type")
		}
		if _, ok := String(out[1]); !ok {
			b.Fatal("no id")
		}
	}
}

func BenchmarkStringEscaped(b *testing.B) {
	tok := []byte(`"caf\u00e9 \"quoted\" \ud83d\ude00 line\nbreak and some plain text after it"`)
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := String(tok); !ok {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkInt32(b *testing.B) {
	toks := [][]byte{[]byte("401"), []byte("-2147483648"), []byte("4.08e2")}
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range toks {
			if _, ok := Int32(t); !ok {
				b.Fatal("invalid")
			}
		}
	}
}
