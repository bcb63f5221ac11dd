//go:build !js

package tests

import (
	"bufio"
	"context"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeSnippet is one fenced code block of the README.
type readmeSnippet struct {
	lang string
	line int // of the opening fence
	code string
}

func readmeSnippets(t *testing.T) []readmeSnippet {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	defer f.Close()
	var (
		out  []readmeSnippet
		cur  *readmeSnippet
		body []string
		n    int
	)
	fence := regexp.MustCompile("^```([A-Za-z]*)\\s*$")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil:
			if m := fence.FindStringSubmatch(line); m != nil {
				cur, body = &readmeSnippet{lang: m[1], line: n}, nil
			}
		case strings.TrimSpace(line) == "```":
			cur.code = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
		default:
			body = append(body, line)
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "README: a code block opened at line %d is not closed", func() int {
		if cur != nil {
			return cur.line
		}
		return 0
	}())
	return out
}

// readmeImportMap is how the README says to use the ES module without a
// bundler; its JavaScript snippets run under it.
const readmeImportMap = `<script type="importmap">{ "imports": { "sseshim": "/dist/index.js" } }</script>`

// TestReadme runs every snippet of the README as a new user would, against
// the real dev server binary: HTML snippets as pages of the dev server's
// origin, JavaScript snippets as module scripts under the README's import
// map, each in Chromium and each required to show live data (every browser
// snippet logs what it receives with console.log); the Go snippet is
// compiled and run against the server. Shell commands and the layout sketch
// are exempt.
func TestReadme(t *testing.T) {
	snippets := readmeSnippets(t)
	count := map[string]int{}
	for _, s := range snippets {
		count[s.lang]++
		switch s.lang {
		case "html", "js", "go", "sh", "":
		case "ts": // type-checked with tsc --strict by TestTypes (types_test.go)
		case "json": // an extension's manifest: TestExtensionMV3 loads it (extension_mv3_test.go)
		default:
			t.Errorf("README line %d: a %q snippet: say in readme_test.go how to run it, or that it is exempt", s.line, s.lang)
		}
	}
	assert.GreaterOrEqual(t, count["html"], 2, "the README's HTML snippets")
	assert.GreaterOrEqual(t, count["js"], 3, "the README's JavaScript snippets")
	assert.Equal(t, 1, count["go"], "the README's Go snippet")
	for _, s := range snippets {
		if strings.Contains(s.code, "/sseshim/sseshim.js") {
			t.Errorf("README line %d: the dev server serves dist/ at /dist/, not /sseshim/", s.line)
		}
	}
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	base := startDevServer(t)

	for i, s := range snippets {
		name := fmt.Sprintf("%s-line%d", s.lang, s.line)
		switch s.lang {
		case "html":
			t.Run(name, func(t *testing.T) {
				readmePage(t, base, i, `<!doctype html><meta charset="utf-8">`+"\n"+s.code)
			})
		case "js":
			if kind := readmeServiceWorkerKind(s.code); kind != "" {
				t.Run(name, func(t *testing.T) { readmeServiceWorker(t, base, i, kind, s.code) })
				continue
			}
			t.Run(name, func(t *testing.T) {
				readmePage(t, base, i, `<!doctype html><meta charset="utf-8">`+"\n"+readmeImportMap+
					"\n<script type=\"module\">\n"+s.code+"</script>\n")
			})
		case "go":
			t.Run(name, func(t *testing.T) { readmeGo(t, base, s.code) })
		}
	}
}

// readmePage serves html at a path of the dev server's origin (the request
// is answered by the browser's Fetch domain; everything else the page loads
// comes from the dev server) and waits for three console.log lines, none of
// them reading undefined, null or NaN.
func readmePage(t *testing.T, base string, i int, html string) {
	tb := newTab(t)
	pageURL := fmt.Sprintf("%s/readme-snippet-%d.html", base, i)
	call := func(f func(ctx context.Context, tg *chromedp.Target) error) {
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Func(f)))
	}
	paused := make(chan fetch.RequestID, 8)
	var (
		mu   sync.Mutex
		logs []string
	)
	require.NoError(t, chromedp.Listen(tb.ctx, func(ev any) {
		switch e := ev.(type) {
		case *fetch.EventRequestPaused:
			select {
			case paused <- e.RequestID:
			default:
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeLog {
				return
			}
			var parts []string
			for _, a := range e.Args {
				var str string
				switch {
				case len(a.Value) > 0 && json.Unmarshal(a.Value, &str) == nil:
					parts = append(parts, str)
				case len(a.Value) > 0:
					parts = append(parts, string(a.Value))
				default:
					parts = append(parts, a.Description)
				}
			}
			mu.Lock()
			logs = append(logs, strings.Join(parts, " "))
			mu.Unlock()
		}
	}))
	call(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pageURL}}})
		return err
	})
	go func() {
		for {
			var id fetch.RequestID
			select {
			case id = <-paused:
			case <-tb.ctx.Done():
				return
			}
			_ = chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: id, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}, {Name: "Cache-Control", Value: "no-store"}},
					Body:            []byte(html)})
				return err
			}))
		}
	}()
	tb.navigate(pageURL)

	snapshot := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logs...)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(snapshot()) < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	got := snapshot()
	t.Logf("console: %q", got)
	require.GreaterOrEqual(t, len(got), 3, "the snippet shows live data (console.log of what it receives)")
	bad := regexp.MustCompile(`\b(undefined|null|NaN)\b`)
	for _, l := range got {
		assert.False(t, bad.MatchString(l), "a logged value is missing: %q", l)
	}
}

