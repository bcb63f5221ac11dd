//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A shared source that cannot have its shared connection after all falls
// back to the page's own engine through the same start sequence as any
// other source: it receives its events, and where the engine has died it
// fails at once with kind engine and readyState CLOSED, as a source made
// after the engine's death does (TestEngineDeathFailsEverySource), instead
// of waiting forever. Two ways to fall back: a request the worker cannot
// receive (a FormData body, refused by postMessage), and a worker that
// cannot start (its script is missing). Two ways for the engine to die: an
// exception from a call into it, and the Go program's exit.
func TestShareFallbackStartsLikeAnyOtherSource(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	s.mux.HandleFunc("/nowhere/", http.NotFound)
	s.mux.HandleFunc("/missing-worker.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8">
<script src="/dist/sseshim.js" data-polyfill="off" data-share-worker="/nowhere/sseshim-share.js"></script>`)
	})
	// outcome makes a source and says how it ends: its first message, or
	// its error. (The bound only turns a hang into a failure.)
	const outcome = `(init) => new Promise((resolve) => {
  const es = new sseshim.EventSource('/x', init);
  const end = (what) => { es.close(); resolve(what); };
  es.onmessage = (e) => end('message ' + e.data + ' rs=' + es.readyState + ' shared=' + es.stats.shared + ' notShared=' + es.stats.notShared);
  es.onerror = (e) => end('error ' + e.kind + ' rs=' + es.readyState + ' ' + e.message);
  setTimeout(() => end('still waiting rs=' + es.readyState), 20000);
})`
	// kill stops the engine as TestEngineDeathFailsEverySource does, while
	// a source is open on it, and returns how that source ended.
	kill := func(how string) string {
		return fmt.Sprintf(`(async () => {
  const es = new sseshim.EventSource('/x');
  await new Promise((r) => { es.onmessage = r; });
  const ended = new Promise((r) => { es.onerror = (e) => r('error ' + e.kind + ' rs=' + es.readyState); });
  const rt = __sseshim.runtime;
  rt.exited = true;
  if (%q === 'exit') rt._resolveExitPromise(); // no call into Go: the shim hears of the exit itself
  else void es.stats; // the call into Go throws
  return ended;
})()`, how)
	}
	const fallback = "message a rs=1 shared=false notShared=the shared worker could not start"
	const dead = `^error engine rs=2 sseshim: the engine stopped`
	formData := `{ share: 'fallback', method: 'POST', body: new FormData() }`

	for _, how := range []string{"exception", "exit"} {
		t.Run("unsendable-request-"+how, func(t *testing.T) {
			tb := openHarness(t, s)
			tb.expectConsole("Go program has already exited") // the engine's timers, after its death
			assert.Equal(t, fallback, eval[string](tb, fmt.Sprintf(`(%s)(%s)`, outcome, formData)))
			assert.Equal(t, "error engine rs=2", eval[string](tb, kill(how)))
			assert.Regexp(t, dead, eval[string](tb, fmt.Sprintf(`(%s)(%s)`, outcome, formData)))
		})
	}

	t.Run("worker-missing", func(t *testing.T) {
		open := func() *tab {
			tb := newTab(t)
			tb.expectConsole("404")
			tb.expectConsole("Not Found")
			tb.expectConsole("Go program has already exited")
			tb.navigate(s.URL + "/missing-worker.html")
			eval[bool](tb, `sseshim.ready.then(() => true)`)
			return tb
		}
		assert.Equal(t, fallback, eval[string](open(), fmt.Sprintf(`(%s)({ share: true })`, outcome)))

		// The engine dies before the page's first shared source, whose
		// worker then fails to start.
		tb := open()
		assert.Equal(t, "error engine rs=2", eval[string](tb, kill("exception")))
		assert.Regexp(t, dead, eval[string](tb, fmt.Sprintf(`(%s)({ share: true })`, outcome)))
	})
}
