package main

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSimulationsRunWithoutListeners: a client that was away missed what
// happened meanwhile. The heartbeat's count and the stock prices went on
// with nobody listening; a resume from Last-Event-ID gets what was missed,
// with no keeper connection holding the topic open.
func TestSimulationsRunWithoutListeners(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t)) // speed 20: a beat every 50 ms, a trade every 25 ms

	beat := func() int {
		r := readSSE(t, get(t, ts, "/heartbeat", nil), 1, 10*time.Second)
		require.Len(t, r.events, 1)
		n, err := strconv.Atoi(r.events[0].ID)
		require.NoError(t, err)
		return n
	}
	first := beat()
	time.Sleep(500 * time.Millisecond) // about ten beats with nobody listening
	assert.GreaterOrEqual(t, beat()-first, 5, "the count went on while nobody listened")

	r := readSSE(t, get(t, ts, "/stock-prices/ACME", nil), 3, 10*time.Second)
	require.Len(t, r.events, 3)
	last := r.events[2].ID
	time.Sleep(500 * time.Millisecond) // about twenty trades missed
	resumed := readSSE(t, get(t, ts, "/stock-prices/ACME", map[string]string{"Last-Event-ID": last}), 10, 10*time.Second)
	require.Len(t, resumed.events, 10)
	prev, _ := strconv.Atoi(last)
	for _, e := range resumed.events {
		id, err := strconv.Atoi(e.ID)
		require.NoError(t, err)
		assert.Equal(t, prev+1, id, "the missed events come first, in order, none lost")
		prev = id
	}
}

// TestFirstEventsComePromptly: at real speed, every stream's first event
// comes within about a second of connecting, on-demand sources included.
func TestFirstEventsComePromptly(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.speed = 1
	_, ts := startServer(t, cfg)
	for _, c := range []struct {
		path   string
		header map[string]string
		events int
		within time.Duration
	}{
		{"/live-users", nil, 1, 500 * time.Millisecond}, // the current count, at once
		{"/smart-home", nil, 3, 500 * time.Millisecond}, // every room's state, the bedroom's too, at once
		{"/heartbeat", nil, 1, 2 * time.Second},         // a beat a second
		{"/stock-prices/ACME", nil, 1, 2 * time.Second},
		{"/stock-prices/NEWCO", nil, 1, 800 * time.Millisecond}, // starts on demand, trades at once
		{"/api/stream/devices/never-seen-before", nil, 1, 800 * time.Millisecond},
		{"/api/device/stream", nil, 1, 2 * time.Second},
		{"/v2/projects/fresh/devices:stream", dtSSE, 1, 800 * time.Millisecond},
	} {
		start := time.Now()
		r := readSSE(t, get(t, ts, c.path, c.header), c.events, 5*time.Second)
		require.Len(t, r.events, c.events, c.path)
		assert.Less(t, time.Since(start), c.within, c.path)
	}
}

// TestValuesMoveLikeTheirCounterparts: counts change by a few people at a
// time, temperatures drift slowly, prices move in cents by small steps.
func TestValuesMoveLikeTheirCounterparts(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))

	r := readSSE(t, get(t, ts, "/live-users", nil), 30, 10*time.Second)
	require.Len(t, r.events, 30)
	var users []int
	for _, e := range r.events {
		n, err := strconv.Atoi(e.Data)
		require.NoError(t, err)
		users = append(users, n)
	}
	distinct := map[int]bool{}
	for i, n := range users {
		distinct[n] = true
		assert.GreaterOrEqual(t, n, 0)
		if i > 0 {
			assert.LessOrEqual(t, math.Abs(float64(n-users[i-1])), 8.0, "people arrive and leave a few at a time: %v", users)
		}
	}
	assert.Greater(t, len(distinct), 2, "the count changes: %v", users)

	r = readSSE(t, get(t, ts, "/stock-prices/GLOBX", nil), 40, 10*time.Second)
	require.Len(t, r.events, 40)
	var prices []float64
	for _, e := range r.events {
		if e.Type == "message" {
			prices = append(prices, decodeJSON(t, e.Data)["price"].(float64))
		}
	}
	require.Greater(t, len(prices), 10)
	for i, p := range prices {
		assert.InDelta(t, math.Round(p*100), p*100, 1e-6, "whole cents: %v", p)
		if i > 0 {
			assert.Less(t, math.Abs(p/prices[i-1]-1), 0.01, "a trade moves the price by well under 1 %%: %v", prices)
		}
	}

	r = readSSE(t, get(t, ts, "/api/stream/devices/generator-2", nil), 20, 10*time.Second)
	require.Len(t, r.events, 20)
	var temps []float64
	for _, e := range r.events {
		state := decodeJSON(t, decodeJSON(t, e.Data)["message"].(string))
		temps = append(temps, state["data"].(map[string]any)["temperature"].(float64))
	}
	for i := 1; i < len(temps); i++ {
		assert.Less(t, math.Abs(temps[i]-temps[i-1]), 5.0, "a generator's temperature drifts, it does not jump: %v", temps)
	}
}

