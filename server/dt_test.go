package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dtPath = "/v2/projects/p1/devices:stream"

// dtAuth and dtSSE are a client's headers: HTTP Basic, asking for NDJSON (the
// default) or for SSE.
var (
	dtAuth = basic("demo", "demo")
	dtSSE  = map[string]string{"Authorization": dtAuth["Authorization"], "Accept": "text/event-stream"}
)

type dtEnvelopeJSON struct {
	Result *struct {
		Event struct {
			EventID    string          `json:"eventId"`
			TargetName string          `json:"targetName"`
			EventType  string          `json:"eventType"`
			Data       json.RawMessage `json:"data"`
			Timestamp  string          `json:"timestamp"`
		} `json:"event"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseDT(t *testing.T, line string) dtEnvelopeJSON {
	t.Helper()
	var e dtEnvelopeJSON
	require.NoError(t, json.Unmarshal([]byte(line), &e), line)
	return e
}

// assertDTPing checks a ping: the service's envelope, targeting the project,
// data null.
func assertDTPing(t *testing.T, line string) {
	t.Helper()
	e := parseDT(t, line)
	require.NotNil(t, e.Result, line)
	assert.Equal(t, "ping", e.Result.Event.EventType)
	assert.Equal(t, "projects/p1", e.Result.Event.TargetName)
	assert.Equal(t, "null", string(e.Result.Event.Data))
	assert.Regexp(t, `^[0-9a-v]{20}$`, e.Result.Event.EventID)
	assert.True(t, strings.HasPrefix(line, `{"result":{"event":{"eventId":`), "the service's member order")
}

func TestDTAuth(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	for _, h := range []map[string]string{nil, basic("demo", "wrong"), {"Authorization": "Bearer nope"}} {
		resp := get(t, ts, dtPath, h)
		assert.Equal(t, 401, resp.StatusCode)
		body := jsonBody(t, resp)
		assert.Equal(t, "unauthenticated", body["error"])
		assert.Equal(t, float64(401), body["code"])
	}
	for _, c := range []struct {
		q string
		h map[string]string
	}{{"", dtAuth}, {"", map[string]string{"Authorization": "Bearer demo-token"}}, {"?token=demo-token", nil}} {
		resp := get(t, ts, dtPath+c.q, c.h)
		assert.Equal(t, 200, resp.StatusCode)
		resp.Body.Close()
	}
}

func TestDTStreamFormatsAndFilters(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))

	resp := get(t, ts, dtPath, dtAuth)
	assertStreamHeaders(t, resp, "application/json")
	lines, err := readLines(t, resp, 10, 10*time.Second)
	require.Len(t, lines, 10, "%v", err)
	types := map[string]bool{}
	for _, l := range lines {
		e := parseDT(t, l)
		require.NotNil(t, e.Result)
		assert.Regexp(t, `^projects/p1/devices/emu`, e.Result.Event.TargetName)
		assert.Regexp(t, `^[0-9a-v]{20}$`, e.Result.Event.EventID)
		assert.True(t, strings.HasPrefix(l, `{"result":{"event":{"eventId":`), "the service's member order")
		var data map[string]any
		require.NoError(t, json.Unmarshal(e.Result.Event.Data, &data))
		assert.Contains(t, data, e.Result.Event.EventType, "data is keyed by the event type")
		types[e.Result.Event.EventType] = true
	}
	assert.GreaterOrEqual(t, len(types), 2, "several sensor types: %v", types)

	// SSE when asked for: data lines only.
	resp = get(t, ts, dtPath, dtSSE)
	assertStreamHeaders(t, resp, "text/event-stream; charset=utf-8")
	r := readSSE(t, resp, 3, 10*time.Second)
	require.Len(t, r.events, 3)
	for _, e := range r.events {
		assert.Equal(t, "message", e.Type)
		assert.Empty(t, e.ID)
		assert.NotNil(t, parseDT(t, e.Data).Result)
	}

	// Filters.
	for q, check := range map[string]func(dtEnvelopeJSON) bool{
		"device_ids=emuc0f8fridge000000a&device_ids=emuc0f8desk0button0c": func(e dtEnvelopeJSON) bool {
			return strings.HasSuffix(e.Result.Event.TargetName, "fridge000000a") || strings.HasSuffix(e.Result.Event.TargetName, "button0c")
		},
		"event_types=temperature": func(e dtEnvelopeJSON) bool { return e.Result.Event.EventType == "temperature" },
		"label_filters=room=office&event_types=touch&event_types=humidity": func(e dtEnvelopeJSON) bool {
			return e.Result.Event.EventType == "touch" || e.Result.Event.EventType == "humidity"
		},
		"device_types=proximity": func(e dtEnvelopeJSON) bool { return strings.Contains(e.Result.Event.TargetName, "frontdoor") },
	} {
		resp := get(t, ts, dtPath+"?"+q, dtAuth)
		lines, err := readLines(t, resp, 4, 20*time.Second)
		require.Len(t, lines, 4, "%s: %v", q, err)
		for _, l := range lines {
			assert.True(t, check(parseDT(t, l)), "%s: %s", q, l)
		}
	}
}

// TestDTPingsOnTheWire: a ping goes on the wire as the service sends it, a
// result envelope whose eventType is "ping", in both formats, at
// ping_interval. In SSE mode every frame, ping or event, carries only a data
// field: no event field, no id field.
func TestDTPingsOnTheWire(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	const path = dtPath + "?ping_interval=100ms"

	t.Run("sse", func(t *testing.T) {
		resp := get(t, ts, path, dtSSE)
		assertStreamHeaders(t, resp, "text/event-stream; charset=utf-8")
		var raw bytes.Buffer // the bytes as they came, read after the decoder is done
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(resp.Body, &raw), resp.Body}
		r := readSSE(t, resp, 30, 10*time.Second)
		require.Len(t, r.events, 30, "%v", r.err)
		pings := 0
		for _, e := range r.events {
			assert.Equal(t, "message", e.Type, "no event field: %s", e.Data)
			assert.Empty(t, e.ID, "no id field")
			env := parseDT(t, e.Data)
			require.NotNil(t, env.Result, e.Data)
			if env.Result.Event.EventType == "ping" {
				pings++
				assertDTPing(t, e.Data)
			}
		}
		assert.GreaterOrEqual(t, pings, 2, "pings arrive as data envelopes")
		for _, l := range strings.Split(raw.String(), "\n") {
			assert.True(t, l == "" || strings.HasPrefix(l, "data: "), "only data lines: %q", l)
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		resp := get(t, ts, path, dtAuth)
		assertStreamHeaders(t, resp, "application/json")
		lines, err := readLines(t, resp, 30, 10*time.Second)
		require.Len(t, lines, 30, "%v", err)
		pings := 0
		for _, l := range lines {
			env := parseDT(t, l)
			require.NotNil(t, env.Result, l)
			if env.Result.Event.EventType == "ping" {
				pings++
				assertDTPing(t, l)
			}
		}
		assert.GreaterOrEqual(t, pings, 2, "pings arrive as result envelopes")
	})
	t.Run("interval", func(t *testing.T) {
		resp := get(t, ts, dtPath+"?ping_interval=200ms&device_ids=none", dtAuth)
		start := time.Now()
		lines, err := readLines(t, resp, 3, 10*time.Second)
		require.Len(t, lines, 3, "%v", err)
		for _, l := range lines {
			assertDTPing(t, l)
		}
		// Three pings 200 ms apart take at least 600 ms: the interval is
		// honoured, not ignored (a lower bound only; the machine may be slow).
		assert.GreaterOrEqual(t, time.Since(start), 550*time.Millisecond)

		bad := get(t, ts, dtPath+"?ping_interval=often", dtAuth)
		assert.Equal(t, 400, bad.StatusCode)
	})
}

func TestDTLifetimeAnd408(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	_, ts := startServer(t, cfg)
	// An idle stream (no event matches) ends with an in-band 408.
	resp := get(t, ts, dtPath+"?lifetime=300ms&device_ids=none&ping_interval=100ms", dtAuth)
	lines, err := readLines(t, resp, 1000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	require.NotEmpty(t, lines)
	last := parseDT(t, lines[len(lines)-1])
	require.NotNil(t, last.Error, "the last line is an error: %v", lines)
	assert.Equal(t, 408, last.Error.Code)
	assert.Equal(t, "closing stream", last.Error.Message)
	// A stream that carried events just ends.
	resp = get(t, ts, dtPath+"?lifetime=500ms", dtAuth)
	lines, err = readLines(t, resp, 1000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	require.NotEmpty(t, lines)
	for _, l := range lines {
		assert.Nil(t, parseDT(t, l).Error)
	}
	// The server-wide lifetime (the token's) applies too.
	cfg.tokenLifetime = 200 * time.Millisecond
	_, ts2 := startServer(t, cfg)
	resp = get(t, ts2, dtPath+"?lifetime=1h", dtAuth)
	_, err = readLines(t, resp, 100000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, 400, get(t, ts, dtPath+"?lifetime=-1s", dtAuth).StatusCode)
}

// The fridge and the freezer hold their ranges: their compressors beat the
// leak, so the sawtooth stays near the thermostat's marks.
func TestThermostatsHoldTheirRange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, th := range []*thermostat{
		{v: 4, low: 2.5, high: 5, room: 21, power: 0.5},
		{v: -18, low: -20, high: -16.5, room: 21, power: 1.2},
	} {
		lo, hi := th.v, th.v
		for i := 0; i < 2000; i++ {
			v := th.step(r)
			lo, hi = min(lo, v), max(hi, v)
		}
		assert.Greater(t, lo, th.low-2, "low")
		assert.Less(t, hi, th.high+6, "high: a door left open warms it for a while, no more")
		assert.Less(t, hi-lo, 10.0)
	}
}
