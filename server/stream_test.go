package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestWriteDeadlineDropsAStuckClient: a client that stops reading is cut off
// by the per-write deadline (set through the logging wrapper, which must let
// http.ResponseController reach the connection), and its slot is freed.
func TestWriteDeadlineDropsAStuckClient(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.writeTimeout = 100 * time.Millisecond
	s, ts := startServer(t, cfg)
	open := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.streams)
	}
	// An oversized event (16 MiB) is far more than the socket buffers hold:
	// the write blocks while the client reads nothing.
	dialRaw(t, ts, "/live-users?inject=oversized")
	require.Eventually(t, func() bool { return open() == 1 }, 10*time.Second, 10*time.Millisecond, "the stream opened")
	require.Eventually(t, func() bool { return open() == 0 }, 20*time.Second, 20*time.Millisecond, "the stuck stream was dropped")
	assert.Empty(t, s.slots, "its slot is free")
}
