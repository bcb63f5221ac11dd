package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

func TestMain(m *testing.M) {
	// One line per request is for people running the server, not for tests.
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}

func testConfig(t *testing.T) config {
	cfg := defaultConfig()
	cfg.speed = 20
	cfg.heartbeat = time.Hour
	cfg.dist = t.TempDir()
	// Each test server embeds its own broker, on a free port.
	cfg.mqttListen, cfg.mqttListenSet = "127.0.0.1:0", true
	return cfg
}

func startServer(t *testing.T, cfg config) (*server, *httptest.Server) {
	t.Helper()
	s, err := newServer(cfg)
	require.NoError(t, err)
	ts := serveTest(t, s)
	t.Cleanup(func() {
		s.shutdownStreams()
		ts.Close()
		s.stop()
	})
	return s, ts
}

// serveTest serves s with its own http.Server settings and listener.
func serveTest(t *testing.T, s *server) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(s.handler)
	ts.Config = s.httpServer()
	ts.Listener = s.listener(ts.Listener)
	ts.Start()
	return ts
}

// logBuffer is a server's log, for tests that read it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServerLog is startServer with the server's log kept for the test.
func startServerLog(t *testing.T, cfg config) (*server, *httptest.Server, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	cfg.log = log.New(lb, "", 0)
	s, err := newServer(cfg)
	require.NoError(t, err)
	ts := serveTest(t, s)
	t.Cleanup(func() {
		s.shutdownStreams()
		ts.Close()
		s.stop()
	})
	return s, ts, lb
}

// get opens a request whose body the test reads; it is cancelled at cleanup.
func get(t *testing.T, ts *httptest.Server, path string, header map[string]string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type streamResult struct {
	events []sse.Event
	retry  time.Duration
	err    error // the decoder's or the body's error; io.EOF at a clean end
	reads  int
}

// readBody runs read (which reads resp's body until it has enough) and gives
// up after limit, a guard rather than a wait: it reports whether read ended
// by itself.
func readBody(resp *http.Response, limit time.Duration, read func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		read()
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		resp.Body.Close()
		<-done
		return false
	}
}

// readSSE decodes the body with the project's own decoder until n events
// arrive, the body ends, or the time limit passes.
func readSSE(t *testing.T, resp *http.Response, n int, limit time.Duration) streamResult {
	t.Helper()
	var r streamResult
	var d sse.Decoder
	finished := readBody(resp, limit, func() {
		buf := make([]byte, 64<<10)
		for len(r.events) < n {
			k, err := resp.Body.Read(buf)
			if k > 0 {
				r.reads++
				if derr := d.Decode(buf[:k], func(e sse.Event) { r.events = append(r.events, e) }); derr != nil {
					r.err = derr
					return
				}
				if rt, ok := d.Retry(); ok {
					r.retry = rt
				}
			}
			if err != nil {
				r.err = err
				return
			}
		}
	})
	if !finished {
		r.err = context.DeadlineExceeded
	}
	if len(r.events) > n {
		r.events = r.events[:n] // one read may carry more than asked for
	}
	return r
}

// readLines reads NDJSON lines with the project's line decoder.
func readLines(t *testing.T, resp *http.Response, n int, limit time.Duration) ([]string, error) {
	t.Helper()
	var lines []string
	var d sse.LineDecoder
	var rerr error
	emit := func(l []byte) { lines = append(lines, string(l)) }
	finished := readBody(resp, limit, func() {
		buf := make([]byte, 64<<10)
		for len(lines) < n {
			k, err := resp.Body.Read(buf)
			if k > 0 {
				if rerr = d.Decode(buf[:k], emit); rerr != nil {
					return
				}
			}
			if err != nil {
				d.End(emit)
				rerr = err
				return
			}
		}
	})
	if !finished {
		rerr = context.DeadlineExceeded
	}
	if len(lines) > n {
		lines = lines[:n]
	}
	return lines, rerr
}

func jsonBody(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

// rawLines reads raw lines (comments included) until enough(lines) says so,
// the body ends, or the limit (a guard, not a wait) passes.
func rawLines(resp *http.Response, limit time.Duration, enough func([]string) bool) []string {
	var lines []string
	readBody(resp, limit, func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if enough(lines) {
				return
			}
		}
	})
	return lines
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func assertStreamHeaders(t *testing.T, resp *http.Response, ct string) {
	t.Helper()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, ct, resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache, no-transform", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no", resp.Header.Get("X-Accel-Buffering"))
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "streams are never compressed")
}

// basic is the header of HTTP Basic credentials.
func basic(u, p string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
}

// forEachEvent decodes body with the project's decoder and calls f for every
// event as it arrives, until the body ends.
func forEachEvent(body io.Reader, f func(sse.Event)) {
	var d sse.Decoder
	buf := make([]byte, 4096)
	for {
		n, err := body.Read(buf)
		_ = d.Decode(buf[:n], f)
		if err != nil {
			return
		}
	}
}

// dialRaw sends a raw HTTP/1.1 request line (and Host header) for path and
// returns the connection, for tests that watch the bytes on the wire or
// stop reading.
func dialRaw(t *testing.T, ts *httptest.Server, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	return conn
}
