package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

func TestControlStallAndKill(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	// A reader that timestamps every event as it arrives.
	resp := get(t, ts, "/heartbeat", nil) // an event every 100 ms at this speed
	arrivals := make(chan time.Time, 1000)
	go func() {
		forEachEvent(resp.Body, func(sse.Event) { arrivals <- time.Now() })
		close(arrivals)
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
