//go:build !js

package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startDevServer builds and runs the real dev server binary, as `make run`
// does, on a free port, and stops it with SIGTERM at the end of the test,
// checking that it shuts down cleanly with streams open.
func startDevServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	dist, err := filepath.Abs(distDir)
	require.NoError(t, err)
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dist", dist, "-speed", "4", "-heartbeat", "1s")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
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
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "the server exits cleanly on SIGTERM")
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("the server did not shut down within 15 s of SIGTERM")
		}
	})
	return base
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

func TestDemoPages(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	base := startDevServer(t)
	text := func(sel string) string { return fmt.Sprintf(`document.querySelector(%q).textContent`, sel) }
	pages := []struct {
		name  string
		ready []string // JavaScript conditions that show live values
		then  func(tb *tab)
	}{
		{name: "index", ready: []string{`document.querySelectorAll('#demos li a').length === 6`}},
		{name: "losant", ready: []string{text("#tempNumbers") + `.split(',').length > 3`, `/°F/.test(` + text("#value") + `)`, text("#state") + ` === 'open'`}},
		{name: "dt", ready: []string{`document.querySelectorAll('#cards .card').length >= 3`, `+` + text("#events") + ` > 5`, `+` + text("#pings") + ` > 0`},
			then: func(tb *tab) {
				eval[bool](tb, `(document.querySelector('#kill').click(), true)`)
				waitFor(tb, `+`+text("#reconnects")+` >= 1 && document.querySelector('#state').textContent === 'open'`, 20*time.Second)
				eval[bool](tb, `(document.querySelector('#stall').click(), true)`)
				waitFor(tb, `/watchdog/.test(`+text("#last-error")+`) && +`+text("#reconnects")+` >= 2`, 20*time.Second)
				waitFor(tb, text("#state")+` === 'open'`, 20*time.Second)
			}},
		{name: "live-users", ready: []string{`/^\d+$/.test(` + text("#users") + `)`}},
		{name: "smart-home", ready: []string{`[...document.querySelectorAll('#rooms .value')].every((e) => /°C/.test(e.textContent))`}},
		{name: "stocks", ready: []string{`document.querySelectorAll('#sym-ACME tbody tr').length > 2`, `document.querySelectorAll('#sym-GLOBX tbody tr').length > 2`},
			then: func(tb *tab) {
				eval[bool](tb, `(document.querySelector('#kill').click(), true)`)
				waitFor(tb, `+`+text("#resumes")+` >= 1 && document.querySelectorAll('#sym-ACME tbody tr').length > 4`, 20*time.Second)
				assert.Equal(tb.t, "no gaps", eval[string](tb, text("#gaps")), "resumed with nothing lost or repeated")
			}},
		{name: "side-by-side", ready: []string{`document.querySelector('#log-native').textContent.split('\n').length > 4`,
			`document.querySelector('#log-shim').textContent.split('\n').length > 4`, `+` + text("#same") + ` >= 3`}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			tb := newTab(t)
			url := base + "/" + p.name + ".html"
			if p.name == "index" {
				url = base + "/"
			}
			tb.navigate(url)
			for _, c := range p.ready {
				waitFor(tb, c, 30*time.Second)
			}
			if p.then != nil {
				p.then(tb)
			}
			screenshot(t, tb, p.name)
		})
	}
}
