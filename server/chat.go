package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The chat route: a streaming POST, as chat-completion APIs stream their
// answers. It echoes what it was sent (method, content type, body, the
// Last-Event-ID) as a first "echo" event, then streams an answer to the
// prompt one word per "token" event, each with an id, then "done". A
// reconnect that sends Last-Event-ID (and, as sseshim does, the same body
// again) resumes after that word.

// chatRequest is the body: {"prompt": "…"}.
type chatRequest struct {
	Prompt string `json:"prompt"`
}

// chatAnswer makes a reply that depends on the prompt, so that a page (or a
// test) can tell which prompt it answers.
func chatAnswer(prompt string) []string {
	words := strings.Fields(prompt)
	if len(words) > 200 {
		words = words[:200]
	}
	out := append([]string{"You", "said:"}, words...)
	return append(out, "—", strconv.Itoa(len(words)), "words.")
}

// chatWordEvery is the pace of the answer at speed 1.
const chatWordEvery = 80 * time.Millisecond

func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	f, ok := begin(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "the body is too large")
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil || strings.TrimSpace(req.Prompt) == "" {
		writeJSONError(w, http.StatusBadRequest, `the body must be JSON: {"prompt": "…"}`)
		return
	}
	// The body is read: the stream that follows may live long, and the read
	// deadline set for request bodies must not cut it.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})

	start := 0
	if id, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil && id > 0 {
		start = id
	}
	echo, _ := json.Marshal(map[string]string{
		"method": r.Method, "contentType": r.Header.Get("Content-Type"), "body": string(body),
		"lastEventId": r.Header.Get("Last-Event-ID"),
	})
	words := chatAnswer(req.Prompt)
	src := make(chan frame)
	go func() {
		defer close(src)
		send := func(fr frame) bool {
			select {
			case src <- fr:
				return true
			case <-r.Context().Done():
				return false
			}
		}
		if !send(frame{event: "echo", data: string(echo)}) {
			return
		}
		t := time.NewTicker(s.sim.every(chatWordEvery))
		defer t.Stop()
		for i := start; i < len(words); i++ {
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
			if !send(frame{id: strconv.Itoa(i + 1), event: "token", data: words[i]}) {
				return
			}
		}
		send(frame{event: "done", data: "[DONE]"})
	}()
	s.serveStream(w, r, f, streamOptions{format: formatSSE, contentType: "text/event-stream"}, src, nil)
}
