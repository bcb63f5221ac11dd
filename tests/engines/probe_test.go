//go:build !js

package engines

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// What each engine offers of what sseshim uses, logged for the README's
// browser support table. What sseshim needs is asserted; what it can do
// without (share's SharedWorker and Web Locks, batch: 'frame”s animation
// frames) is logged with how it degrades.
var _ = scenario("capabilities", func(t *testing.T, b *browser) {
	b.mux.HandleFunc("/probe/once", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		fmt.Fprint(w, "data: hi\n\n")
		f.Flush()
		<-r.Context().Done()
	})
	got := eval[map[string]any](t, b, `
const has = (f) => { try { return !!f(); } catch (e) { return false; } };
const moduleWorker = await new Promise((resolve) => {
  try {
    const w = new Worker(URL.createObjectURL(new Blob(['postMessage(typeof import.meta)'], { type: 'text/javascript' })), { type: 'module' });
    w.onmessage = (e) => resolve(e.data === 'object');
    w.onerror = () => resolve(false);
  } catch (e) { resolve(false); }
});
const inWorker = await new Promise((resolve) => {
  const src = 'postMessage({SharedWorker: typeof SharedWorker === "function", locks: !!(navigator.locks), userAgent: navigator.userAgent})';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => resolve(e.data);
  w.onerror = () => resolve(null);
});
// Where there is no SharedWorker (a dedicated worker, in every engine),
// share falls back to a connection of the source's own.
const shareInWorker = await new Promise((resolve) => {
  const src = 'importScripts(' + JSON.stringify(location.origin + '/dist/sseshim.js') + ');' +
    'const es = new sseshim.EventSource(' + JSON.stringify(location.origin + '/probe/once') + ', { share: true });' +
    'es.onmessage = (e) => { es.close(); postMessage({ data: e.data, shared: es.stats.shared }); };' +
    'es.onerror = (e) => postMessage({ error: e.kind + " " + e.message });';
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.onerror = (e) => { w.terminate(); resolve({ error: String(e.message) }); };
});
return {
  shareInWorker,
  // needed
  WebAssembly: has(() => WebAssembly.instantiate),
  fetchStreams: has(() => Response.prototype.hasOwnProperty('body') && ReadableStream.prototype.getReader),
  AbortController: has(() => AbortController),
  EventTargetSubclass: has(() => new (class extends EventTarget {})()),
  MessageEventSubclass: has(() => new (class extends MessageEvent {})('x')),
  moduleWorker,
  // optional
  instantiateStreaming: has(() => WebAssembly.instantiateStreaming),
  SharedWorker: typeof SharedWorker === 'function',
  WebLocks: has(() => navigator.locks && navigator.locks.request),
  requestAnimationFrame: typeof requestAnimationFrame === 'function',
  BroadcastChannel: typeof BroadcastChannel === 'function',
  CompressionStream: typeof CompressionStream === 'function',
  requestStreams: has(() => { let d = false; new Request('/', { method: 'POST', body: new ReadableStream(), get duplex() { d = true; return 'half'; } }); return d; }),
  ReadableStreamFrom: has(() => ReadableStream.from),
  userAgentData: has(() => navigator.userAgentData),
  vendor: navigator.vendor,
  inDedicatedWorker: inWorker,
  userAgent: navigator.userAgent,
};`)
	t.Logf("%s capabilities: %v", b.engine, got)
	assert.Equal(t, map[string]any{"data": "hi", "shared": false}, got["shareInWorker"], "share in a dedicated worker: a connection of its own")
	for _, need := range []string{"WebAssembly", "fetchStreams", "AbortController", "EventTargetSubclass", "MessageEventSubclass", "moduleWorker"} {
		assert.Equal(t, true, got[need], "%s: sseshim needs %s", b.engine, need)
	}
	// WebKit alone re-encodes header bytes (see last-event-id-bytes); the
	// engine tells it by the user agent string, in windows and workers alike.
	w, _ := got["inDedicatedWorker"].(map[string]any)
	for where, ua := range map[string]any{"page": got["userAgent"], "worker": w["userAgent"]} {
		s, _ := ua.(string)
		webkit := strings.Contains(s, "AppleWebKit/") && !strings.Contains(s, "Chrome/") && !strings.Contains(s, "Chromium/")
		assert.Equal(t, b.engine == "webkit", webkit, "%s's user agent string: %q", where, s)
	}
})
