//go:build !js

package tests

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realmScenario runs the same streams through sseshim in any realm and
// returns the event log: headers, reconnection with Last-Event-ID, NDJSON
// with json, and fromReadableStream over a fetch() body.
const realmScenario = `
async function runScenario(ES, tag) {
  const log = [];
  const run = (url, init, types = []) => new Promise((resolve) => {
    const es = new ES(url + (url.includes('?') ? '&' : '?') + 'realm=' + tag, init);
    const push = (e) => log.push(e.type + ' ' + (e.json ? JSON.stringify(e.json) : e.data) + ' #' + e.lastEventId);
    es.onmessage = push;
    for (const t of types) es.addEventListener(t, push);
    es.addEventListener('done', () => { es.close(); resolve(); });
    es.onerror = (e) => { log.push('error ' + e.kind + ' rs=' + es.readyState + (e.kind === 'engine' ? ' ' + e.message : '')); if (es.readyState === 2) resolve(); };
  });
  await run('/realm/sse', { headers: async () => ({ Authorization: 'Bearer ' + tag.length }), retry: { initial: 10 } });
  await run('/realm/ndjson', { format: 'ndjson', json: true }, ['temperature']);
  const res = await fetch('/realm/sse?once=1&realm=' + tag);
  await new Promise((resolve) => {
    const es = ES.fromReadableStream(res.body);
    es.onmessage = (e) => log.push('stream ' + e.data + ' #' + e.lastEventId);
    es.onerror = () => { log.push('stream end rs=' + es.readyState + ' last=' + es.lastEventId); resolve(); };
  });
  return log;
}
`

// TestRealms runs the scenario in the page, in a classic dedicated worker
// (importScripts), in a module worker (the ES module entry) and in a shared
// worker, and requires the same log from each.
func TestRealms(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/realm/sse", func(w http.ResponseWriter, r *http.Request) {
		f := sseStart(w)
		switch {
		case r.URL.Query().Get("once") != "":
			fmt.Fprint(w, "id: 7\ndata: one\n\ndata: two\n\n")
		case r.Header.Get("Last-Event-ID") == "":
			fmt.Fprintf(w, "retry: 10\nid: 1\ndata: auth=%s\n\n", r.Header.Get("Authorization"))
		default:
			fmt.Fprintf(w, "data: resumed after %s\n\nevent: done\ndata: .\n\n", r.Header.Get("Last-Event-ID"))
			f.Flush()
			<-r.Context().Done()
		}
	})
	s.mux.HandleFunc("/realm/ndjson", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprint(w, `{"result":{"event":{"eventId":"e1","eventType":"temperature","data":{"t":"21 °C"}}}}`+"\n"+
			`{"result":{"event":{"eventId":"e2","eventType":"done","data":null}}}`+"\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	js := func(path, body string) {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, body)
		})
	}
	js("/realm/classic.js", `importScripts('/dist/sseshim.js');`+realmScenario+`
runScenario(self.EventSource === sseshim.EventSource ? EventSource : sseshim.EventSource, 'classic').then((log) => postMessage(log), (e) => postMessage(['failed ' + e]));`)
	js("/realm/module.js", `import { EventSource } from '/dist/index.js';`+realmScenario+`
runScenario(EventSource, 'module').then((log) => postMessage(log), (e) => postMessage(['failed ' + e]));`)
	js("/realm/shared.js", `importScripts('/dist/sseshim.js');`+realmScenario+`
onconnect = (c) => { const port = c.ports[0]; runScenario(sseshim.EventSource, 'shared').then((log) => port.postMessage(log), (e) => port.postMessage(['failed ' + e])); };`)
	js("/realm/page.js", realmScenario)
	s.mux.HandleFunc("/realm.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="off"></script><script src="/realm/page.js"></script>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/realm.html")
	got := eval[map[string][]string](tb, `(async () => {
  const fromWorker = (w) => new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); w.onerror = (e) => resolve(['worker error ' + e.message]); });
  const page = await runScenario(sseshim.EventSource, 'page');
  const classic = await fromWorker(new Worker('/realm/classic.js'));
  const module = await fromWorker(new Worker('/realm/module.js', { type: 'module' }));
  const sw = new SharedWorker('/realm/shared.js');
  const shared = await new Promise((resolve) => { sw.port.onmessage = (e) => resolve(e.data); sw.port.start(); });
  return { page, classic, module, shared };
})()`)
	require.NotEmpty(t, got["page"])
	assert.Equal(t, []string{
		"message auth=Bearer 4 #1", "error end rs=0", "message resumed after 1 #1",
		`temperature {"eventId":"e1","eventType":"temperature","data":{"t":"21 °C"}} #e1`,
		"stream one #7", "stream two #7", "stream end rs=2 last=7",
	}, got["page"])
	// The Authorization header differs by the tag's length only where the tag does.
	for _, realm := range []string{"classic", "module", "shared"} {
		want := append([]string(nil), got["page"]...)
		want[0] = fmt.Sprintf("message auth=Bearer %d #1", len(realm))
		assert.Equal(t, want, got[realm], realm)
	}
}

// TestMessageEventRealm: a message event is created in the realm of its
// EventSource as a MessageEvent (#dispatchMessage), as WPT's
// eventsource/eventsource-onmessage-realm.htm checks: a source made from
// the page with a frame's EventSource gets events whose constructor is the
// frame's MessageEvent, not the page's, nor the subclass that carries its
// fields, with or without json, on its own connection or a shared one.
func TestMessageEventRealm(t *testing.T) {
	s := newServer(t)
	s.mux.HandleFunc("/x", holdStream("data: {\"a\": 1}\n\n"))
	s.mux.HandleFunc("/frame.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><script src="/dist/sseshim.js" data-polyfill="force"></script>`)
	})
	s.mux.HandleFunc("/outer.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><iframe src="/frame.html"></iframe>`)
	})
	tb := newTab(t)
	tb.navigate(s.URL + "/outer.html")
	got := eval[map[string]string](tb, `(async () => {
  await new Promise((r) => (document.readyState === 'complete' ? r() : addEventListener('load', r)));
  const frame = frames[0];
  const check = (init) => new Promise((resolve) => {
    const es = new frame.EventSource('/x', init);
    es.onmessage = (e) => {
      es.close();
      resolve([e.constructor === frame.MessageEvent, e.constructor !== MessageEvent, e instanceof frame.MessageEvent,
        e.constructor.name, Object.prototype.toString.call(e)].join());
    };
    es.onerror = (e) => { es.close(); resolve('error ' + e.kind + ': ' + e.message); };
  });
  return { plain: await check(), json: await check({ json: true }), shared: await check({ share: 'realm' }) };
})()`)
	for _, name := range []string{"plain", "json", "shared"} {
		assert.Equal(t, "true,true,true,MessageEvent,[object MessageEvent]", got[name], name)
	}
}
