package sse

import (
	"bytes"
	"strings"
	"testing"
)

func benchStream(eventSize, events int) []byte {
	var sb strings.Builder
	data := strings.Repeat("x", eventSize)
	for i := 0; i < events; i++ {
		sb.WriteString("data: ")
		sb.WriteString(data)
		sb.WriteString("\n\n")
	}
	return []byte(sb.String())
}

func benchDecode(b *testing.B, eventSize int) {
	const perChunk = 64
	stream := benchStream(eventSize, perChunk)
	// Feed the stream in fetch-sized chunks that cut events anywhere.
	const chunk = 16 << 10
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	var d Decoder
	n := 0
	emit := func(Event) { n++ }
	for b.Loop() {
		for p := stream; len(p) > 0; {
			c := min(chunk, len(p))
			if err := d.Decode(p[:c], emit); err != nil {
				b.Fatal(err)
			}
			p = p[c:]
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

// benchDecodeWhole decodes stream in one call per iteration.
func benchDecodeWhole(b *testing.B, stream []byte) {
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	var d Decoder
	for b.Loop() {
		if err := d.Decode(stream, func(Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode32B(b *testing.B)  { benchDecode(b, 32) }
func BenchmarkDecode1KiB(b *testing.B) { benchDecode(b, 1024) }

func BenchmarkDecodeWithIDs(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 64; i++ {
		sb.WriteString("id: 12345\nevent: update\ndata: {\"temperature\":21.5,\"humidity\":40}\n\n")
	}
	benchDecodeWhole(b, []byte(sb.String()))
}

func BenchmarkLineDecoder1KiB(b *testing.B) {
	line := "{\"v\":\"" + strings.Repeat("x", 1010) + "\"}\n"
	stream := []byte(strings.Repeat(line, 64))
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	var d LineDecoder
	for b.Loop() {
		if err := d.Decode(stream, func([]byte) {}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBlankLines: a flood of line ends (a gzip bomb of "\n"
// compresses a thousandfold) must cost little per byte.
func BenchmarkDecodeBlankLines(b *testing.B) {
	chunk := bytes.Repeat([]byte{'\n'}, 64<<10)
	chunk[1000] = '\r'
	b.SetBytes(int64(len(chunk)))
	var d Decoder
	for i := 0; i < b.N; i++ {
		if err := d.Decode(chunk, func(Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeUTF8: data that is not ASCII, checked for well-formed
// UTF-8 on every event.
func BenchmarkDecodeUTF8(b *testing.B) {
	line := "data: " + strings.Repeat("héllo wörld — 温度 21.5°C 😀 ", 8) + "\n\n"
	benchDecodeWhole(b, []byte(strings.Repeat(line, 64)))
}

// BenchmarkToValidUTF8Invalid: the repair of ill-formed text.
func BenchmarkToValidUTF8Invalid(b *testing.B) {
	in := []byte(strings.Repeat("ok text \xff\xfe then \xe2\x82 cut and é ", 16))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		ToValidUTF8(in)
	}
}
