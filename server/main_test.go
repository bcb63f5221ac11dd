package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
