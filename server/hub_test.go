package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// blockingWriter is a client that stops reading: every write blocks until
// released.
type blockingWriter struct {
	header  http.Header
	release chan struct{}
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
	const topic = mqttHubPrefix + "slow"

	// A fast client reading everything, counting as it goes.
	fast := get(t, ts, "/api/stream/topics/slow", nil)
	var got atomic.Int64
	go forEachEvent(fast.Body, func(sse.Event) { got.Add(1) })

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