// TestSeedMakesRunsReproducible: with the same -seed two servers produce the
// same values (the stock history from the first trade on), with another seed
// other values.
func TestSeedMakesRunsReproducible(t *testing.T) {
	t.Parallel()
	prices := func(seed uint64) []any {
		cfg := testConfig(t)
		cfg.seed = seed
		_, ts := startServer(t, cfg)
		r := readSSE(t, get(t, ts, "/stock-prices/AAPL", map[string]string{"Last-Event-ID": "1"}), 8, 10*time.Second)
		require.Len(t, r.events, 8)
		var out []any
		for _, e := range r.events {
			if e.Type == "message" {
				out = append(out, decodeJSON(t, e.Data)["price"])
			} else {
				out = append(out, "delete "+e.Data)
			}
		}
		return out
	}
	a, b, c := prices(7), prices(7), prices(8)
	assert.Equal(t, a, b, "the same seed, the same run")
	assert.NotEqual(t, a, c, "another seed, another run")
}

// TestTopicsAndSimulationsAreBounded: names clients make up (custom topics,
// device ids, symbols) leave nothing behind once unused: hub topics go with
// their last subscriber, on-demand simulations after the idle time, and no
// more than maxIdleSims unused ones are kept meanwhile.
func TestTopicsAndSimulationsAreBounded(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.simIdle = 300 * time.Millisecond
	s, ts := startServer(t, cfg)
	base := s.hub.topicCount()

	for i := range 20 {
		resp := get(t, ts, fmt.Sprintf("/api/stream/topics/made/up/%d", i), nil)
		require.Equal(t, 200, resp.StatusCode)
		resp.Body.Close()
	}
	require.Eventually(t, func() bool { return s.hub.topicCount() == base }, 5*time.Second, 10*time.Millisecond,
		"custom topics go with their last subscriber")

	resp := get(t, ts, "/stock-prices/TMP", nil)
	require.Len(t, readSSE(t, resp, 1, 5*time.Second).events, 1)
	require.True(t, s.sim.runs("stock/TMP"))
	resp.Body.Close()
	require.Eventually(t, func() bool { return !s.sim.runs("stock/TMP") }, 5*time.Second, 20*time.Millisecond,
		"an on-demand simulation stops after the idle time")
	require.Eventually(t, func() bool { return s.hub.topicCount() == base }, 5*time.Second, 10*time.Millisecond)

	// Many ids at once: at most maxIdleSims unused simulations stay.
	for i := range maxIdleSims + 20 {
		s.sim.ensure(fmt.Sprintf("losant/made-up-%d", i), s.sim.losantDevice, mqttHubPrefix+losantStateTopic(fmt.Sprintf("made-up-%d", i)))
	}
	s.sim.mu.Lock()
	onDemand := 0
	for _, run := range s.sim.running {
		if !run.pinned {
			onDemand++
		}
	}
	s.sim.mu.Unlock()
	assert.LessOrEqual(t, onDemand, maxIdleSims)
	assert.True(t, s.sim.runs("stock/ACME"), "the fleet runs on")
}
