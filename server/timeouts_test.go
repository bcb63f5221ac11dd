package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSlowRequestsTimeOut: a client that sends its headers or a body slowly,
// or never finishes them, gets its connection closed after the read timeout;
// it never holds the connection and a handler for ever. Streams, which never
// read after their headers, last longer than it.
func TestSlowRequestsTimeOut(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.readTimeout = 300 * time.Millisecond
	_, ts := startServer(t, cfg)
	addr := strings.TrimPrefix(ts.URL, "http://")

	// ends sends a partial request and reports what came back before the
	// server closed the connection, and whether it did so within the limit.
	ends := func(t *testing.T, partial string) (string, bool) {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte(partial))
		require.NoError(t, err)
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		got, err := io.ReadAll(conn)
		return string(got), err == nil
	}
	t.Run("headers", func(t *testing.T) {
		_, closed := ends(t, "GET /live-users HTTP/1.1\r\nHost: x\r\n")
		assert.True(t, closed, "unfinished headers")
	})
	body := "Host: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
	t.Run("publish body", func(t *testing.T) {
		got, closed := ends(t, "POST /api/publish/slow HTTP/1.1\r\n"+body)
		assert.True(t, closed, "an unfinished body")
		assert.Contains(t, got, "HTTP/1.1 408 ")
	})
	for _, p := range []string{"/api/streams/stall", "/api/streams/kill"} {
		t.Run(p, func(t *testing.T) {
			got, closed := ends(t, "POST "+p+" HTTP/1.1\r\n"+body)
			assert.True(t, closed, "an unfinished body")
			assert.Contains(t, got, "HTTP/1.1 408 ")
		})
	}
	t.Run("streams outlive it", func(t *testing.T) {
		r := readSSE(t, get(t, ts, "/heartbeat", nil), 12, 10*time.Second) // one every 100 ms
		assert.Len(t, r.events, 12)
		assert.NoError(t, r.err)
	})
}
