package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chat route echoes the request, streams the answer word by word with
// ids, and resumes after Last-Event-ID.
func TestChatStreamsAndResumes(t *testing.T) {
	cfg := testConfig(t)
	cfg.speed = 20
	_, ts := startServer(t, cfg)
	post := func(body, leid string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/api/chat", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if leid != "" {
			req.Header.Set("Last-Event-ID", leid)
		}
		resp, err := ts.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := post(`{"prompt":"héllo wörld"}`, "")
	require.Equal(t, 200, resp.StatusCode)
	assertStreamHeaders(t, resp, "text/event-stream")
	r := readSSE(t, resp, 9, 5*time.Second)
	require.Len(t, r.events, 9)
	assert.Equal(t, "echo", r.events[0].Type)
	echo := decodeJSON(t, r.events[0].Data)
	assert.Equal(t, "POST", echo["method"])
	assert.Equal(t, `{"prompt":"héllo wörld"}`, echo["body"])
	var words []string
	for i, e := range r.events[1:8] {
		assert.Equal(t, "token", e.Type)
		assert.Equal(t, strings.TrimSpace(string(rune('1'+i))), e.ID)
		words = append(words, e.Data)
	}
	assert.Equal(t, "You said: héllo wörld — 2 words.", strings.Join(words, " "))
	assert.Equal(t, "done", r.events[8].Type)

	resp = post(`{"prompt":"héllo wörld"}`, "3")
	r = readSSE(t, resp, 5, 5*time.Second)
	require.Len(t, r.events, 5)
	assert.Equal(t, "3", decodeJSON(t, r.events[0].Data)["lastEventId"])
	assert.Equal(t, "wörld", r.events[1].Data, "resumed after the third word")
	assert.Equal(t, "4", r.events[1].ID)

	resp = post(`not json`, "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
