package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

func TestFaultInjection(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))

	t.Run("close_after", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?close_after=2", nil), 100, 10*time.Second)
		assert.Len(t, r.events, 2)
		assert.ErrorIs(t, r.err, io.EOF, "the response ends")
	})
	t.Run("stall_after", func(t *testing.T) {
		resp := get(t, ts, "/heartbeat?stall_after=1", nil)
		r := readSSE(t, resp, 2, 1500*time.Millisecond) // a heartbeat is due every 100 ms
		assert.Len(t, r.events, 1)
		assert.ErrorIs(t, r.err, context.DeadlineExceeded, "the socket stays open, silent")
	})
	t.Run("drip", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/stock-prices/DRIP?drip=1", nil), 3, 10*time.Second)
		require.Len(t, r.events, 3, "frames split at every byte still decode")
		assert.Equal(t, "1", r.events[0].ID)
		// On the wire every byte is its own HTTP chunk: "1\r\n<byte>\r\n".
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte("GET /stock-prices/DRIP?drip=1 HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		var raw []byte
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for strings.Count(string(raw), "\r\n1\r\n") < 100 {
			n, err := conn.Read(buf)
			raw = append(raw, buf[:n]...)
			require.NoError(t, err)
		}
	})
	t.Run("retry", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?retry=1500", nil), 1, 10*time.Second)
		assert.Equal(t, 1500*time.Millisecond, r.retry)
	})
	t.Run("status", func(t *testing.T) {
		resp := get(t, ts, "/live-users?status=204", nil)
		assert.Equal(t, 204, resp.StatusCode)
		resp = get(t, ts, "/smart-home?status=503", nil)
		assert.Equal(t, 503, resp.StatusCode)
		assert.Equal(t, "2", resp.Header.Get("Retry-After"))
		assert.Equal(t, float64(503), jsonBody(t, resp)["code"])
		resp = get(t, ts, "/api/stream/devices/x?status=401", nil)
		assert.Equal(t, 401, resp.StatusCode)
	})
	t.Run("content_type", func(t *testing.T) {
		resp := get(t, ts, "/live-users?content_type=text/plain", nil)
		assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	})
	t.Run("inject malformed", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?inject=malformed", nil), 3, 10*time.Second)
		require.Len(t, r.events, 3, "the malformed lines dispatch nothing and break nothing")
		for _, e := range r.events {
			assert.Equal(t, "message", e.Type)
		}
	})
	t.Run("inject invalid-utf8", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?inject=invalid-utf8", nil), 3, 10*time.Second)
		require.Len(t, r.events, 3)
		assert.Equal(t, "invalid", r.events[1].Type)
		assert.Equal(t, "\uFFFD\uFFFD bad \uFFFD( bytes", r.events[1].Data)
	})
	t.Run("inject oversized", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?inject=oversized", nil), 3, 20*time.Second)
		assert.Len(t, r.events, 1, "the event before it is delivered")
		assert.ErrorIs(t, r.err, sse.ErrTooLarge)
	})
	t.Run("ndjson inject", func(t *testing.T) {
		resp := get(t, ts, "/v2/projects/p1/devices:stream?token=demo-token&inject=malformed", nil)
		lines, _ := readLines(t, resp, 3, 10*time.Second)
		require.Len(t, lines, 3)
		assert.Equal(t, `{"result": {"event": broken`, lines[1])
	})
	t.Run("malformed values", func(t *testing.T) {
		for _, q := range []string{"close_after=0", "close_after=x", "stall_after=-1", "drip=yes", "status=99", "status=600",
			"inject=evil", "retry=soon"} {
			resp := get(t, ts, "/live-users?"+q, nil)
			assert.Equal(t, 400, resp.StatusCode, q)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), q)
			assert.NotEmpty(t, jsonBody(t, resp)["error"], q)
		}
	})
	t.Run("unknown parameters ignored", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/live-users?whatever=1&close_after=1", nil), 5, 10*time.Second)
		assert.Len(t, r.events, 1)
	})
}

// blockingWriter is a client that stops reading: every write blocks until
// released.
type blockingWriter struct {
	header  http.Header
	release chan struct{}
	once    sync.Once
}

func (b *blockingWriter) Header() http.Header { return b.header }
func (b *blockingWriter) WriteHeader(int)     {}
func (b *blockingWriter) Flush()              {}
func (b *blockingWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	<-b.release
	return 0, errors.New("gone")
}

func TestSlowConsumerDroppedWithoutDelayingOthers(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.queueSize = 4
	s, ts := startServer(t, cfg)
	const topic = "custom/slow"

	// A fast client reading everything, counting as it goes.
	fast := get(t, ts, "/api/stream/topics/slow", nil)
	var got atomic.Int64
	go func() {
		var d sse.Decoder
		buf := make([]byte, 4096)
		for {
			n, err := fast.Body.Read(buf)
			_ = d.Decode(buf[:n], func(sse.Event) { got.Add(1) })
			if err != nil {
				return
			}
		}
	}()

	// A slow one whose writes never complete.
	bw := &blockingWriter{header: http.Header{}, release: make(chan struct{})}
	req := httptest.NewRequest("GET", "/api/stream/topics/slow", nil)
	handlerDone := make(chan struct{})
	go func() { s.handler.ServeHTTP(bw, req); close(handlerDone) }()
	require.Eventually(t, func() bool { return s.hub.subscribers(topic) == 2 }, 5*time.Second, 5*time.Millisecond)

	var publishing time.Duration
	for i := 1; i <= 50; i++ {
		start := time.Now()
		s.hub.publish(topic, frame{event: "mqttMessage", data: "x"}, false)
		publishing += time.Since(start)
		// Pace the publisher to the fast reader, so only the slow one lags.
		require.Eventually(t, func() bool { return got.Load() >= int64(i) }, 5*time.Second, time.Millisecond)
	}
	assert.Equal(t, 1, s.hub.subscribers(topic), "the slow subscriber is dropped")
	assert.Equal(t, int64(50), got.Load(), "the fast one gets every frame")
	assert.Less(t, publishing, time.Second, "publishing never waits for the slow client")
	close(bw.release)
	<-handlerDone
}

