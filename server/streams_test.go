package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertStreamHeaders(t *testing.T, resp *http.Response, ct string) {
	t.Helper()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, ct, resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache, no-transform", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no", resp.Header.Get("X-Accel-Buffering"))
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "streams are never compressed")
}

var attrName = regexp.MustCompile(`^[0-9a-zA-Z_-]{1,255}$`)

func TestLosantDeviceStream(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	for _, path := range []string{"/api/stream/devices/gen-7", "/api/device/stream"} {
		resp := get(t, ts, path, map[string]string{"Accept-Encoding": "gzip, br"})
		assertStreamHeaders(t, resp, "text/event-stream; charset=utf-8")
		r := readSSE(t, resp, 3, 10*time.Second)
		require.Len(t, r.events, 3, "%v", r.err)
		for _, e := range r.events {
			assert.Equal(t, "mqttMessage", e.Type)
			assert.Empty(t, e.ID, "Losant sends no ids")
			var outer struct {
				Topic   string `json:"topic"`
				Message string `json:"message"`
				Time    string `json:"time"`
			}
			require.NoError(t, json.Unmarshal([]byte(e.Data), &outer))
			assert.Regexp(t, `^losant/(gen-7|generator-1)/state$`, outer.Topic)
			assert.True(t, strings.HasPrefix(e.Data, `{"topic":`), "Losant's member order")
			_, err := time.Parse(time.RFC3339, outer.Time)
			assert.NoError(t, err)
			state := decodeJSON(t, outer.Message) // the nested JSON text
			data := state["data"].(map[string]any)
			for k, v := range data {
				assert.Regexp(t, attrName, k)
				assert.IsType(t, float64(0), v)
			}
			assert.Contains(t, data, "temperature")
			assert.Contains(t, data, "voltage")
			assert.Contains(t, data, "rpm")
		}
	}
}

func TestCustomTopicsAndPublish(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	resp := get(t, ts, "/api/stream/topics/plant/line-1/alarms", nil)
	assertStreamHeaders(t, resp, "text/event-stream; charset=utf-8")
	got := make(chan streamResult, 1)
	go func() { got <- readSSE(t, resp, 2, 10*time.Second) }()
	// Publish until the subscriber is registered (the stream has opened).
	post := func(body string) *http.Response {
		res, err := http.Post(ts.URL+"/api/publish/plant/line-1/alarms", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		return res
	}
	res := post(`{"level":"high","value":3}`)
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, float64(1), jsonBody(t, res)["subscribers"])
	require.Equal(t, 200, post(`{"message":"free text, not JSON"}`).StatusCode)
	r := <-got
	require.Len(t, r.events, 2, "%v", r.err)
	first := decodeJSON(t, r.events[0].Data)
	assert.Equal(t, "plant/line-1/alarms", first["topic"])
	assert.JSONEq(t, `{"level":"high","value":3}`, first["message"].(string))
	assert.Equal(t, "free text, not JSON", decodeJSON(t, r.events[1].Data)["message"])

	for body, status := range map[string]int{`{broken`: 400, strings.Repeat("x", 40000): 413} {
		res := post(body)
		assert.Equal(t, status, res.StatusCode)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		assert.NotEmpty(t, jsonBody(t, res)["error"])
	}
	res, err := http.Post(ts.URL+"/api/publish/bad/+/wildcard", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	assert.Equal(t, 400, res.StatusCode)
}

func TestExperienceAuth(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.experienceAuth = true
	_, ts := startServer(t, cfg)
	resp := get(t, ts, "/api/stream/devices/d1", nil)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, float64(401), jsonBody(t, resp)["code"])
	assert.Equal(t, 401, get(t, ts, "/api/stream/devices/d1?authorization=wrong", nil).StatusCode)
	for _, c := range []struct {
		path   string
		header map[string]string
	}{
		{"/api/stream/devices/d1?authorization=demo-token", nil},
		{"/api/stream/devices/d1", map[string]string{"Authorization": "Bearer demo-token"}},
		{"/api/stream/devices/d1", map[string]string{"Cookie": "authorization=demo-token"}},
	} {
		resp := get(t, ts, c.path, c.header)
		assert.Equal(t, 200, resp.StatusCode, c)
		resp.Body.Close()
	}
}

