//go:build !js

// Package enginedriver runs a page in any installed browser engine —
// Chromium, Firefox ESR, WebKitGTK's MiniBrowser — as a plain process, and
// drives it through the test's own HTTP server: the page asks for script to
// run (a long poll on /ctl/next) and posts what it returns (/ctl/result).
// The same path for all three engines, with no automation protocol to
// speak. The engine suite (tests/engines) and the benchmark in other
// engines (tests/bench) use it.
package enginedriver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Engine is one browser: how to find it and how to open a URL in it with a
// fresh profile in dir.
type Engine struct {
	Name string
	Find func() (string, error)
	// Command returns the browser's process, not started, for url.
	Command func(t testing.TB, exe, dir, url string) *exec.Cmd
	// Conns is how many connections the engine opens to one HTTP/1.1
	// server at once.
	Conns int
}

var (
	Chromium = Engine{Name: "chromium", Find: findChromium, Command: chromiumCommand, Conns: 6}
	Firefox  = Engine{Name: "firefox", Find: findOnPath("FIREFOX_PATH", "firefox-esr"), Command: firefoxCommand, Conns: firefoxConns}
	WebKit   = Engine{Name: "webkit", Find: findMiniBrowser, Command: webkitCommand, Conns: 6}
)

// Engines lists every engine the driver knows.
var Engines = []Engine{Chromium, Firefox, WebKit}

// Require finds the engine's executable, or skips the test where it is not
// installed; CI requires every engine (make deps installs them).
func (e Engine) Require(t testing.TB) string {
	t.Helper()
	exe, err := e.Find()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (%v); CI requires it: make deps installs it", e.Name, err)
		}
		t.Skipf("%s not found (%v); make deps installs it", e.Name, err)
	}
	return exe
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

func chromiumCommand(t testing.TB, exe, dir, url string) *exec.Cmd {
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
	// Firefox's own EventSource reconnects slowest: the suite runs several
	// spec cases at once, each holding a connection.
	"network.http.max-persistent-connections-per-server": firefoxConns,
}

const firefoxConns = 12

func firefoxCommand(t testing.TB, exe, dir, url string) *exec.Cmd {
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
func webkitCommand(t testing.TB, exe, dir, url string) *exec.Cmd {
	display := startXvfb(t)
	cmd := exec.Command(exe, "--private", url)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+dir,
		"XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir,
		"NO_AT_BRIDGE=1", "GDK_BACKEND=x11")
	return cmd
}

// startXvfb starts an X server on a free display (Xvfb picks it and writes
// its number to -displayfd) and ends it when the test ends.
func startXvfb(t testing.TB) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x800x24")
	cmd.ExtraFiles = []*os.File{w}
	StartGroup(t, cmd, nil)
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
