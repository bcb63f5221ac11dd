//go:build !js

// Package engines runs the engine-neutral suite in every browser engine
// installed: Chromium, Firefox and WebKitGTK. Each engine is started as a
// plain process on a harness page that asks this test's server for script
// to run (a long poll on /ctl/next) and posts what it returns (/ctl/result):
// the same path for all three, with no automation protocol to speak.
package engines

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// distDir is the build output the pages load.
var distDir = filepath.Join("..", "..", "dist")

// engine is one browser: how to find it and how to open a URL in it with a
// fresh profile in dir.
type engine struct {
	name string
	find func() (string, error)
	// command returns the browser's process, not started, for url.
	command func(t *testing.T, exe, dir, url string) *exec.Cmd
	// conns is how many connections the engine opens to one HTTP/1.1
	// server at once.
	conns int
}

var engines = []engine{
	{name: "chromium", find: findChromium, command: chromiumCommand, conns: 6},
	{name: "firefox", find: findOnPath("FIREFOX_PATH", "firefox-esr"), command: firefoxCommand, conns: firefoxConns},
	{name: "webkit", find: findMiniBrowser, command: webkitCommand, conns: 6},
}

func findChromium() (string, error) {
	p := os.Getenv("CHROME_PATH")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	_, err := os.Stat(p)
	return p, err
}

func findOnPath(env, name string) func() (string, error) {
	return func() (string, error) {
		if p := os.Getenv(env); p != "" {
			return p, nil
		}
		return exec.LookPath(name)
	}
}

// findMiniBrowser finds WebKitGTK's MiniBrowser (package libwebkit2gtk-4.1-0,
// brought by webkit2gtk-driver) and Xvfb, which it needs: it has no headless mode.
func findMiniBrowser() (string, error) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		return "", err
	}
	if p := os.Getenv("MINIBROWSER_PATH"); p != "" {
		return p, nil
	}
	m, _ := filepath.Glob("/usr/lib/*/webkit2gtk-4.1/MiniBrowser")
	if len(m) == 0 {
		return "", fmt.Errorf("WebKitGTK's MiniBrowser not found (apt-get install webkit2gtk-driver)")
	}
	return m[0], nil
}

func chromiumCommand(t *testing.T, exe, dir, url string) *exec.Cmd {
	return exec.Command(exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--user-data-dir="+dir, url)
}

// firefoxPrefs keep a fresh profile from doing anything but load the page:
// no first-run pages, updates, telemetry, studies, safe browsing, captive
// portal or connectivity checks, remote settings or push, so that it makes
// no connection beyond the test's server.
var firefoxPrefs = map[string]any{
	"browser.shell.checkDefaultBrowser":                  false,
	"browser.startup.homepage_override.mstone":           "ignore",
	"browser.startup.page":                               0,
	"startup.homepage_welcome_url":                       "",
	"startup.homepage_welcome_url.additional":            "",
	"browser.aboutwelcome.enabled":                       false,
	"trailhead.firstrun.didSeeAboutWelcome":              true,
	"datareporting.policy.dataSubmissionEnabled":         false,
	"datareporting.healthreport.uploadEnabled":           false,
	"toolkit.telemetry.enabled":                          false,
	"toolkit.telemetry.unified":                          false,
	"toolkit.telemetry.server":                           "",
	"app.update.auto":                                    false,
	"app.update.disabledForTesting":                      true,
	"app.normandy.enabled":                               false,
	"app.shield.optoutstudies.enabled":                   false,
	"extensions.update.enabled":                          false,
	"extensions.getAddons.cache.enabled":                 false,
	"extensions.blocklist.enabled":                       false,
	"browser.safebrowsing.malware.enabled":               false,
	"browser.safebrowsing.phishing.enabled":              false,
	"browser.safebrowsing.downloads.enabled":             false,
	"browser.safebrowsing.update.enabled":                false,
	"network.captive-portal-service.enabled":             false,
	"network.connectivity-service.enabled":               false,
	"network.dns.disablePrefetch":                        true,
	"network.prefetch-next":                              false,
	"network.http.speculative-parallel-limit":            0,
	"services.settings.server":                           "http://127.0.0.1:9/",
	"browser.region.update.enabled":                      false,
	"browser.region.network.url":                         "",
	"browser.search.update":                              false,
	"geo.provider.network.url":                           "",
	"media.gmp-manager.url":                              "",
	"media.gmp-gmpopenh264.enabled":                      false,
	"dom.push.connection.enabled":                        false,
	"browser.newtabpage.enabled":                         false,
	"browser.newtabpage.activity-stream.feeds.telemetry": false,
	"browser.newtabpage.activity-stream.telemetry":       false,
	"browser.sessionstore.resume_from_crash":             false,
	"toolkit.startup.max_resumed_crashes":                -1,
	"browser.tabs.warnOnClose":                           false,
	"dom.disable_open_during_load":                       false,
}

const firefoxConns = 12

func firefoxCommand(t *testing.T, exe, dir, url string) *exec.Cmd {
	var b strings.Builder
	for k, v := range firefoxPrefs {
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, j)
	}
	if err := os.WriteFile(filepath.Join(dir, "user.js"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "--headless", "--no-remote", "--profile", dir, url)
	cmd.Env = append(os.Environ(), "HOME="+dir, "MOZ_CRASHREPORTER_DISABLE=1")
	return cmd
}

// webkitCommand runs MiniBrowser in private mode (nothing kept) on its own
// Xvfb display.
func webkitCommand(t *testing.T, exe, dir, url string) *exec.Cmd {
	display := startXvfb(t)
	cmd := exec.Command(exe, "--private", url)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+dir,
		"XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir,
		"NO_AT_BRIDGE=1", "GDK_BACKEND=x11")
	return cmd
}

