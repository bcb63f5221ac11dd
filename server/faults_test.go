package main

import (
	"context"
	"io"
	"net/url"
	"strings"
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
		conn := dialRaw(t, ts, "/stock-prices/DRIP?drip=1")
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
		for q, want := range map[string]string{
			"application/json":                       "application/json",
			"application/x-ndjson":                   "application/x-ndjson",
			"text/event-stream":                      "text/event-stream",
			"Application/JSON":                       "application/json",
			"text/event-stream;charset=windows-1252": "text/event-stream; charset=windows-1252",
			"application/json; charset=utf-8":        "application/json; charset=utf-8",
		} {
			resp := get(t, ts, "/live-users?content_type="+url.QueryEscape(q), nil)
			assert.Equal(t, 200, resp.StatusCode, q)
			assert.Equal(t, want, resp.Header.Get("Content-Type"), q)
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), q)
		}
	})
	t.Run("content_type a page", func(t *testing.T) {
		// A stream served as a document would be a page in the server's
		// origin; nothing but the stream types is allowed.
		for _, q := range []string{"text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml",
			"text/xml", "application/xml", "text/plain", "text/javascript", "application/pdf", "multipart/x-mixed-replace; boundary=x",
			"text/event-stream; x=<script>", "text/event-stream, text/html", "application/json;charset", "x"} {
			resp := get(t, ts, "/api/stream/devices/a?content_type="+url.QueryEscape(q), nil)
			assert.Equal(t, 400, resp.StatusCode, q)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), q)
			msg, _ := jsonBody(t, resp)["error"].(string)
			for _, allowed := range []string{"text/event-stream", "application/json", "application/x-ndjson"} {
				assert.Contains(t, msg, allowed, q)
			}
		}
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