func TestStreamCap(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.maxStreams = 2
	_, ts := startServer(t, cfg)
	a := get(t, ts, "/live-users", nil)
	b := get(t, ts, "/smart-home", nil)
	require.Equal(t, 200, a.StatusCode)
	require.Equal(t, 200, b.StatusCode)
	c := get(t, ts, "/heartbeat", nil)
	assert.Equal(t, 503, c.StatusCode)
	assert.Equal(t, "5", c.Header.Get("Retry-After"))
	assert.Contains(t, jsonBody(t, c)["error"], "too many")
	a.Body.Close()
	require.Eventually(t, func() bool {
		r := get(t, ts, "/heartbeat", nil)
		defer r.Body.Close()
		return r.StatusCode == 200
	}, 5*time.Second, 20*time.Millisecond, "a slot frees when a stream ends")
}

func TestGracefulShutdownClosesStreams(t *testing.T) {
	t.Parallel()
	s, err := newServer(testConfig(t))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	var bodies []io.ReadCloser
	for _, p := range []string{"/live-users", "/api/stream/devices/a", "/v2/projects/p/devices:stream?token=demo-token"} {
		resp, err := http.Get(base + p)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		bodies = append(bodies, resp.Body)
	}
	cancel()
	select {
	case err := <-served:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	for _, b := range bodies {
		_, err := io.ReadAll(b)
		assert.NoError(t, err, "each stream ended cleanly")
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	writeDist(t, cfg.dist)
	_, ts := startServer(t, cfg)
	fetch := func(path, enc string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body := fetch("/dist/sseshim.wasm", "gzip, deflate, br")
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Equal(t, "br", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "brotli bytes", body)
	assert.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding")
	resp, body = fetch("/dist/sseshim.wasm", "gzip")
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "gzip bytes", body)
	resp, body = fetch("/dist/sseshim.wasm", "br;q=0, identity")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "\x00asm plain", body)
	resp, _ = fetch("/dist/sseshim.js", "br")
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "no .br beside it")
	assert.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	resp, _ = fetch("/dist/missing.js", "")
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = fetch("/dist/../go.mod", "")
	assert.NotEqual(t, 200, resp.StatusCode)
	resp, body = fetch("/", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "<!doctype html>")
}

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	got := redactQuery("token=s3cret&device_ids=a&Authorization=x&ping_interval=10s")
	assert.NotContains(t, got, "s3cret")
	assert.NotContains(t, got, "=x")
	assert.Contains(t, got, "device_ids=a")
	assert.Contains(t, got, "ping_interval=10s")
	assert.Equal(t, "", redactQuery(""))
	assert.True(t, strings.HasPrefix(got, "?"))
}

func TestControlStallAndKill(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	// A reader that timestamps every event as it arrives.
	resp := get(t, ts, "/heartbeat", nil) // an event every 100 ms at this speed
	arrivals := make(chan time.Time, 1000)
	go func() {
		var d sse.Decoder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			_ = d.Decode(buf[:n], func(sse.Event) { arrivals <- time.Now() })
			if err != nil {
				close(arrivals)
				return
			}
		}
	}()
	select {
	case <-arrivals:
	case <-time.After(10 * time.Second):
		t.Fatal("no first event")
	}
	res, err := http.Post(ts.URL+"/api/streams/stall", "application/json", nil)
	require.NoError(t, err)
	stalledAt := time.Now()
	assert.Equal(t, float64(1), jsonBody(t, res)["streams"])
	// Events already on their way may still land; none may come later.
	deadline := time.After(time.Second)
	late := 0
wait:
	for {
		select {
		case at := <-arrivals:
			if at.Sub(stalledAt) > 300*time.Millisecond {
				late++
			}
		case <-deadline:
			break wait
		}
	}
	assert.Zero(t, late, "a stalled stream sends nothing (about ten heartbeats were due)")
	resp.Body.Close()

	resp = get(t, ts, "/live-users", nil)
	require.Len(t, readSSE(t, resp, 1, 10*time.Second).events, 1)
	res, err = http.Post(ts.URL+"/api/streams/kill", "application/json", nil)
	require.NoError(t, err)
	res.Body.Close()
	r := readSSE(t, resp, 100, 10*time.Second)
	assert.ErrorIs(t, r.err, io.EOF, "a killed stream ends")
}

// TestWriteDeadlineDropsAStuckClient: a client that stops reading is cut off
// by the per-write deadline (set through the logging wrapper, which must let
// http.ResponseController reach the connection), and its slot is freed.
func TestWriteDeadlineDropsAStuckClient(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.writeTimeout = 100 * time.Millisecond
	s, ts := startServer(t, cfg)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	// An oversized event (16 MiB) is far more than the socket buffers hold:
	// the write blocks while the client reads nothing.
	_, err = conn.Write([]byte("GET /live-users?inject=oversized HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.streams) == 1
	}, 10*time.Second, 10*time.Millisecond, "the stream opened")
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.streams) == 0
	}, 20*time.Second, 20*time.Millisecond, "the stuck stream was dropped")
	assert.Empty(t, s.slots, "its slot is free")
}
