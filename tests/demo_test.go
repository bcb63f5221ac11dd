//go:build !js

package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startDevServer builds and runs the real dev server binary, as `make run`
// does, on a free port, and stops it with SIGTERM at the end of the test,
// checking that it shuts down cleanly with streams open. Its log goes to
// stderr.
func startDevServer(t *testing.T) string {
	base, _ := launchDevServer(t, false)
	return base
}

// serverLog keeps the dev server's request log: one line per request, with
// its status.
type serverLog struct {
	mu    sync.Mutex
	lines []string
}

var requestLine = regexp.MustCompile(`\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) ("(?:[^"\\]|\\.)*") (\d{3}) `)

func (l *serverLog) add(line string) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// mark is where the log is now; failures(mark) lists the requests answered
// with 4xx or 5xx since.
func (l *serverLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func (l *serverLog) failures(since int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines[since:] {
		if m := requestLine.FindStringSubmatch(line); m != nil && m[3] >= "400" {
			out = append(out, m[1]+" "+m[2]+" "+m[3])
		}
	}
	return out
}

// launchDevServer starts the dev server; with keepLog its log is kept in
// memory (and printed if the test fails) instead of going to stderr.
func launchDevServer(t *testing.T, keepLog bool) (string, *serverLog) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	dist, err := filepath.Abs(distDir)
	require.NoError(t, err)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-mqtt-listen", "127.0.0.1:0", "-dist", dist, "-speed", "4", "-heartbeat", "1s")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var logs *serverLog
	var logDone chan struct{}
	if keepLog {
		logs = &serverLog{}
		stderr, err := cmd.StderrPipe()
		require.NoError(t, err)
		logDone = make(chan struct{})
		go func() {
			defer close(logDone)
			sc := bufio.NewScanner(stderr)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				logs.add(sc.Text())
			}
		}()
	} else {
		cmd.Stderr = os.Stderr
	}
	require.NoError(t, cmd.Start())
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`on (http://[0-9.:]+)/`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the dev server did not start")
	}
	t.Cleanup(func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		done := make(chan error, 1)
		go func() {
			if logDone != nil {
				<-logDone // Wait must not close the pipe before it is read to the end
			}
			done <- cmd.Wait()
		}()
		select {
		case err := <-done:
			assert.NoError(t, err, "the server exits cleanly on SIGTERM")
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("the server did not shut down within 15 s of SIGTERM")
		}
		if logs != nil && t.Failed() {
			logs.mu.Lock()
			n := len(logs.lines)
			t.Logf("the server's last log lines:\n%s", strings.Join(logs.lines[max(0, n-40):], "\n"))
			logs.mu.Unlock()
		}
	})
	return base, logs
}

// waitFor polls a JavaScript condition in the page.
func waitFor(tb *tab, cond string, timeout time.Duration) {
	tb.t.Helper()
	ok := eval[bool](tb, fmt.Sprintf(`new Promise((resolve) => {
  const end = Date.now() + %d;
  const check = () => { let v = false; try { v = !!(%s); } catch {} if (v) resolve(true); else if (Date.now() > end) resolve(false); else setTimeout(check, 50); };
  check();
})`, timeout.Milliseconds(), cond))
	if !ok {
		tb.t.Fatalf("timed out waiting for %s", cond)
	}
}

func screenshot(t *testing.T, tb *tab, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	// Quality 100 makes chromedp ask for PNG rather than JPEG.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	dir := filepath.Join("out", "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: tests/%s", path)
}

// pageWatch records what DevTools would show in red for a page: responses
// with an error status (a missing favicon, script or stylesheet), resources
// that failed to load, and console errors from the browser itself (the tab
// already reports console.error calls and uncaught exceptions).
type pageWatch struct {
	mu       sync.Mutex
	urls     map[network.RequestID]string
	problems []string
}

