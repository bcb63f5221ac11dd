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

	// What the document's page reads: blinds and lights in the kitchen,
	// curtains and lights in the living room and the bedroom.
	r = readSSE(t, get(t, ts, "/smart-home", nil), 12, 10*time.Second)
	require.Len(t, r.events, 12)
	rooms := map[string]int{}
	for i, e := range r.events {
		rooms[e.Type]++
		d := decodeJSON(t, e.Data)
		assert.Contains(t, []any{"on", "off"}, d["lights"], e.Data)
		assert.IsType(t, float64(0), d["temperature"], e.Data)
		switch e.Type {
		case "kitchen":
			assert.Contains(t, []any{"open", "closed"}, d["blinds"], e.Data)
			assert.NotContains(t, d, "curtains", e.Data)
		case "livingroom", "bedroom":
			assert.Contains(t, []any{"open", "closed"}, d["curtains"], e.Data)
			assert.NotContains(t, d, "blinds", e.Data)
		default:
			t.Errorf("unexpected room %q", e.Type)
		}
		if i == 2 {
			assert.Len(t, rooms, 3, "a new client gets every room's state at once: %v", rooms)
		}
	}
	assert.Greater(t, rooms["kitchen"], rooms["bedroom"], "the kitchen reports most often: %v", rooms)

	// The document's client compares the data with 'OK'; the beat count is
	// the id. /api/heartbeat is the document's relative URL.
	for _, path := range []string{"/heartbeat", "/api/heartbeat"} {
		r = readSSE(t, get(t, ts, path, nil), 3, 10*time.Second)
		require.Len(t, r.events, 3)
		prev := 0
		for _, e := range r.events {
			assert.Equal(t, "heartbeat", e.Type)
			assert.Equal(t, "OK", e.Data)
			n, err := strconv.Atoi(e.ID)
			require.NoError(t, err, e.ID)
			if prev != 0 {
				assert.Equal(t, prev+1, n, "beats count up")
			}
			prev = n
		}
	}
}
