//go:build !js

package eventsource

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startHTTP runs a source against a real HTTP server with the fake clock.
func startHTTP(t *testing.T, h http.HandlerFunc, cfg Config) *env {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{clk: newFakeClock(), rec: newRecorder()}
	cfg.URL, cfg.Clock = srv.URL+"/stream", e.clk
	src, err := New(cfg, e.rec)
	require.NoError(t, err)
	e.src = src
	t.Cleanup(func() { src.Close(); <-src.Done() })
	return e
}

func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
}

func TestHTTPReconnectWithLastEventIDAndRetry(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	lastIDs := make(chan string, 10)
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		lastIDs <- r.Header.Get("Last-Event-ID")
		assert.Equal(t, "text/event-stream", r.Header.Get("Accept"))
		sseHeaders(w)
		fmt.Fprintf(w, "retry: 2000\nid: %d\ndata: hello %d\n\n", n, n)
	}, Config{})
	e.rec.expect(t, "open sse", `events message:"hello 1"#1`, "error end CONNECTING", "retrying 2s #1")
	assert.Equal(t, "", <-lastIDs)
	e.clk.Advance(2 * time.Second)
	e.rec.expect(t, "open sse", `events message:"hello 2"#2`)
	assert.Equal(t, "1", <-lastIDs)
}

func TestHTTPStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"204 stops", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, "error status CLOSED status=204"},
		{"500 stops", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "error status CLOSED status=500"},
		{"wrong content type stops", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		}, "error content-type CLOSED status=200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startHTTP(t, tc.h, Config{})
			e.rec.expect(t, tc.want)
			waitDone(t, e.src)
		})
	}
}

func TestHTTP500RetriesWhenOptedIn(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(503)
			return
		}
		sseHeaders(w)
		w.Write([]byte("data: back\n\n"))
	}, Config{RetryStatuses: []int{503}})
	e.rec.expect(t, "error status CONNECTING status=503", "retrying 7s #1")
	e.clk.Advance(7 * time.Second)
	e.rec.expect(t, "open sse", `events message:"back"#`)
}

func TestHTTPWatchdogOnStalledStream(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "5s", r.URL.Query().Get("ping_interval"))
		sseHeaders(w)
		w.Write([]byte("data: first\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // stall: the socket stays open, nothing comes
	}, Config{Ping: Ping{Interval: 5 * time.Second, Leeway: time.Second}})
	e.rec.expect(t, "open sse", `events message:"first"#`)
	e.clk.Advance(6 * time.Second)
	e.rec.expect(t, "error watchdog CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	e.rec.expect(t, "open sse", `events message:"first"#`)
	assert.Equal(t, int32(2), calls.Load())
}

func TestHTTPCloseDuringConnect(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}, Config{})
	<-entered
	e.src.Close()
	waitDone(t, e.src)
	e.rec.quiet(t)
}

func TestHTTPCloseWhileOpen(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		<-r.Context().Done()
		close(gone)
	}, Config{})
	e.rec.expect(t, "open sse")
	e.src.Close()
	waitDone(t, e.src)
	<-gone // the request was aborted
	e.rec.quiet(t)
}

func TestHTTPConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	clk, rec := newFakeClock(), newRecorder()
	src, err := New(Config{URL: url, Clock: clk, Retry: &Retry{Max: time.Minute, MaxAttempts: 2}, ReconnectionTime: time.Second}, rec)
	require.NoError(t, err)
	rec.expect(t, "error network CONNECTING", "retrying 1s #1")
	clk.Advance(time.Second)
	rec.expect(t, "error max-attempts CLOSED")
	waitDone(t, src)
}

// A POST stream: the body goes with every attempt, the reconnect with
// Last-Event-ID too; a body function is called before every attempt.
func TestHTTPPostWithBodyResentOnReconnect(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	e := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sseHeaders(w)
		fmt.Fprintf(w, "id: %d\ndata: %s %s leid=%s\n\n", n.Add(1), r.Method, b, r.Header.Get("Last-Event-ID"))
	}, Config{Method: "post", Body: `{"prompt":"hi"}`})
	e.rec.expect(t, "open sse", `events message:"POST {\"prompt\":\"hi\"} leid="#1`, "error end CONNECTING", "retrying 3s #1")
	e.clk.Advance(3 * time.Second)
	e.rec.expect(t, "open sse", `events message:"POST {\"prompt\":\"hi\"} leid=1"#2`)

	var calls atomic.Int32
	e2 := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sseHeaders(w)
		fmt.Fprintf(w, "data: %s %s\n\n", r.Method, b)
	}, Config{Method: "PUT", BodyFunc: func(Ctx) (any, error) {
		return []byte(fmt.Sprintf("attempt %d", calls.Add(1))), nil
	}})
	e2.rec.expect(t, "open sse", `events message:"PUT attempt 1"#`, "error end CONNECTING", "retrying 3s #1")
	e2.clk.Advance(3 * time.Second)
	e2.rec.expect(t, "open sse", `events message:"PUT attempt 2"#`)
}
