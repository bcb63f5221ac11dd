//go:build !js

package engines

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// swSupport is, by engine, which service workers the engine runs (the
// probe below registers a trivial one of each kind): where it has a kind,
// sseshim must run there; where it has not, the probe must still say so, and
// a change shows up as a failure to update this table.
var swSupport = map[string]map[string]bool{
	"chromium": {"classic": true, "module": true},
	"firefox":  {"classic": true, "module": true},
	"webkit":   {"classic": true, "module": true},
}

// The streams and the scenario are the Chromium test's
// (tests/serviceworker_test.go, tests/testdata/serviceworker): /sw/stream
// cuts a multi-byte character across chunks, /sw/401 refuses.
var swPieces = []string{
	"id: 1\ndata: héllo wörld\n\nid: 2\ndata: 日本",
	"語 ✓ \xf0\x9f",
	"\x9a\x80\n\nevent: done\ndata: .\n\n",
}

var swWant = []string{
	"run 1", "realm true", "open", "message héllo wörld #1", "message 日本語 ✓ 🚀 #2", "done",
	"error status 401 rs=2",
}

// In a classic service worker (importScripts) and a module one (import),
// where the engine has them, sseshim streams with an Authorization header.
var _ = scenario("service-workers", func(t *testing.T, b *browser) {
	var (
		mu   sync.Mutex
		auth = map[string]string{}
	)
	b.mux.Handle("/sw/", http.StripPrefix("/sw/", noStore(http.FileServer(http.Dir(filepath.Join("..", "testdata", "serviceworker"))))))
	b.mux.HandleFunc("/sw/stream", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth[r.URL.Query().Get("realm")] = r.Header.Get("Authorization")
		mu.Unlock()
		sseStart(w)
		_ = writeChunks(w, swPieces)
		<-r.Context().Done()
	})
	b.mux.HandleFunc("/sw/401", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no token", http.StatusUnauthorized)
	})
	// The probe: a trivial worker of each kind, the module one with an
	// import, so that an engine that would run it as a classic script
	// fails it.
	js := func(path, body string) {
		b.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript")
			w.Header().Set("Cache-Control", "no-store")
			fmt.Fprint(w, body)
		})
	}
	js("/swprobe/classic.js", "self.probed = true;")
	js("/swprobe/module.js", "import './dep.js';")
	js("/swprobe/dep.js", "self.probed = true;")
	got := eval[map[string]any](t, b, `
// activated registers the worker at url in its own scope and resolves once
// it is activated, or rejects with why not.
const activated = async (url, type) => {
  const reg = await navigator.serviceWorker.register(url, { type, scope: url + '/' });
  const sw = reg.installing || reg.waiting || reg.active;
  if (sw.state !== 'activated') {
    await new Promise((resolve, reject) => sw.addEventListener('statechange', () => {
      if (sw.state === 'activated') resolve();
      if (sw.state === 'redundant') reject(new Error('redundant'));
    }));
  }
  return sw;
};
const probe = async (type) => {
  if (!('serviceWorker' in navigator)) return 'no navigator.serviceWorker';
  try { await activated('/swprobe/' + type + '.js', type); return 'ok'; } catch (e) { return String(e && e.name) + ': ' + String(e && e.message); }
};
const run = async (url, type) => {
  const sw = await activated(url, type);
  const ch = new MessageChannel();
  const reply = new Promise((resolve) => { ch.port1.onmessage = (e) => resolve(e.data); });
  sw.postMessage('run', [ch.port2]);
  return reply;
};
const out = { probe: { classic: await probe('classic'), module: await probe('module') } };
if (out.probe.classic === 'ok') out.classic = await run('/sw/classic.js', 'classic');
if (out.probe.module === 'ok') out.module = await run('/sw/module.js', 'module');
return out;`)
	probe, _ := got["probe"].(map[string]any)
	t.Logf("%s: service worker probe %v", b.engine, probe)
	for _, kind := range []string{"classic", "module"} {
		has := swSupport[b.engine][kind]
		assert.Equal(t, has, probe[kind] == "ok", "%s: %s service workers (probe: %v); update swSupport", b.engine, kind, probe[kind])
		if !has {
			continue
		}
		assert.Equal(t, toAny(swWant), got[kind], "%s: sseshim in a %s service worker", b.engine, kind)
		mu.Lock()
		assert.Equal(t, "Bearer sw-"+kind, auth[kind], "%s, %s: the header the server saw", b.engine, kind)
		mu.Unlock()
	}
})

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
