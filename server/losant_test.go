package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
