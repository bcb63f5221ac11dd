package main

import (
	"io"
	"net/http"
	"strings"
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

// TestControlRefusesCrossSiteRequests: the control endpoints act only on
// JSON requests from the server's own pages. A form or text/plain POST is a
// "simple" request any web page can send without a preflight; a JSON one
// needs a preflight, which gets no CORS permission.
func TestControlRefusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, testConfig(t))
	host := strings.TrimPrefix(ts.URL, "http://")
	resp := get(t, ts, "/api/stream/topics/csrf", nil)
	require.Equal(t, 200, resp.StatusCode)

	post := func(path, ct string, header map[string]string, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := ts.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	paths := []string{"/api/streams/stall", "/api/streams/kill", "/api/publish/csrf"}
	for _, p := range paths {
		for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
			"multipart/form-data; boundary=x", "application/jsonx", "text/json"} {
			res := post(p, ct, nil, `{"message":"forged"}`)
			assert.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode, "%s with Content-Type %q", p, ct)
			assert.Contains(t, jsonBody(t, res)["error"], "application/json", p)
		}
		for _, h := range []map[string]string{
			{"Origin": "http://evil.example"},
			{"Origin": "null"},
			{"Origin": "http://" + host + ".evil.example"},
			{"Sec-Fetch-Site": "cross-site"},
			{"Origin": "http://" + host, "Sec-Fetch-Site": "cross-site"},
		} {
			res := post(p, "application/json", h, `{}`)
			assert.Equal(t, http.StatusForbidden, res.StatusCode, "%s with %v", p, h)
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		}
		// The preflight a cross-site JSON request needs gets no permission.
		req, err := http.NewRequest(http.MethodOptions, ts.URL+p, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		res, err := ts.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.GreaterOrEqual(t, res.StatusCode, 400, "OPTIONS %s", p)
		for k := range res.Header {
			assert.NotContains(t, strings.ToLower(k), "access-control-", "OPTIONS %s", p)
		}
		// Bodies are bounded (a size the kernel buffers take whole, so that
		// the client is not still writing when the server says no).
		res = post(p, "application/json", nil, `{"message":"`+strings.Repeat("x", 100<<10)+`"}`)
		assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, p)
	}
	// The stream is still open: nothing above stalled or killed it, or
	// published on its topic.
	res := post("/api/publish/csrf", "application/json", map[string]string{
		"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}, `{"message":"real"}`)
	assert.Equal(t, http.StatusOK, res.StatusCode, "the server's own pages may publish")
	r := readSSE(t, resp, 1, 10*time.Second)
	require.Len(t, r.events, 1)
	assert.Contains(t, r.events[0].Data, `"message":"real"`, "the first event is the real one")
	for _, p := range paths[:2] {
		res := post(p, "application/json; charset=utf-8", map[string]string{"Origin": "http://" + host}, "")
		assert.Equal(t, http.StatusOK, res.StatusCode, p)
	}
}
