package main

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
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

// TestStockResumeUnderForcedDrops: over many forced drops — the server ending
// the response (close_after) and the client cutting it mid-event (drip, every
// byte on its own) — a client that resumes from the last event it received
// gets every id once: 0 lost, 0 duplicated.
func TestStockResumeUnderForcedDrops(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.speed = 100 // an event every 5 ms
	_, ts := startServer(t, cfg)
	// A reader that keeps the topic publishing while the client is away.
	keeper := get(t, ts, "/stock-prices/LOSS", nil)
	go forEachEvent(keeper.Body, func(sse.Event) {})

	var ids []int
	last := ""
	const drops = 30
	for i := range drops {
		header := map[string]string{}
		if last != "" {
			header["Last-Event-ID"] = last
		}
		if i%2 == 0 {
			r := readSSE(t, get(t, ts, "/stock-prices/LOSS?close_after=3", header), 100, 10*time.Second)
			require.ErrorIs(t, r.err, io.EOF, "drop %d: the server ends the response", i)
			require.Len(t, r.events, 3)
			for _, e := range r.events {
				id, err := strconv.Atoi(e.ID)
				require.NoError(t, err)
				ids = append(ids, id)
				last = e.ID
			}
			continue
		}
		// Cut after some bytes, wherever that falls: mostly inside an event,
		// whose partial bytes the client discards.
		resp := get(t, ts, "/stock-prices/LOSS?drip=1", header)
		var d sse.Decoder
		cut := 150 + 37*i
		buf := make([]byte, 64)
		for n := 0; n < cut; {
			k, err := resp.Body.Read(buf[:min(len(buf), cut-n)])
			require.NoError(t, d.Decode(buf[:k], func(e sse.Event) {
				id, err := strconv.Atoi(e.ID)
				require.NoError(t, err)
				ids = append(ids, id)
				last = e.ID
			}))
			require.NoError(t, err)
			n += k
		}
		resp.Body.Close()
	}
	require.NotEmpty(t, ids)
	lost, dup := 0, 0
	for i := 1; i < len(ids); i++ {
		switch d := ids[i] - ids[i-1]; {
		case d <= 0:
			dup++
		case d > 1:
			lost += d - 1
		}
	}
	assert.Zero(t, lost, "ids lost across %d drops", drops)
	assert.Zero(t, dup, "ids repeated across %d drops", drops)
	assert.Greater(t, len(ids), drops, "events arrived between the drops")
}