func TestLosantStateStream(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	const path = "/applications/5a1b2c3d4e5f60718293a4b5/devices/demo-gen/stateStream"
	bearer := map[string]string{"Authorization": "Bearer demo-token"}
	assert.Equal(t, 401, get(t, ts, path, nil).StatusCode)
	assert.Equal(t, 404, get(t, ts, "/applications/nope/devices/demo-gen/stateStream", bearer).StatusCode)
	assert.Equal(t, 404, get(t, ts, "/applications/demo/devices/nope/stateStream", bearer).StatusCode)
	bad := get(t, ts, path+"?keepAliveInterval=soon", bearer)
	assert.Equal(t, 400, bad.StatusCode)
	assert.Contains(t, jsonBody(t, bad)["error"], "keepAliveInterval")

	resp := get(t, ts, path+"?keepAliveInterval=0.05", bearer)
	assertStreamHeaders(t, resp, "text/event-stream; charset=utf-8")
	lines := rawLines(resp, 10*time.Second, func(l []string) bool {
		return count(l, ": heartbeat") >= 3 && count(l, "event: deviceState") >= 2
	})
	assert.GreaterOrEqual(t, count(lines, ": heartbeat"), 3, "keep-alives at keepAliveInterval")
	for _, l := range lines {
		if d, ok := strings.CutPrefix(l, "data: "); ok {
			st := decodeJSON(t, d)
			assert.Equal(t, "demo-gen", st["deviceId"])
			assert.Contains(t, st["data"], "temperature")
		}
	}
}

func basic(u, p string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
}

func TestDTAuth(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	const path = "/v2/projects/p1/devices:stream"
	for _, h := range []map[string]string{nil, basic("demo", "wrong"), {"Authorization": "Bearer nope"}} {
		resp := get(t, ts, path, h)
		assert.Equal(t, 401, resp.StatusCode)
		body := jsonBody(t, resp)
		assert.Equal(t, "unauthenticated", body["error"])
		assert.Equal(t, float64(401), body["code"])
	}
	for _, c := range []struct {
		q string
		h map[string]string
	}{{"", basic("demo", "demo")}, {"", map[string]string{"Authorization": "Bearer demo-token"}}, {"?token=demo-token", nil}} {
		resp := get(t, ts, path+c.q, c.h)
		assert.Equal(t, 200, resp.StatusCode)
		resp.Body.Close()
	}
}

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

func TestDTStreamFormatsFiltersAndPings(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	auth := basic("demo", "demo")

	resp := get(t, ts, "/v2/projects/p1/devices:stream", auth)
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
	resp = get(t, ts, "/v2/projects/p1/devices:stream", map[string]string{"Authorization": auth["Authorization"], "Accept": "text/event-stream"})
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
		resp := get(t, ts, "/v2/projects/p1/devices:stream?"+q, auth)
		lines, err := readLines(t, resp, 4, 20*time.Second)
		require.Len(t, lines, 4, "%s: %v", q, err)
		for _, l := range lines {
			assert.True(t, check(parseDT(t, l)), "%s: %s", q, l)
		}
	}

	// Pings at ping_interval, targeting the project, data null.
	resp = get(t, ts, "/v2/projects/p1/devices:stream?ping_interval=200ms&device_ids=none", auth)
	start := time.Now()
	lines, err = readLines(t, resp, 3, 10*time.Second)
	require.Len(t, lines, 3, "%v", err)
	for _, l := range lines {
		e := parseDT(t, l)
		assert.Equal(t, "ping", e.Result.Event.EventType)
		assert.Equal(t, "projects/p1", e.Result.Event.TargetName)
		assert.Equal(t, "null", string(e.Result.Event.Data))
	}
	// Three pings 200 ms apart take at least 600 ms: the interval is honoured,
	// not ignored (a lower bound only; the machine may be slow).
	assert.GreaterOrEqual(t, time.Since(start), 550*time.Millisecond)

	bad := get(t, ts, "/v2/projects/p1/devices:stream?ping_interval=often", auth)
	assert.Equal(t, 400, bad.StatusCode)
}

func TestDTLifetimeAnd408(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	_, ts := startServer(t, cfg)
	auth := basic("demo", "demo")
	// An idle stream (no event matches) ends with an in-band 408.
	resp := get(t, ts, "/v2/projects/p1/devices:stream?lifetime=300ms&device_ids=none&ping_interval=100ms", auth)
	lines, err := readLines(t, resp, 1000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	require.NotEmpty(t, lines)
	last := parseDT(t, lines[len(lines)-1])
	require.NotNil(t, last.Error, "the last line is an error: %v", lines)
	assert.Equal(t, 408, last.Error.Code)
	assert.Equal(t, "closing stream", last.Error.Message)
	// A stream that carried events just ends.
	resp = get(t, ts, "/v2/projects/p1/devices:stream?lifetime=500ms", auth)
	lines, err = readLines(t, resp, 1000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	require.NotEmpty(t, lines)
	for _, l := range lines {
		assert.Nil(t, parseDT(t, l).Error)
	}
	// The server-wide lifetime (the token's) applies too.
	cfg.tokenLifetime = 200 * time.Millisecond
	_, ts2 := startServer(t, cfg)
	resp = get(t, ts2, "/v2/projects/p1/devices:stream?lifetime=1h", auth)
	_, err = readLines(t, resp, 100000, 10*time.Second)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, 400, get(t, ts, "/v2/projects/p1/devices:stream?lifetime=-1s", auth).StatusCode)
}

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
