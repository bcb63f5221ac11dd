package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeedStreams(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	r := readSSE(t, get(t, ts, "/live-users", nil), 3, 10*time.Second)
	require.Len(t, r.events, 3)
	for _, e := range r.events {
		assert.Equal(t, "message", e.Type)
		_, err := strconv.Atoi(e.Data)
		assert.NoError(t, err, e.Data)
	}
	r = readSSE(t, get(t, ts, "/smart-home", nil), 9, 10*time.Second)
	require.Len(t, r.events, 9)
	rooms := map[string]int{}
	for _, e := range r.events {
		rooms[e.Type]++
		d := decodeJSON(t, e.Data)
		assert.Contains(t, []any{"open", "closed"}, d["blinds"])
		assert.Contains(t, []any{"on", "off"}, d["lights"])
	}
	for room := range rooms {
		assert.Contains(t, []string{"kitchen", "livingroom", "bedroom"}, room)
	}
	assert.Greater(t, rooms["kitchen"], rooms["bedroom"], "the kitchen reports most often: %v", rooms)
	r = readSSE(t, get(t, ts, "/heartbeat", nil), 2, 10*time.Second)
	require.Len(t, r.events, 2)
	for _, e := range r.events {
		assert.Equal(t, "heartbeat", e.Type)
		assert.Equal(t, "OK", decodeJSON(t, e.Data)["status"])
	}
}
