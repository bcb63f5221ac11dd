//go:build !js

package enginedriver

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sseshim/sseshim/tests/internal/browsertest"
)

// Browser is an engine started on a page that the test drives through a
// Control.
type Browser struct {
	Engine Engine
	// PID is the browser's first process, the root of its process tree
	// (browsertest.TakeCPU reads the tree's CPU time).
	PID int
	// UserAgent is the page's navigator.userAgent.
	UserAgent string
	out       *lockedBuffer
}

// Launch starts engine e (its executable exe, a fresh profile) on url, a
// page that loads the driver's script (ScriptPath) and is served by a
// server that c is registered on, and waits until the page asks for work.
// The browser's output is logged if the test fails; the browser and every
// process it started end with the test.
func Launch(t *testing.T, e Engine, exe, url string, c *Control) *Browser {
	t.Helper()
	b := &Browser{Engine: e, out: &lockedBuffer{}}
	cmd := e.Command(t, exe, t.TempDir(), url)
	StartGroup(t, cmd, b.out)
	b.PID = cmd.Process.Pid
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's output:\n%s", e.Name, b.out.String())
		}
	})
	c.EvalInto(t, 90*time.Second, `return navigator.userAgent`, &b.UserAgent)
	t.Logf("%s: %s", e.Name, b.UserAgent)
	return b
}

// StartGroup starts cmd in a process group of its own and, when the test
// ends, ends it and every process it started: SIGTERM (a browser then
// closes its own helpers), then SIGKILL for whatever is left a few seconds
// later. The processes are found by their parent links too, since Chromium
// moves itself into a process group of its own. Output goes to out (if
// not nil).
func StartGroup(t testing.TB, cmd *exec.Cmd, out io.Writer) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		tree := browsertest.BrowserTree(pid) // while the parent links still hold
		signal := func(sig syscall.Signal) {
			_ = syscall.Kill(-pid, sig)
			for _, p := range tree {
				_ = syscall.Kill(p, sig)
			}
		}
		signal(syscall.SIGTERM)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && alive(tree) {
			time.Sleep(50 * time.Millisecond)
		}
		signal(syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", filepath.Base(cmd.Path), pid)
		}
	})
}

// alive reports whether any of pids is still running (not yet a zombie).
func alive(pids []int) bool {
	for _, p := range pids {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat"))
		if err == nil && !bytes.Contains(stat[bytes.LastIndexByte(stat, ')'):], []byte(") Z")) {
			return true
		}
	}
	return false
}

// lockedBuffer collects a browser's output for the log of a failed test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
