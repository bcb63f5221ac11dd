package eventsource

import (
	"io"
	"strings"
	"testing"
)

// replayTransport serves one body of fixed chunks and then reports the stream
// ended; every attempt gets the same body.
type replayTransport struct {
	chunks [][]byte
	ct     string
}

type replayBody struct {
	chunks [][]byte
	i      int
}

func (t *replayTransport) RoundTrip(ctx Ctx, r *Request) (*Response, error) {
	return &Response{Status: 200, ContentType: t.ct, Body: &replayBody{chunks: t.chunks}}, nil
}

func (b *replayBody) Next() ([]byte, error) {
	if b.i == len(b.chunks) {
		return nil, io.EOF
	}
	b.i++
	return b.chunks[b.i-1], nil
}

func (b *replayBody) Close() error { return nil }

// benchEngine measures the whole engine — decode, batch, deliver — on a
// stream of events of the given size cut into 16 KiB chunks, as fetch
// delivers them.
func benchEngine(b *testing.B, format Format, line func(i int) string) {
	var sb strings.Builder
	const events = 4096
	for i := 0; i < events; i++ {
		sb.WriteString(line(i))
	}
	stream := []byte(sb.String())
	var chunks [][]byte
	for p := stream; len(p) > 0; {
		n := min(16<<10, len(p))
		chunks = append(chunks, p[:n])
		p = p[n:]
	}
	b.SetBytes(int64(len(stream)))
	benchChunks(b, format, chunks, events)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

// benchChunks runs the engine over chunks, which hold events events, once
// per iteration.
func benchChunks(b *testing.B, format Format, chunks [][]byte, events int) {
	ct := "text/event-stream"
	if format == FormatNDJSON {
		ct = "application/x-ndjson"
	}
	b.ReportAllocs()
	for b.Loop() {
		got := 0
		// The end of the stream is its first error; the fake clock holds
		// the reconnect back until the source is closed here. (Closing in
		// the error callback would race with New's return.)
		ended := make(chan struct{}, 1)
		src, err := New(Config{URL: "http://bench.test/", Format: format, Transport: &replayTransport{chunks: chunks, ct: ct}, Clock: newFakeClock()},
			SinkFuncs{
				OnEvents: func(evs []Event) { got += len(evs) },
				OnError: func(*Error, ReadyState) {
					select {
					case ended <- struct{}{}:
					default:
					}
				},
			})
		if err != nil {
			b.Fatal(err)
		}
		<-ended
		src.Close()
		<-src.Done()
		if got != events {
			b.Fatalf("got %d events, want %d", got, events)
		}
	}
}

func BenchmarkEngineSSE32B(b *testing.B) {
	data := strings.Repeat("x", 32)
	benchEngine(b, FormatSSE, func(int) string { return "data: " + data + "\n\n" })
}

func BenchmarkEngineSSE1KiB(b *testing.B) {
	data := strings.Repeat("x", 1024)
	benchEngine(b, FormatSSE, func(int) string { return "data: " + data + "\n\n" })
}

func BenchmarkEngineNDJSONEnvelope(b *testing.B) {
	benchEngine(b, FormatNDJSON, func(int) string {
		return `{"result":{"event":{"eventId":"d1vtobtd83ut9sd2bj9g","targetName":"projects/p/devices/d","eventType":"temperature","data":{"temperature":{"value":21.5,"updateTime":"2021-04-21T08:15:43.512330Z"}},"timestamp":"2021-04-21T08:15:43.512330Z"}}}` + "\n"
	})
}

// BenchmarkEngineChunkPerEvent measures what a lone event costs the engine:
// the latency case, a chunk per event (each 32 B of UTF-8 text, as the
// browser benchmark's paced stream sends), per chunk.
func BenchmarkEngineChunkPerEvent(b *testing.B) {
	const events = 4096
	var chunks [][]byte
	for i := 0; i < events; i++ {
		chunks = append(chunks, []byte("data: Kühlhaus Süd ❄ −18,5 °C 😀\n\n"))
	}
	benchChunks(b, FormatSSE, chunks, events)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/chunk")
}
