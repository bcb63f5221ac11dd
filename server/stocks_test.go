package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStockResumeNothingLostNothingRepeated(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	// A second client keeps the symbol's topic alive while the first is away.
	keeper := get(t, ts, "/stock-prices/ACME", nil)
	keeperGot := make(chan streamResult, 1)
	go func() { keeperGot <- readSSE(t, keeper, 40, 30*time.Second) }()

	first := readSSE(t, get(t, ts, "/stock-prices/acme", nil), 5, 10*time.Second)
	require.Len(t, first.events, 5)
	lastID := first.events[4].ID
	// Away while more events are published; then resume.
	k := <-keeperGot
	require.Len(t, k.events, 40)
	resp := get(t, ts, "/stock-prices/ACME", map[string]string{"Last-Event-ID": lastID})
	second := readSSE(t, resp, 10, 10*time.Second)
	require.Len(t, second.events, 10)
	prev, _ := strconv.Atoi(lastID)
	for _, e := range append(first.events[4:5:5], second.events...)[1:] {
		id, err := strconv.Atoi(e.ID)
		require.NoError(t, err)
		assert.Equal(t, prev+1, id, "ids follow on with no gap and no repeat")
		prev = id
	}
	// Records and tombstones: a delete names a key published before.
	keys := map[string]bool{}
	for _, e := range append(first.events, second.events...) {
		switch e.Type {
		case "message":
			keys[decodeJSON(t, e.Data)["key"].(string)] = true
		case "delete":
			assert.Regexp(t, `^ACME-\d+$`, e.Data)
		default:
			t.Fatalf("unexpected event %q", e.Type)
		}
	}
	assert.NotEmpty(t, keys)

	// An id the history no longer holds: a reset event first, then live.
	resp = get(t, ts, "/stock-prices/ACME", map[string]string{"Last-Event-ID": "999999"})
	r := readSSE(t, resp, 2, 10*time.Second)
	require.Len(t, r.events, 2)
	assert.Equal(t, "reset", r.events[0].Type)
	assert.JSONEq(t, `{"reason":"history-lost","lastEventId":"999999"}`, r.events[0].Data)
	assert.NotEqual(t, "reset", r.events[1].Type)

	bad := get(t, ts, "/stock-prices/TOOLONGSYMBOL", nil)
	assert.Equal(t, 400, bad.StatusCode)
}