func watchPage(t *testing.T, tb *tab) {
	t.Helper()
	w := &pageWatch{urls: map[network.RequestID]string{}}
	require.NoError(t, chromedp.Listen(tb.ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			w.urls[e.RequestID] = e.Request.URL
		case *network.EventResponseReceivedExtraInfo:
			// Also for responses that never reach responseReceived (a blocked
			// stylesheet, for one).
			if e.StatusCode >= 400 {
				w.problems = append(w.problems, fmt.Sprintf("%d %s", e.StatusCode, w.urls[e.RequestID]))
			}
		case *network.EventLoadingFailed:
			// A stream's fetch is cancelled when its source reconnects or the
			// tab closes; anything else must load.
			stream := e.Type == network.ResourceTypeFetch || e.Type == network.ResourceTypeEventSource
			if !(stream && e.Canceled) {
				w.problems = append(w.problems, fmt.Sprintf("failed to load %s (%s): %s", w.urls[e.RequestID], e.Type, e.ErrorText))
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				w.problems = append(w.problems, fmt.Sprintf("console (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	}))
	// Record any dialog: an injected onerror=alert(1) must never run.
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__dialogs = []; for (const f of ['alert', 'confirm', 'prompt']) window[f] = (m) => { window.__dialogs.push(f + ': ' + m); };`,
		})
		return err
	})))
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, p := range w.problems {
			t.Errorf("page problem: %s", p)
		}
	})
}

func viewport(t *testing.T, tb *tab, width, height int64, scale float64, mobile bool) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(scale)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(width, height, opts...)))
}

// publish posts a message to a Losant custom topic as a page of the server
// does: JSON, from the server's own origin.
func publish(t *testing.T, base, topic, body string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/publish/"+topic, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "publish to %s: %s", topic, b)
}

const xssProbe = `<img src=x onerror=alert(1)>`

// canvasesSharp: every canvas's bitmap is its box in device pixels, so it
// is neither stretched nor blurred.
const canvasesSharp = `[...document.querySelectorAll('canvas')].every((c) => {
  const r = c.getBoundingClientRect();
  return r.width > 0 && Math.abs(c.width - r.width * devicePixelRatio) <= 1 && Math.abs(c.height - r.height * devicePixelRatio) <= 1;
})`

// TestDemoPages opens every demo page on the real dev server binary and
// checks, per page: live values, no console errors, no failed or 404
// requests (in the browser and in the server's log), no markup from stream
// data, canvases drawn at the device pixel ratio, no horizontal scroll at a
// 375 px phone width, and the page's own behaviour (resume counters,
// outages, the XSS probe); it writes a desktop and a phone screenshot of
// each to tests/out/screenshots/.
func TestDemoPages(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	base, logs := launchDevServer(t, true)
	text := func(sel string) string { return fmt.Sprintf(`document.querySelector(%q).textContent`, sel) }
	num := func(sel string) string { return `+` + text(sel) }
	click := func(tb *tab, sel string) {
		eval[bool](tb, fmt.Sprintf(`(document.querySelector(%q).click(), true)`, sel))
	}

	pages := []struct {
		name  string
		ready []string // JavaScript conditions that show live values
		then  func(t *testing.T, tb *tab)
	}{
		{name: "index", ready: []string{`document.querySelectorAll('#demos li a').length === 8`}},
		{name: "share",
			ready: []string{`/^([2-9]|\d{2,}) events/.test(` + text("#events") + `)`, text("#shared") + ` === 'shared through the SharedWorker'`},
			then: func(t *testing.T, tb *tab) {
				assert.Regexp(t, `^OK · beat \d+$`, eval[string](tb, text("#beat")))
				assert.Equal(t, "1", eval[string](tb, text("#tabs")))
			}},
		{name: "chat",
			ready: []string{text("#words") + `.endsWith('done')`},
			then: func(t *testing.T, tb *tab) {
				assert.Equal(t, "You said: Wie spät ist es in München? ☕ — 7 words.", eval[string](tb, text("#answer")))
				assert.Contains(t, eval[string](tb, text("#echo")), `"method": "POST"`)
				assert.Contains(t, eval[string](tb, text("#echo")), `München`)
			}},
		{name: "losant",
			ready: []string{`/^-?\d+(\.\d+)? °F$/.test(` + text("#value") + `)`, `/ V$/.test(` + text("#voltage") + `)`,
				text("#tempNumbers") + `.split(', ').length >= 4`, text("#state") + ` === 'open'`},
			then: func(t *testing.T, tb *tab) {
				// The history is bounded and has no trailing comma.
				waitFor(tb, text("#tempNumbers")+`.split(', ').length === 10`, 20*time.Second)
				nums := eval[string](tb, text("#tempNumbers"))
				assert.Regexp(t, `^-?\d+(\.\d+)?(, -?\d+(\.\d+)?){9}$`, nums, "the last 10 readings, no trailing comma")
				// The page does not claim to be the document's code unchanged; it
				// shows the document's code and says what it changed.
				assert.Contains(t, eval[string](tb, text("#doc-code")), ".innerHTML += ` ${mqttMessage.data.temperature},`")
				assert.Contains(t, eval[string](tb, text("#own-code")), "new EventSource('/api/device/stream')")
				assert.Contains(t, eval[string](tb, text("main")), "This page is not the document's code unchanged")
				// The XSS probe, published from the page's form and from outside,
				// shows as text.
				eval[bool](tb, fmt.Sprintf(`(document.querySelector('#message').value = %q, document.querySelector('#publish').requestSubmit(), true)`, xssProbe))
				waitFor(tb, fmt.Sprintf(`[...document.querySelectorAll('#messages .msg')].some((e) => e.textContent === %q)`, xssProbe), 10*time.Second)
				publish(t, base, "demo/messages", `{"probe":"`+xssProbe+`"}`)
				waitFor(tb, fmt.Sprintf(`[...document.querySelectorAll('#messages .msg')].some((e) => e.textContent === %q)`, `{"probe":"`+xssProbe+`"}`), 10*time.Second)
				// A device-state message carrying it (which reaches the device stream
				// when publishing goes through the MQTT broker).
				publish(t, base, "losant/generator-1/state", `{"data":{"temperature":"`+xssProbe+`"}}`)
				time.Sleep(300 * time.Millisecond)
				assert.Equal(t, 0, eval[int](tb, `document.querySelectorAll('#messages img, main img').length`))
				// Still live after it: the probe, shown as text in the history if it
				// reached the device stream, scrolls out of the last 10 readings.
				waitFor(tb, `!`+text("#tempNumbers")+`.includes('<img') && /^-?\d+(\.\d+)? °F$/.test(`+text("#value")+`)`, 15*time.Second)
			}},
		{name: "dt",
			ready: []string{`document.querySelectorAll('#cards .card').length >= 3`, num("#events") + ` > 5`, num("#pings") + ` > 0`,
				`document.querySelector('[data-series="emuc0f8fridge000000a temperature"]')`,
				`document.querySelector('[data-series="emuc0f8freezer00000b temperature"]')`},
			then: func(t *testing.T, tb *tab) {
				// One chart per series, each captioned with the full device id, a
				// swatch of its line's colour and its unit, each on its own scale.
				waitFor(tb, `[...document.querySelectorAll('#charts figure')].every((f) => f.dataset.scale)`, 10*time.Second)
				charts := eval[[]map[string]string](tb, `[...document.querySelectorAll('#charts figure')].map((f) => ({
  key: f.dataset.series, caption: f.querySelector('figcaption').textContent, scale: f.dataset.scale,
  swatch: f.querySelector('.swatch').style.background }))`)
				require.GreaterOrEqual(t, len(charts), 2)
				for _, c := range charts {
					device, _, _ := strings.Cut(c["key"], " ")
					assert.Regexp(t, `^emu[0-9a-z]{17}$`, device)
					assert.Contains(t, c["caption"], device, "full series name")
					assert.Regexp(t, `\((°C|%RH)\)`, c["caption"], "unit in the legend")
					assert.NotEmpty(t, c["swatch"])
				}
				// Each chart's value axis fits its own series (the values it shows,
				// or its minimum span, with round ticks around them), so that a
				// fridge at +4 °C and a freezer at −18 °C each show their movement:
				// on one shared axis they would be two flat lines.
				type scale struct{ lo, hi, min, max, minSpan float64 }
				scales := map[string]scale{}
				for _, c := range charts {
					var sc scale
					_, err := fmt.Sscan(c["scale"], &sc.lo, &sc.hi, &sc.min, &sc.max, &sc.minSpan)
					require.NoError(t, err, "%v", c)
					assert.True(t, sc.lo <= sc.min && sc.max <= sc.hi, "%s: its axis holds its values: %+v", c["key"], sc)
					assert.LessOrEqual(t, sc.hi-sc.lo, 3*max(sc.max-sc.min, sc.minSpan), "%s: its axis is its own: %+v", c["key"], sc)
					scales[c["key"]] = sc
				}
				assert.NotEqual(t, scales["emuc0f8fridge000000a temperature"], scales["emuc0f8freezer00000b temperature"])
				// The status line says what is wrong while the stream is down and
				// clears when it is back.
				eval[bool](tb, `(window.__status = [], new MutationObserver(() => { const s = document.querySelector('#status').textContent; if (s) __status.push(s); })
  .observe(document.querySelector('#status'), { childList: true, characterData: true, subtree: true }), true)`)
				click(tb, "#kill")
				waitFor(tb, num("#reconnects")+` >= 1 && `+text("#state")+` === 'open' && /back after/.test(`+text("#outages")+`)`, 20*time.Second)
				assert.Equal(t, "", eval[string](tb, text("#status")), "the status line clears when the stream is back")
				assert.NotEmpty(t, eval[[]string](tb, `__status`), "the status line showed the outage")
				click(tb, "#stall")
				waitFor(tb, `/watchdog/.test(`+text("#outages")+`) && `+num("#reconnects")+` >= 2`, 20*time.Second)
				waitFor(tb, text("#state")+` === 'open' && `+text("#status")+` === ''`, 20*time.Second)
				assert.Contains(t, strings.Join(eval[[]string](tb, `__status`), "\n"), "watchdog")
				// Live again, and enough of it for the screenshot to show lines.
				events := eval[int](tb, num("#events"))
				waitFor(tb, num("#events")+fmt.Sprintf(` > %d`, events+30), 20*time.Second)
			}},
		{name: "live-users", ready: []string{`/^\d+$/.test(` + text("#users") + `)`, `+(/^Last (\d+) counts · \d+–\d+$/.exec(` + text("#range") + `) || [])[1] >= 10`}},
		{name: "smart-home", ready: []string{
			`[...document.querySelectorAll('#rooms .value')].every((e) => /°C/.test(e.textContent))`,
			`[...document.querySelectorAll('#rooms tbody')].every((b) => b.rows.length >= 2)`,
			// the document's fields: blinds in the kitchen, curtains elsewhere
			`/Blinds/.test(` + text("#room-kitchen tbody") + `) && /Curtains/.test(` + text("#room-bedroom tbody") + `)`,
			`[...document.querySelectorAll('#rooms .sub')].every((e) => +(/(\d+) updates?$/.exec(e.textContent) || [])[1] >= 4)`}},
		{name: "stocks", ready: []string{`document.querySelectorAll('#sym-ACME tbody tr').length > 2`, `document.querySelectorAll('#sym-GLOBX tbody tr').length > 2`},
			then: func(t *testing.T, tb *tab) {
				click(tb, "#kill")
				// Both symbols reconnect after the reconnection time (3 s) with
				// Last-Event-ID; the ticks published meanwhile arrive, marked.
				waitFor(tb, num("#resumes")+` >= 2`, 20*time.Second)
				waitFor(tb, `document.querySelectorAll('#sym-ACME tr.resumed .tag').length > 0 && document.querySelectorAll('#sym-GLOBX tr.resumed .tag').length > 0`, 10*time.Second)
				assert.Greater(t, eval[int](tb, num("#resumed")), 2, "the missed ticks were replayed")
				// And live ones after them.
				waitFor(tb, `[...document.querySelectorAll('#symbols tbody')].every((b) => b.rows[0] && !b.rows[0].classList.contains('resumed'))`, 10*time.Second)
				assert.Equal(t, "0", eval[string](tb, text("#lost")), "no id lost")
				assert.Equal(t, "0", eval[string](tb, text("#dup")), "no id repeated")
				assert.Regexp(t, `missed events? replayed \(ids \d+–\d+\)`, eval[string](tb, text("#log")))
			}},
		{name: "side-by-side",
			ready: []string{`document.querySelector('#log-native').textContent.split('\n').length > 4`,
				`document.querySelector('#log-shim').textContent.split('\n').length > 4`, num("#both") + ` >= 3`},
			then: func(t *testing.T, tb *tab) {
				both := eval[int](tb, num("#both"))
				click(tb, "#kill")
				// Both reconnect (retry: 1000) and resume; counted by id, each event
				// reached both.
				opens := func(impl string) string {
					return fmt.Sprintf(`document.querySelector('#log-%s').textContent.split('\n').filter((l) => l === 'open').length`, impl)
				}
				waitFor(tb, opens("native")+` >= 2 && `+opens("shim")+` >= 2`, 20*time.Second)
				waitFor(tb, num("#both")+fmt.Sprintf(` > %d`, both+5), 20*time.Second)
				for _, id := range []string{"#only-native", "#only-shim", "#neither", "#dup"} {
					assert.Equal(t, "0", eval[string](tb, text(id)), "%s: %s\nbrowser's:\n%s\nsseshim:\n%s", id, eval[string](tb, text("#summary")),
						eval[string](tb, text("#log-native")), eval[string](tb, text("#log-shim")))
				}
			}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			since := logs.mark()
			tb := newTab(t)
			watchPage(t, tb)
			viewport(t, tb, 1280, 800, 1, false)
			url := base + "/" + p.name + ".html"
			if p.name == "index" {
				url = base + "/"
			}
			tb.navigate(url)
			for _, c := range p.ready {
				waitFor(tb, c, 30*time.Second)
			}
			if p.then != nil {
				p.then(t, tb)
			}
			waitFor(tb, canvasesSharp, 5*time.Second)
			// The page names a favicon, and it is there: no 404 for
			// /favicon.ico in any browser.
			assert.Equal(t, "200 image/svg+xml", eval[string](tb,
				`fetch(document.querySelector('link[rel=icon]').href).then((r) => r.status + ' ' + r.headers.get('content-type'))`))
			assert.Equal(t, 0, eval[int](tb, `document.querySelectorAll('img').length`), "no markup from stream data")
			assert.Empty(t, eval[[]string](tb, `window.__dialogs`), "no script from stream data")
			screenshot(t, tb, p.name)

			// At phone width: nothing wider than the screen, canvases redrawn
			// at the phone's pixel ratio.
			viewport(t, tb, 375, 812, 2, true)
			waitFor(tb, `innerWidth === 375 && devicePixelRatio === 2`, 5*time.Second)
			waitFor(tb, canvasesSharp, 5*time.Second)
			assert.LessOrEqual(t, eval[int](tb, `document.documentElement.scrollWidth`), 375, "no horizontal scroll at 375 px")
			screenshot(t, tb, p.name+"-phone")

			for _, f := range logs.failures(since) {
				t.Errorf("the server answered %s", f)
			}
		})
	}
}
