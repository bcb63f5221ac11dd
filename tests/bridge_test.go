//go:build !js

package tests

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shim and the bridge each keep a table of the options (core.js OPTIONS,
// jsbridge/config.go options): every option the shim can send is read by the
// bridge, and every option the bridge reads can be sent. The shim's names are
// read from its own error messages, which list the known options.
func TestOptionTablesAgree(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(() => {
  const known = (init) => { try { new sseshim.EventSource('/x', init); return ''; } catch (e) { return e.message; } };
  return {
    top: known({unknownOption: 1}),
    ping: known({ping: {interval: 1, unknownOption: 1}}),
    retry: known({retry: {unknownOption: 1}}),
    engine: __sseshimGo.options,
  };
})()`)
	list := func(msg string) []string {
		m := regexp.MustCompile(`\(known: ([^)]*)\)`).FindStringSubmatch(msg)
		require.NotNil(t, m, msg)
		return strings.Split(m[1], ", ")
	}
	var shim []string
	for _, k := range list(got["top"].(string)) {
		if k != "json" { // used by the shim alone
			shim = append(shim, k)
		}
	}
	for _, g := range []string{"ping", "retry"} {
		for _, k := range list(got[g].(string)) {
			shim = append(shim, g+"."+k)
		}
	}
	var engine []string
	for _, k := range got["engine"].([]any) {
		engine = append(engine, k.(string))
	}
	sort.Strings(shim)
	assert.Equal(t, engine, shim)

	// And the engine accepts every one of them as the shim sends it: a
	// source with every option set opens and receives its event.
	res := eval[[]string](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/x', {
    withCredentials: true, headers: {'X-A': '1'}, format: 'auto', json: true,
    ping: {interval: 60000, leeway: 1000, param: 'p', eventType: 'beat', requireEvent: false, dispatch: true},
    retry: {initial: 500, max: 1000, factor: 1.5, jitter: 0.1, maxAttempts: 3, immediateAfter: 0, healthyAfter: 1000}, connectTimeout: 5000,
    retryStatuses: [503], dedupe: 10, lastEventId: 'x', lastEventIdParam: false, maxEventSize: 1000,
    eventTypePath: ['t'], idPath: ['i'],
  });
  es.onmessage = (e) => { log.push('message ' + e.data); es.close(); resolve(log); };
  es.onerror = (e) => { log.push('error ' + e.kind + ' ' + e.message); es.close(); resolve(log); };
})`)
	assert.Equal(t, []string{"message a"}, res)
}

// close() while a headers function's promise never settles: the engine stops
// waiting at once and releases the source.
func TestCloseDuringPendingHeadersReleasesEverything(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: a\n\n"))
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `(async () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const sources = [];
  let called = 0;
  for (let i = 0; i < 5; i++) sources.push(new sseshim.EventSource('/x', { headers: () => { called++; return new Promise(() => {}); } }));
  await wait(100);
  const before = __sseshimGo.live();
  for (const es of sources) es.close();
  let after = __sseshimGo.live();
  for (let i = 0; i < 50 && (after.sources || after.promises); i++) { await wait(20); after = __sseshimGo.live(); }
  // The engine still works.
  const msg = await new Promise((resolve) => {
    const es = new sseshim.EventSource('/x', { headers: async () => ({ 'X-T': '1' }) });
    es.onmessage = (e) => { es.close(); resolve(e.data); };
  });
  return { called, before, after, msg, states: sources.map((s) => s.readyState).join() };
})()`)
	assert.Equal(t, float64(5), got["called"])
	assert.Equal(t, map[string]any{"sources": float64(5), "promises": float64(5)}, got["before"])
	assert.Equal(t, map[string]any{"sources": float64(0), "promises": float64(0)}, got["after"])
	assert.Equal(t, "a", got["msg"])
	assert.Equal(t, "2,2,2,2,2", got["states"])
}

// error and retrying events are instances of the exported classes.
func TestErrorAndRetryingEventClasses(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const r = {};
  const es = new sseshim.EventSource('/gone', { retryStatuses: [503], retry: { initial: 10, maxAttempts: 2 } });
  es.onerror = (e) => {
    if (!r.first) r.first = { cls: e instanceof sseshim.SseshimErrorEvent, kind: e.kind, status: e.status, code: e.code ?? null, rs: es.readyState, own: Object.keys(e).join() };
    if (es.readyState === 2) { r.last = { kind: e.kind, message: e.message }; resolve(r); }
  };
  es.addEventListener('retrying', (e) => { r.retrying = { cls: e instanceof sseshim.RetryingEvent, delay: e.delay, attempt: e.attempt }; });
  const made = new sseshim.SseshimErrorEvent('error', { kind: 'network', message: 'm' });
  r.made = [made.kind, made.message, made.status ?? null, made instanceof Event].join();
})`)
	assert.Equal(t, map[string]any{"cls": true, "kind": "status", "status": float64(503), "code": nil, "rs": float64(0), "own": "isTrusted"}, got["first"])
	assert.Equal(t, map[string]any{"cls": true, "delay": float64(10), "attempt": float64(1)}, got["retrying"])
	assert.Equal(t, "max-attempts", got["last"].(map[string]any)["kind"])
	assert.Equal(t, "network,m,,true", got["made"])
}

// Disruptive Technologies over text/event-stream: pings are data-only frames
// holding a ping envelope; with the watchdog on they count as pings, fire
// "ping", and are not messages.
func TestEnvelopePingsOverSSEInTheBrowser(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/dt", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ping_interval") != "10s" {
			http.Error(w, "no ping_interval", 400)
			return
		}
		holdStream(`data: {"result":{"event":{"eventId":"p1","targetName":"projects/P","eventType":"ping","data":null}}}`+"\n\n"+
			`data: {"result":{"event":{"eventId":"e1","eventType":"touch","data":{"touch":{}}}}}`+"\n\n"+
			`data: {"result":{"event":{"eventId":"p2","targetName":"projects/P","eventType":"ping","data":null}}}`+"\n\n"+
			"event: done\ndata: .\n\n")(w, r)
	})
	tb := openHarness(t, s)
	got := eval[map[string]any](tb, `new Promise((resolve) => {
  const log = [];
  const es = new sseshim.EventSource('/dt', { ping: 10000 });
  es.onmessage = (e) => log.push('message ' + JSON.parse(e.data).result.event.eventType);
  es.addEventListener('ping', () => log.push('ping'));
  es.addEventListener('done', () => { const st = es.stats; es.close(); resolve({ log: log.join(), pings: st.pings, events: st.events }); });
  es.onerror = (e) => { es.close(); resolve({ log: 'error ' + e.message }); };
})`)
	assert.Equal(t, "ping,message touch,ping", got["log"])
	assert.Equal(t, float64(2), got["pings"])
	assert.Equal(t, float64(2), got["events"], "the touch event and done")
}