// readmeServiceWorkerKind tells a service worker snippet by its first line,
// "// sw.js: …" (classic) or "// sw-module.js: …" (module); "" for others.
func readmeServiceWorkerKind(code string) string {
	switch {
	case strings.HasPrefix(code, "// sw.js:"):
		return "classic"
	case strings.HasPrefix(code, "// sw-module.js:"):
		return "module"
	}
	return ""
}

// readmeSWRelay goes before a service worker snippet: its console.log lines
// also go to the pages of its origin, whose console readmePage reads (a
// block before a module's imports is allowed: they are hoisted).
const readmeSWRelay = `{
  const show = console.log.bind(console);
  console.log = (...args) => {
    show(...args);
    self.clients.matchAll({ includeUncontrolled: true })
      .then((cs) => { for (const c of cs) c.postMessage(args.map(String).join(' ')); });
  };
}
`

// readmeServiceWorker runs a service worker snippet as a new user would: a
// page registers it, waits until it is active and posts it a message, and
// shows what it logs. The worker's script and the page need one origin, so
// a server of the test's serves the script and passes everything else on
// to the dev server.
func readmeServiceWorker(t *testing.T, base string, i int, kind, code string) {
	target, err := url.Parse(base)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/readme-sw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, readmeSWRelay+code)
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	// After the page's tab has closed (cleanups run last first): the worker
	// outlives its page, so stop it, and with it its stream.
	t.Cleanup(func() {
		stopServiceWorkers(t, newTab(t))
		srv.CloseClientConnections()
		srv.Close()
	})
	readmePage(t, srv.URL, i, `<!doctype html><meta charset="utf-8">
<script>
navigator.serviceWorker.onmessage = (e) => console.log(e.data);
navigator.serviceWorker.register('/readme-sw.js', { type: '`+kind+`' }).then(async (reg) => {
  const sw = reg.installing || reg.waiting || reg.active;
  while (sw.state !== 'activated') await new Promise((r) => sw.addEventListener('statechange', r, { once: true }));
  sw.postMessage('start');
});
</script>
`)
}

// readmeGo compiles the Go snippet inside a main package (with -overlay, so
// nothing is written into the repository) and runs it against the dev
// server's /live-users for a few seconds.
func readmeGo(t *testing.T, base, code string) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

var _, _ = fmt.Sprint, log.Print

func main() {
	show(os.Args[1])
}

func show(url string) {
` + code + `	time.Sleep(3 * time.Second)
}
`
	mainGo := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(mainGo, []byte(src), 0o644))
	overlay := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(overlay, []byte(fmt.Sprintf(`{"Replace":{%q:%q}}`,
		filepath.Join(root, "tests", "readme_go_snippet", "main.go"), mainGo)), 0o644))
	bin := filepath.Join(dir, "snippet")
	build := exec.Command("go", "build", "-overlay", overlay, "-o", bin, "./tests/readme_go_snippet")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "the README's Go snippet compiles:\n%s\n%s", out, src)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err = exec.CommandContext(ctx, bin, base+"/live-users").CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Logf("output: %q", lines)
	require.GreaterOrEqual(t, len(lines), 2, "live events")
	for _, l := range lines {
		assert.Regexp(t, `^message \d+$`, l)
	}
}

// TestReadmeLinks holds the README's links to what is there: a relative link
// or image names a file of the repository, and an #anchor one of the
// README's headings (as GitHub makes their anchors).
func TestReadmeLinks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	text := string(b)
	anchors := map[string]bool{}
	heading := regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		anchors[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")] = true
	}
	links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
	require.NotEmpty(t, links)
	for _, m := range links {
		target := m[1]
		switch {
		case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
		case strings.HasPrefix(target, "#"):
			assert.True(t, anchors[target[1:]], "README: %s names no heading", target)
		default:
			path, _, _ := strings.Cut(target, "#")
			_, err := os.Stat(filepath.Join("..", filepath.FromSlash(path)))
			assert.NoError(t, err, "README: %s names no file", target)
		}
	}
}