// startXvfb starts an X server on a free display (Xvfb picks it and writes
// its number to -displayfd) and ends it when the test ends.
func startXvfb(t *testing.T) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x800x24")
	cmd.ExtraFiles = []*os.File{w}
	startGroup(t, cmd, nil)
	w.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not say its display: %q", n)
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start within 20 s")
	}
	return ""
}

// startGroup starts cmd in a process group of its own and, when the test
// ends, ends it and every process it started: SIGTERM (a browser then
// closes its own helpers), then SIGKILL for whatever is left a few seconds
// later. The processes are found by their parent links too, since Chromium
// moves itself into a process group of its own. Output goes to out (if
// not nil).
func startGroup(t *testing.T, cmd *exec.Cmd, out io.Writer) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		tree := descendants(pid) // while the parent links still hold
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

// descendants lists the processes below pid, from /proc's parent links.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		var state string
		var ppid int
		if _, err := fmt.Sscan(string(rest), &state, &ppid); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
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

// TestEngines runs every scenario in every engine, one browser process per
// engine for the whole suite.
func TestEngines(t *testing.T) {
	if _, err := os.Stat(filepath.Join(distDir, "sseshim.wasm")); err != nil {
		t.Fatal("dist/ is not built: run make build (make test does)")
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			exe, err := e.find()
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s not found (%v); CI requires it: make deps installs it", e.name, err)
				}
				t.Skipf("%s not found (%v); make deps installs it", e.name, err)
			}
			start := time.Now()
			b := launch(t, e, exe)
			for _, sc := range suite {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, b) })
			}
			t.Logf("%s: the suite took %s", e.name, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// suite lists the scenarios; each file adds its own.
var suite []struct {
	name string
	run  func(t *testing.T, b *browser)
}

func scenario(name string, run func(t *testing.T, b *browser)) bool {
	suite = append(suite, struct {
		name string
		run  func(t *testing.T, b *browser)
	}{name, run})
	return true
}

// browser is one engine's harness page, driven through the test server.
type browser struct {
	engine  string
	conns   int // see engine.conns
	srv     *httptest.Server
	mux     *http.ServeMux
	jobs    chan job
	mu      sync.Mutex
	waiting map[int]chan result
	nextID  int
	out     *lockedBuffer
}

type job struct {
	ID   int    `json:"id"`
	Code string `json:"code"`
}

type result struct {
	ID     int             `json:"id"`
	OK     bool            `json:"ok"`
	Value  json.RawMessage `json:"value"`
	Error  string          `json:"error"`
	Errors []string        `json:"errors"` // uncaught errors since the last job
}

// launch starts the test server and the engine on its harness page, and
// waits until the page asks for work.
func launch(t *testing.T, e engine, exe string) *browser {
	b := &browser{engine: e.name, conns: e.conns, mux: http.NewServeMux(), jobs: make(chan job), waiting: map[int]chan result{}, out: &lockedBuffer{}}
	b.mux.Handle("/dist/", http.StripPrefix("/dist/", noStore(http.FileServer(http.Dir(distDir)))))
	b.mux.Handle("/page/", http.StripPrefix("/page/", noStore(http.FileServer(http.Dir("page")))))
	b.mux.HandleFunc("/ctl/next", b.serveNext)
	b.mux.HandleFunc("/ctl/result", b.serveResult)
	b.srv = httptest.NewServer(b.mux)
	t.Cleanup(b.srv.Close)
	cmd := e.command(t, exe, t.TempDir(), b.srv.URL+"/page/harness.html")
	startGroup(t, cmd, b.out)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's output:\n%s", e.name, b.out.String())
		}
	})
	var ua string
	b.evalInto(t, 90*time.Second, `return navigator.userAgent`, &ua)
	t.Logf("%s: %s", e.name, ua)
	return b
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// serveNext hands the page its next job, or 204 after a while so that the
// page asks again.
func (b *browser) serveNext(w http.ResponseWriter, r *http.Request) {
	select {
	case j := <-b.jobs:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(j)
	case <-time.After(20 * time.Second):
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	}
}

func (b *browser) serveResult(w http.ResponseWriter, r *http.Request) {
	var res result
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&res); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	ch := b.waiting[res.ID]
	delete(b.waiting, res.ID)
	b.mu.Unlock()
	if ch != nil {
		ch <- res
	}
	w.WriteHeader(http.StatusNoContent)
}

// evalInto runs code as the body of an async function in the page and
// decodes what it returns into out. The page's uncaught errors fail the test.
func (b *browser) evalInto(t *testing.T, timeout time.Duration, code string, out any) {
	t.Helper()
	b.mu.Lock()
	b.nextID++
	j := job{ID: b.nextID, Code: code}
	ch := make(chan result, 1)
	b.waiting[j.ID] = ch
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		t.Fatalf("%s: the page did not ask for work within %s", b.engine, timeout)
	}
	select {
	case res := <-ch:
		for _, e := range res.Errors {
			t.Errorf("%s: uncaught in the page: %s", b.engine, e)
		}
		if !res.OK {
			t.Fatalf("%s: the script threw: %s\n%.300s", b.engine, res.Error, code)
		}
		if out != nil {
			if err := json.Unmarshal(res.Value, out); err != nil {
				t.Fatalf("%s: result %.300s: %v", b.engine, res.Value, err)
			}
		}
	case <-ctx.Done():
		t.Fatalf("%s: no result within %s for\n%.300s", b.engine, timeout, code)
	}
}

// eval runs code in the page (60 s at most) and decodes its result.
func eval[T any](t *testing.T, b *browser, code string, args ...any) T {
	t.Helper()
	var v T
	b.evalInto(t, 60*time.Second, fmt.Sprintf(code, args...), &v)
	return v
}
