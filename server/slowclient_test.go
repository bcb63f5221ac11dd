package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openStreams counts the server's open streams.
func openStreams(s *server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// TestNeverReadingClientsAreDropped: clients that connect and never read are
// dropped once what they have not read fills a small send buffer (and their
// own receive buffer), each with one log line, and their slots go to new
// streams. Without a bound on the send buffer the kernel grows it to
// megabytes, the per-write deadline never fires, and the idle sockets hold
// every slot.
func TestNeverReadingClientsAreDropped(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.maxStreams = 4
	cfg.writeTimeout = 200 * time.Millisecond
	cfg.sendBuffer = 8 << 10
	s, ts, logs := startServerLog(t, cfg)
	const topic = "flood"
	for range cfg.maxStreams {
		dialRaw(t, ts, "/api/stream/topics/"+topic) // never reads
	}
	require.Eventually(t, func() bool { return openStreams(s) == cfg.maxStreams }, 10*time.Second, 5*time.Millisecond)
	full := get(t, ts, "/api/stream/topics/"+topic, nil)
	require.Equal(t, http.StatusServiceUnavailable, full.StatusCode, "every slot is taken")

	// 1 MiB: far more than a small send buffer and a client's default receive
	// buffer hold, far less than the kernel's own send buffer may grow to. The
	// queue (256 frames) holds all of it, so only the buffer bound can drop them.
	chunk := strings.Repeat("x", 16<<10)
	for i := 0; i < 64 && openStreams(s) > 0; i++ {
		s.hub.publish(mqttHubPrefix+topic, frame{event: "mqttMessage", data: chunk}, false)
		time.Sleep(5 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return openStreams(s) == 0 }, 5*time.Second, 10*time.Millisecond,
		"clients that never read are dropped")
	assert.Equal(t, cfg.maxStreams, strings.Count(logs.String(), "dropped slow client"), "one log line each:\n%s", logs)

	resp := get(t, ts, "/api/stream/topics/"+topic, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "their slots are free")
}

// TestStuckStreamsGiveWayToNewOnes: when every slot is taken and some stream
// is stuck in a write (its client reads nothing), a new stream takes that
// slot at once instead of getting 503 until the write deadline (10 s by
// default) cuts the stuck one.
func TestStuckStreamsGiveWayToNewOnes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.maxStreams = 2
	cfg.writeTimeout = time.Minute
	s, ts, logs := startServerLog(t, cfg)
	for range cfg.maxStreams {
		// The 16 MiB injected event blocks the write at once.
		dialRaw(t, ts, "/live-users?inject=oversized")
	}
	require.Eventually(t, func() bool { return openStreams(s) == cfg.maxStreams }, 10*time.Second, 5*time.Millisecond)
	start := time.Now()
	status := 0
	for status != http.StatusOK && time.Since(start) < 8*time.Second {
		r := get(t, ts, "/heartbeat", nil)
		status = r.StatusCode
		if status != http.StatusOK {
			r.Body.Close()
			time.Sleep(50 * time.Millisecond)
		}
	}
	require.Equal(t, http.StatusOK, status, "a new stream gets a stuck one's slot")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, strings.Count(logs.String(), "dropped slow client"), logs.String())
}
