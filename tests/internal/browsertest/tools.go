//go:build !js

package browsertest

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// EsbuildVersion is the esbuild the tests install from npm: the bundler the
// package tests build with, and the one the benchmark bundles the npm
// polyfills with.
const EsbuildVersion = "0.28.2"

// Run runs a command in dir with npm's notices off, fails the test with its
// output if it fails, and returns the output.
func Run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_audit=false", "npm_config_fund=false", "npm_config_update_notifier=false",
		"NO_COLOR=1", "CI=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// SSEStart answers with an event stream's status and headers, flushed, and
// returns the flusher for the events to come.
func SSEStart(w http.ResponseWriter) http.Flusher {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	f := w.(http.Flusher)
	f.Flush()
	return f
}

// ChunkPause is how long WriteChunks waits before each chunk after the
// first, so that the chunks reach the client as separate reads: a stream
// split mid-line or mid-character tests nothing if loopback delivers it
// whole.
const ChunkPause = 15 * time.Millisecond

// WriteChunks writes and flushes each chunk in turn, ChunkPause apart, and
// stops at the first failed write (the client has gone).
func WriteChunks(w http.ResponseWriter, chunks []string) error {
	f := w.(http.Flusher)
	for i, ch := range chunks {
		if i > 0 {
			time.Sleep(ChunkPause)
		}
		if _, err := w.Write([]byte(ch)); err != nil {
			return err
		}
		f.Flush()
	}
	return nil
}
