//go:build !js

package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
	"github.com/sseshim/sseshim/wasm/sse"
)

// The repeat-visit benchmark's server: its page and stream, and dist/ as the
// dev server serves it (its Cache-Control, validators and precompressed
// copies), through the dev server itself, so that what the browser may keep
// is what a real deployment of the dev server's rules would let it keep.

// visitDist is the build the repeat visits load: dist/, or the build in
// $SSESHIM_VISITS_DIST, to measure another build's files as the dev server
// serves them.
func visitDist(t *testing.T) string {
	t.Helper()
	d := os.Getenv("SSESHIM_VISITS_DIST")
	if d == "" {
		return browsertest.DistDir
	}
	abs, err := filepath.Abs(d)
	require.NoError(t, err)
	return abs
}

// floorNames are the floor rows' files (buildFloors') under the
// content-hashed names their pages load them by from /dist/, so that the dev
// server serves them as it serves the engine's: immutable, the module's
// brotli copy to a client that takes it.
var floorNames = map[string]string{
	"wasm_exec.0123456789.js":   "wasm_exec.js",
	"bare.0123456789.wasm":      "bare.wasm",
	"bare.0123456789.wasm.br":   "bare.wasm.br",
	"safejs.0123456789.wasm":    "safejs.wasm",
	"safejs.0123456789.wasm.br": "safejs.wasm.br",
}

// distWithFloors is a temporary folder holding, as symbolic links (the dev
// server opens its files with os.Open, which follows them), every file of
// dist and the floor files of buildFloors' folder floor under floorNames.
func distWithFloors(t *testing.T, dist, floor string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(dist)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.Symlink(filepath.Join(dist, e.Name()), filepath.Join(dir, e.Name())))
	}
	for name, file := range floorNames {
		require.NoError(t, os.Symlink(filepath.Join(floor, file), filepath.Join(dir, name)))
	}
	return dir
}

// startDevServer builds the dev server and runs it on a free loopback port
// with the build output in dist (an absolute path), until the test ends; it
// returns its base URL.
func startDevServer(t *testing.T, dist string) string {
	t.Helper()
	root := filepath.Dir(browsertest.DistDir)
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the dev server: %s", out)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-mqtt-listen", "off", "-sim-devices", "none", "-dist", dist)
	cmd.Dir = root
	cmd.Stderr = nil // its request log: not wanted here
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`on (http://[0-9.:]+)/`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case base := <-addr:
		return base
	case err := <-exited:
		t.Fatalf("the dev server exited: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the dev server did not start")
	}
	return ""
}

// distRequest is a request for a dist/ file that reached the server, and
// what the dev server answered.
type distRequest struct {
	Path   string
	Status int
	Bytes  int // body bytes sent
}

// visitSrv serves the visit page and its stream, and proxies /dist/ to the
// dev server, logging each request.
type visitSrv struct {
	*httptest.Server
	mu   sync.Mutex
	dist []distRequest
}

func visitServer(t *testing.T, dev string) *visitSrv {
	t.Helper()
	s := &visitSrv{}
	target, err := url.Parse(dev)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	mux := http.NewServeMux()
	mux.HandleFunc("/dist/", func(w http.ResponseWriter, r *http.Request) {
		rec := &countingWriter{ResponseWriter: w, status: 200}
		proxy.ServeHTTP(rec, r)
		s.mu.Lock()
		s.dist = append(s.dist, distRequest{Path: r.URL.Path, Status: rec.status, Bytes: rec.bytes})
		s.mu.Unlock()
	})
	script := hashedScript(t, dev)
	mux.HandleFunc("/visits/page.html", func(w http.ResponseWriter, r *http.Request) {
		code, ok := visitCode[r.URL.Query().Get("impl")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		code = strings.ReplaceAll(code, "/dist/sseshim.js", "/dist/"+script)
		// As a dashboard's HTML is served: revalidated on each visit, no
		// validator, so always sent again (the same for every row).
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprintf(w, visitPage, code)
	})
	plain := plainModule()
	mux.HandleFunc("/visits/plain.0123456789.wasm", func(w http.ResponseWriter, r *http.Request) {
		// As the dev server serves a content-hashed file.
		w.Header().Set("Content-Type", "application/wasm")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Write(plain)
	})
	mux.HandleFunc("/visits/stream", func(w http.ResponseWriter, r *http.Request) {
		f := browsertest.SSEStart(w)
		tick := time.NewTicker(visitTick)
		defer tick.Stop()
		var buf []byte
		for i := 0; ; i++ {
			buf, _ = sse.AppendMessage(buf[:0], sse.Message{Data: visitEvent(i)})
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// hashedScript is the script-tag build's content-hashed name, from the
// manifest the dev server serves (make build writes it).
func hashedScript(t *testing.T, dev string) string {
	t.Helper()
	resp, err := http.Get(dev + "/dist/manifest.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "dist/manifest.json")
	var m map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m), "dist/manifest.json")
	require.Regexp(t, `^sseshim\.[0-9a-f]{8,}\.js$`, m["sseshim.js"], "dist/manifest.json names the hashed script")
	return m["sseshim.js"]
}

// visitTick is how often the stream sends an event: a busy dashboard's
// pace, so that the page does its normal work while it stays open.
const visitTick = 10 * time.Millisecond

// visitEvent is the stream's event i: a reading as a dashboard gets it; the
// page checks its sequence number.
func visitEvent(i int) string {
	return `{"seq":` + strconv.Itoa(i) + `,"device":"generator-` + strconv.Itoa(i%3+1) +
		`","temperature":` + strconv.FormatFloat(20+float64(i%40)*0.25, 'f', 2, 64) + `,"unit":"°C"}`
}

// takeDist returns the dist/ requests since the last call, and forgets them.
func (s *visitSrv) takeDist() []distRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dist
	s.dist = nil
	return d
}

// countingWriter keeps a response's status and how many body bytes it had.
type countingWriter struct {
	http.ResponseWriter
	status, bytes int
}

func (c *countingWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.bytes += n
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// plainModule is the control row's module: the least a page can give V8 to
// compile, tier up and cache, encoded here by hand (the WebAssembly binary
// format, §5) so that the control has no toolchain of its own. It has
// plainFuncs functions f0… of type (i32) → i32, each a loop that adds its
// counter down to zero; the page calls every one on each event, so that V8
// tiers them up one by one as their budgets run out, as it does the
// engine's.
const plainFuncs = 40

func plainModule() []byte {
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, uleb(len(body))...), body...)
	}
	vec := func(n int, item func(i int) []byte) []byte {
		out := uleb(n)
		for i := range n {
			out = append(out, item(i)...)
		}
		return out
	}
	// (local i32) loop  l1 += l0; l0 -= 1; br_if (l0)  end  l1
	body := []byte{0x01, 0x01, 0x7f,
		0x03, 0x40,
		0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01,
		0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00,
		0x0b,
		0x20, 0x01, 0x0b}
	m := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	m = append(m, section(1, vec(1, func(int) []byte { return []byte{0x60, 0x01, 0x7f, 0x01, 0x7f} }))...)
	m = append(m, section(3, vec(plainFuncs, func(int) []byte { return []byte{0x00} }))...)
	m = append(m, section(7, vec(plainFuncs, func(i int) []byte {
		name := "f" + strconv.Itoa(i)
		return append(append(uleb(len(name)), name...), 0x00, byte(i))
	}))...)
	m = append(m, section(10, vec(plainFuncs, func(int) []byte { return append(uleb(len(body)), body...) }))...)
	return m
}

// uleb is n in unsigned LEB128.
func uleb(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}
