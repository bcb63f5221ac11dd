//go:build !js

package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The source documents' own client code (../shared/seeds), run in Chromium
// with sseshim installed as window.EventSource against the real dev server:
// each must show data. The code is the documents', as captured, with only
// the capture's gaps filled: each fixture lists every line it filled (the
// document's line and the fixture's), and TestSeedFixturesAreTheDocuments
// checks that every other line is the document's, word for word.
//
// Around the code, and not part of it, each page has: sseshim's script tag
// (data-polyfill="force"), a console.log recorder, the elements a script
// writes to when its document does not show them, and for the document
// whose client is a Node program, what Node gives a module (require, process,
// Buffer, timers that have refresh()).

// bq is a backquote, for the JavaScript template literals in Go raw strings.
const bq = "`"

// seedFill is one line the capture dropped or mangled: doc is the line as the
// document has it ("" for a line the capture dropped), code as the fixture
// has it.
type seedFill struct{ doc, code string }

type seedFixture struct {
	name string
	doc  string // the document's file name prefix in ../shared/seeds
	what string // which of the document's code this is
	// html is a whole page (the document's own); js a script, which the
	// test serves as a file of its own beside a page of scaffolding.
	html, js string
	fills    []seedFill
	markup   string   // js: elements the script writes to, which the document does not show
	node     bool     // js: run as Node runs a module (the document's client is a Node program)
	ready    []string // JavaScript conditions that show data
	ran      []string // js: text in the code whose block must have run, counted by V8's block coverage
}

var seedFixtures = []seedFixture{
	{
		name: "000-losant-first-example",
		doc:  "000", what: "the first example, Consuming a Streaming Endpoint",
		js: `// Connect to one of your Experience Endpoints.
const evtSource = new EventSource('/api/stream/devices/MY-DEVICE-ID')
//Losant sends events using the mqttMessage subject.
evtSource.addEventListener('mqttMessage', function(e) {
  console.log(e); // Very useful during development to see the data format.
  const { topic, message } = JSON.parse(e.data); // Parse the stream message as an object and save the topic and message as local variables
  let theMessage;
  try {
    // this could fail if message originated from a custom MQTT topic
    // and the messages are not stringified JSON objects
    theMessage = JSON.parse(message);
  } catch (e) {
    // if we fail to parse the message, simply do nothing
  }
  if (theMessage && theMessage.data && typeof theMessage.data.temperature !== 'undefined') {
    // Losant attributes are on the data object. Display the temperature attribute on the page.
    // If you subscribe to custom topics, this message will be whatever you originally published.
    document.getElementById('value').innerHTML = theMessage.data.temperature;
  }
});
`,
		fills: []seedFill{
			{"const { topic, message } JSON.parse(; // Parse the stream message as an object and save the topic and message as local variables",
				"const { topic, message } = JSON.parse(e.data); // Parse the stream message as an object and save the topic and message as local variables"},
			{"", "}"},
			{"if (theMessage && && typeof !== 'undefined') {", "if (theMessage && theMessage.data && typeof theMessage.data.temperature !== 'undefined') {"},
			{"document.getElementById('value').innerHTML =", "document.getElementById('value').innerHTML = theMessage.data.temperature;"},
			{"", "});"},
		},
		markup: `<div id="value"></div>`,
		ready:  []string{`/^\d+(\.\d+)?$/.test(document.getElementById('value').textContent)`},
	},
	{
		name: "000-losant-generator-temperatures",
		doc:  "000", what: "the Generator Temperatures Experience Page",
		html: `<h1>Generator Temperatures</h1>
<h3 id="tempNumbers"></h3>
<script>
  // set the EventSource address to our endpoint
  const evtSource = new EventSource('/api/device/stream')

  // add listener for event type 'mqttMessage'
  evtSource.addEventListener('mqttMessage', e => {
    // Get the raw data on the server-sent event.
    const eventData = JSON.parse(e.data)

    // Get the MQTT message, which includes the payload (message).
    const mqttMessage = JSON.parse(eventData.message)

    // we want all the temp changes
    document.getElementById('tempNumbers').innerHTML += ` + bq + ` ${mqttMessage.data.temperature},` + bq + `
  })
</script>
`,
		fills: []seedFill{
			{"", "<script>"},
			{"const eventData = JSON.parse(", "const eventData = JSON.parse(e.data)"},
			{").innerHTML += ` ${},`", "document.getElementById('tempNumbers').innerHTML += ` ${mqttMessage.data.temperature},`"},
			{"", "})"},
			{"", "</script>"},
		},
		ready: []string{`document.getElementById('tempNumbers').textContent.split(',').filter((t) => /^\s*\d+(\.\d+)?$/.test(t)).length >= 3`},
	},
	{
		name: "001-dt-node-client",
		doc:  "001", what: "the Node.js 20 client (the eventsource package, with an Authorization header)",
		node: true,
		js: `const EventSource = require("eventsource")
// Service Account credentials
const serviceAccountKeyID = process.env.DT_SERVICE_ACCOUNT_KEY_ID
const serviceAccountSecret = process.env.DT_SERVICE_ACCOUNT_SECRET
// Construct API URL
const projectID = process.env.DT_PROJECT_ID
const apiBase = '/v2/'
const devicesStreamUrl = apiBase + ` + bq + `projects/${projectID}/devices:stream` + bq + `
// Constants
const maxConnectionRetries = 5 // Max retries without any received messages
const pingInterval = 10 // Expected interval between pings in seconds
const pingJitter = 2 // Expected ping jitter in seconds
async function main() {
let retryCount = 0
let stream
// Sets up a timer that will restart the stream if there has passed too
// much time between ping events. This timer is reset every time we
// receive a ping.
const pingTimer = setTimeout(() => {
console.log("Too long between pings. Reconnecting...")
setTimeout(() => { // Wait a second before reconnecting
setupStream()
}, 1000)
}, (pingInterval + pingJitter) * 1000)
async function setupStream() {
// If we've retried too many times without getting any messages, exit
if (retryCount >= maxConnectionRetries) {
console.log("Retried too many times. Exiting")
process.exit(1)
}
retryCount += 1
// Close the existing stream if we have one
if (stream) {
stream.close()
}
console.log('Streaming... Press CTRL+C to exit.')
// Add query parameters to the URL
let url = devicesStreamUrl
url += ` + bq + `?ping_interval=${pingInterval}s` + bq + ` // Specifies ping interval
// Prepare the "Authorization" header with basic auth.
// NOTE: This should be implemented using OAuth2 in a production environment.
const basicAuthStr = ` + bq + `${serviceAccountKeyID}:${serviceAccountSecret}` + bq + `
const headers = {
Authorization: "Basic " + Buffer.from(basicAuthStr).toString("base64")
}
// Set up a new stream with callback functions for messages and errors
// Using headers only works external "eventsource" package. In a browser
// environment, either use polyfill or the "token" query parameter with
// an access token from OAuth2.
stream = new EventSource(url, { headers })
stream.onmessage = handleStreamMessage
stream.onerror = handleStreamError
}
function handleStreamError(err) {
console.error("Got error from stream:")
console.error(err)
setTimeout(() => { // Wait a second before reconnecting
setupStream()
}, 1000)
}
function handleStreamMessage(message) {
// Parse the payload as JSON
const data = JSON.parse(message.data)
// Check if we got an error
if (data?.error) {
handleStreamError(data.error)
return
}
// Reset the retry counter now that we've got an event
retryCount = 0
// Parse the event object
const event = data.result.event
if (event.eventType === "ping") {
// We got a ping event. Reset the ping timer
pingTimer.refresh()
} else {
// We got a temperature event
console.log(` + bq + `Got ${event.eventType} event.` + bq + `)
}
}
setupStream()
}
main().catch((err) => {console.log(err)})
`,
		fills: []seedFill{
			// The capture dropped the service's URL; the dev server serves the API at /v2/.
			{"const apiBase = ''", "const apiBase = '/v2/'"},
			{"", "setupStream()"},
			{"", "}"},
			{"", "process.exit(1)"},
			{"", "stream.close()"},
			{"", "console.error(err)"},
			{"const data = JSON.parse(", "const data = JSON.parse(message.data)"},
			{"", "handleStreamError(data.error)"},
			{"", "return"},
			{"", "pingTimer.refresh()"},
		},
		ready: []string{
			`window.logs.includes('Streaming... Press CTRL+C to exit.')`,
			`window.logs.filter((l) => /^Got \w+ event\.$/.test(l)).length >= 3`,
			`window.exitCode === undefined`,
		},
	},
	{
		name: "002-live-users",
		doc:  "002", what: "the live users page (index.html of the simple example)",
		html: `<!-- index.html -->

<!DOCTYPE html>
<html lang="en-GB">
  <head>
    <title>Live Users</title>
  </head>
  <body>
    <h1>Hello, Live Users!</h1>
    <p>
      SSE connection state: <span id="state">[initialising connection]</span>
    </p>
    <p>Live user count: <span id="data">[counting users]</span></p>

    <script>
      const stateContainer = document.querySelector("#state");
      const userCountContainer = document.querySelector("#data");

      // Subscribing to our express endpoint using the native EventSource
      const source = new EventSource("/live-users");

      // This is the magic - whenever a "message" event fires
      // we will pull the data from the event and dump it on the page
      // in our userCountEl container
      source.addEventListener("message", function (e) {
        userCountContainer.innerHTML = e.data;
      });

      // The next two event listeners are just for dumping the state of the
      // connection in the DOM for troubleshooting/loading states
      source.addEventListener("open", function (e) {
        stateContainer.innerHTML = "Connected";
      });

      // If the connection is closed, we will update the state in the DOM
      // and close the connection
      source.addEventListener("error", function (e) {
        if (e.eventPhase == EventSource.CLOSED) {
          source.close();
        }

        if (e.target.readyState == EventSource.CLOSED) {
          stateContainer.innerHTML = "Disconnected";
        }
      });
    </script>
  </body>
</html>
`,
		ready: []string{`/^\d+$/.test(document.querySelector('#data').textContent)`, `document.querySelector('#state').textContent === 'Connected'`},
	},
	{
		name: "002-smart-home",
		doc:  "002", what: "the smart home page (index.html of the complex example)",
		html: `<!-- index.html -->
<!doctype html>
<html lang="en-GB">
  <head>
    <title>Welcome, Smart Home</title>
  </head>
  <body>
    <h1>Welcome, Smart Home</h1>
    <main>
      <section>
        <header><h2>Kitchen</h2></header>
        <table>
          <caption>
            Kitchen smart status
          </caption>
          <thead>
            <tr>
              <th>Device</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Lights</td>
              <td id="kitchen-lights">[unknown]</td>
            </tr>
            <tr>
              <td>Blinds</td>
              <td id="kitchen-blinds">[unknown]</td>
            </tr>
          </tbody>
          <tfoot>
            <tr>
              <td>Timestamp</td>
              <td id="kitchen-timestamp">[unknown]</td>
            </tr>
          </tfoot>
        </table>
      </section>

      <section>
        <header><h2>Living Room</h2></header>
        <table>
          <caption>
            Living room smart status
          </caption>
          <thead>
            <tr>
              <th>Device</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Lights</td>
              <td id="livingroom-lights">[unknown]</td>
            </tr>
            <tr>
              <td>Curtains</td>
              <td id="livingroom-curtains">[unknown]</td>
            </tr>
          </tbody>
          <tfoot>
            <tr>
              <td>Timestamp</td>
              <td id="livingroom-timestamp">[unknown]</td>
            </tr>
          </tfoot>
        </table>
      </section>

      <section>
        <header><h2>Bedroom</h2></header>
        <table>
          <caption>
            Living room smart status
          </caption>
          <thead>
            <tr>
              <th>Device</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Lights</td>
              <td id="bedroom-lights">[unknown]</td>
            </tr>
            <tr>
              <td>Curtains</td>
              <td id="bedroom-curtains">[unknown]</td>
            </tr>
          </tbody>
          <tfoot>
            <tr>
              <td>Timestamp</td>
              <td id="bedroom-timestamp">[unknown]</td>
            </tr>
          </tfoot>
        </table>
      </section>
    </main>

    <script>
      // Subscribing to our express endpoint using the native EventSource
      const source = new EventSource("/smart-home");

      // This is the magic - whenever a "message" event fires
      // Except, in this example, the name of the event we are listening to is not "message"
      // it is "kitchen", "livingroom" or "bedroom"
      source.addEventListener("kitchen", function (e) {
        const { blinds, lights } = getJSONFromEvent(e);
        getTableCell("kitchen", "blinds").innerHTML = blinds;
        getTableCell("kitchen", "lights").innerHTML = lights;
        getTableCell("kitchen", "timestamp").innerHTML = e.timeStamp.toFixed(0);
      });

      source.addEventListener("livingroom", function (e) {
        const { curtains, lights } = getJSONFromEvent(e);
        getTableCell("livingroom", "curtains").innerHTML = curtains;
        getTableCell("livingroom", "lights").innerHTML = lights;
        getTableCell("livingroom", "timestamp").innerHTML =
          e.timeStamp.toFixed(0);
      });

      source.addEventListener("bedroom", function (e) {
        const { curtains, lights } = getJSONFromEvent(e);
        getTableCell("bedroom", "curtains").innerHTML = curtains;
        getTableCell("bedroom", "lights").innerHTML = lights;
        getTableCell("bedroom", "timestamp").innerHTML = e.timeStamp.toFixed(0);
      });

      const getTableCell = (room, device) => {
        return document.querySelector(` + bq + `#${room}-${device}` + bq + `);
      };

      const getJSONFromEvent = (e) => {
        try {
          return JSON.parse(e.data);
        } catch (e) {
          return null;
        }
      };
    </script>

    <style>
      main {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(400px, 1fr));
        gap: 1rem;
      }

      section {
        border: 1px solid #ccc;
        border-radius: 0.5rem;
        padding: 1rem;
      }

      table {
        width: 100%;
      }

      th,
      td {
        text-align: center;
        min-width: 200px;
      }

      td {
        padding: 0.5rem;
      }
    </style>
  </body>
</html>
`,
		fills: []seedFill{
			// The capture mangled the template literal's ${ into \(.
			{"return document.querySelector(`#\\({room}-\\){device}`);", "return document.querySelector(`#${room}-${device}`);"},
		},
		ready: func() []string {
			var c []string
			for _, cell := range []string{"kitchen-lights", "livingroom-lights", "bedroom-lights"} {
				c = append(c, fmt.Sprintf(`/^(on|off)$/.test(document.querySelector('#%s').textContent)`, cell))
			}
			for _, cell := range []string{"kitchen-blinds", "livingroom-curtains", "bedroom-curtains"} {
				c = append(c, fmt.Sprintf(`/^(open|closed)$/.test(document.querySelector('#%s').textContent)`, cell))
			}
			for _, room := range []string{"kitchen", "livingroom", "bedroom"} {
				c = append(c, fmt.Sprintf(`/^\d+$/.test(document.querySelector('#%s-timestamp').textContent)`, room))
			}
			return c
		}(),
	},
	{
		name: "003-heartbeat",
		doc:  "003", what: "the heartbeat channel example",
		js: `var eventSource = new EventSource("api/heartbeat");
eventSource.addEventListener("heartbeat", function(event) {
  var status = event.data;
  if (status=='OK') { 
    // do something
  }
});
`,
		fills: []seedFill{
			{"var status =;", "var status = event.data;"},
			{"", "}"},
			{"", "});"},
		},
		ready: []string{`eventSource.readyState === 1`},
		// The document leaves the branch empty ("do something"): V8's
		// block coverage says whether it ran.
		ran: []string{"// do something"},
	},
	{
		name: "004-kaazing-stock-prices",
		doc:  "004", what: "the examples of Understanding Server-Sent Events, in the order they come",
		js: `const stream = new EventSource('/stock-prices');
stream.addEventListener('message', function(event) {
    console.log('Received a message event:', event.data);
}, false);
stream.addEventListener('delete', function(event) {
    console.log('Received a delete event for key', event.data);
}, false);
stream.addEventListener('open', function(event) {
    console.log('Stream is open');
}, false);
stream.addEventListener('error', function(event) {

    switch (event.target.readyState) {

        case EventSource.CONNECTING:
            console.log('Reconnecting...');
            break;

        case EventSource.CLOSED:
            console.log('Connection failed, will not reconnect');
            break;

    }

}, false);
stream.addEventListener('message', function(event) {
    console.log('Received a message event: [' + event.lastEventId + ']', event.data);
}, false);
const googleStream = new EventSource('/stock-prices/GOOG');

googleStream.addEventListener('message', function(event) {
    // Update Google price on screen
}, false);

const appleStream = new EventSource('/stock-prices/APPL');

appleStream.addEventListener('message', function(event) {
    // Update Apple price on screen
}, false);
`,
		fills: []seedFill{
			// The service's origin, https://streaming.kaazing.io, is the dev server's.
			{"const stream = new EventSource('https://streaming.kaazing.io/stock-prices');", "const stream = new EventSource('/stock-prices');"},
			{"const googleStream = new EventSource('https://streaming.kaazing.io/stock-prices/GOOG');", "const googleStream = new EventSource('/stock-prices/GOOG');"},
			{"const appleStream = new EventSource('https://streaming.kaazing.io/stock-prices/APPL');", "const appleStream = new EventSource('/stock-prices/APPL');"},
			{"", "console.log('Reconnecting...');"},
			{"", "break;"},
			{"", "}"},
		},
		ready: []string{
			`window.logs.includes('Stream is open')`,
			`window.logs.filter((l) => /^Received a message event: \[\d+\] \{"key":/.test(l)).length >= 3`,
			`window.logs.filter((l) => /^Received a message event: \{"key":/.test(l)).length >= 3`,
		},
		ran: []string{"// Update Google price on screen", "// Update Apple price on screen"},
	},
}

// seedsDir is where the source documents are: ../shared/seeds beside the
// repository, or SSESHIM_SEEDS.
func seedsDir() string {
	if d := os.Getenv("SSESHIM_SEEDS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "seeds")
}

// trimmedLines are a text's non-blank lines without their indentation.
func trimmedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestSeedFixturesAreTheDocuments: every line of every fixture is a line of
// its document, or one of the fills the fixture declares (whose document side
// is in the document too).
func TestSeedFixturesAreTheDocuments(t *testing.T) {
	dir := seedsDir()
	if _, err := os.Stat(dir); err != nil {
		// CI lays shared/ beside the clone: there the documents must be found.
		if os.Getenv("CI") != "" {
			t.Fatalf("the source documents are not at %s (set SSESHIM_SEEDS): %v", dir, err)
		}
		t.Skipf("the source documents are not at %s (set SSESHIM_SEEDS): %v", dir, err)
	}
	for _, fx := range seedFixtures {
		t.Run(fx.name, func(t *testing.T) {
			matches, err := filepath.Glob(filepath.Join(dir, fx.doc+"_*.txt"))
			require.NoError(t, err)
			require.Len(t, matches, 1, "document %s", fx.doc)
			text, err := os.ReadFile(matches[0])
			require.NoError(t, err)
			docLines := map[string]bool{}
			for _, l := range trimmedLines(string(text)) {
				docLines[l] = true
			}
			filled := map[string]bool{}
			for _, f := range fx.fills {
				filled[f.code] = true
				if f.doc != "" {
					assert.True(t, docLines[f.doc], "a fill's document line is in the document: %q", f.doc)
				}
			}
			for _, l := range trimmedLines(fx.html + fx.js) {
				assert.True(t, docLines[l] || filled[l], "not the document's line, nor a declared fill: %q", l)
			}
		})
	}
}

// TestSeedDocumentsShowData runs each document's client code.
func TestSeedDocumentsShowData(t *testing.T) {
	if browser == nil {
		t.Skip("Chromium is not installed")
	}
	base := startDevServer(t)
	for _, fx := range seedFixtures {
		t.Run(fx.name, func(t *testing.T) {
			tb := newTab(t)
			pages := map[string]string{}
			page := base + "/seed-" + fx.name + ".html"
			script := base + "/seed-" + fx.name + ".js"
			if fx.html != "" {
				pages[page] = seedPage(fx.html)
			} else {
				pages[page] = seedPage(fx.markup + "\n" + `<script src="/seed-` + fx.name + `.js"></script>` + "\n")
				pages[script] = fx.js
				if fx.node {
					pages[script] = nodeModule(fx.js)
				}
			}
			serveSeedPages(t, tb, base+"/seed-*", pages)
			if len(fx.ran) > 0 {
				chromeCall(t, tb, profiler.Enable, cdp.Empty{})
				_ = chromeCallResult(t, tb, profiler.StartPreciseCoverage, profiler.StartPreciseCoverageParams{CallCount: ptr(true), Detailed: ptr(true)})
			}
			tb.navigate(page)
			for _, c := range fx.ready {
				waitFor(tb, c, 30*time.Second)
			}
			if len(fx.ran) > 0 {
				counts := map[string]int64{}
				deadline := time.Now().Add(30 * time.Second)
				for {
					cov := chromeCallResult(t, tb, profiler.TakePreciseCoverage, cdp.Empty{})
					done := true
					for _, marker := range fx.ran {
						counts[marker] += blockCount(cov.Result, script, strings.Index(pages[script], marker))
						done = done && counts[marker] >= 2
					}
					if done || time.Now().After(deadline) {
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				for _, marker := range fx.ran {
					assert.GreaterOrEqual(t, counts[marker], int64(2), "the block at %q ran for the events", marker)
				}
			}
		})
	}
}

// seedPage is a page of the dev server's origin around a document's code:
// sseshim as window.EventSource, a console.log recorder, and Node's globals
// for a module (used only by the Node client, whose module wrapper names
// them).
func seedPage(body string) string {
	return `<!doctype html><meta charset="utf-8">
<script>
window.logs = [];
const consoleLog = console.log.bind(console);
console.log = (...args) => { window.logs.push(args.map(String).join(' ')); consoleLog(...args); };
window.nodeGlobals = {
  require: (name) => { if (name === 'eventsource') return window.EventSource; throw new Error('no module ' + name); },
  process: { env: { DT_SERVICE_ACCOUNT_KEY_ID: 'demo', DT_SERVICE_ACCOUNT_SECRET: 'demo', DT_PROJECT_ID: 'demo' }, exit: (code) => { window.exitCode = code; } },
  Buffer: { from: (s) => ({ toString: (enc) => { if (enc !== 'base64') throw new Error(enc); return btoa(s); } }) },
  // Node's timers are objects with refresh().
  setTimeout: (fn, ms, ...args) => {
    const t = { id: setTimeout(fn, ms, ...args), refresh() { clearTimeout(this.id); this.id = setTimeout(fn, ms, ...args); return this; } };
    return t;
  },
  clearTimeout: (t) => clearTimeout(t && typeof t === 'object' ? t.id : t),
};
</script>
<script src="/dist/sseshim.js" data-polyfill="force"></script>
` + body
}

// nodeModule wraps a Node program as Node wraps a module: in a function whose
// parameters are the globals it gives a module.
func nodeModule(code string) string {
	return "(function (require, process, Buffer, setTimeout, clearTimeout) {\n" + code +
		"})(nodeGlobals.require, nodeGlobals.process, nodeGlobals.Buffer, nodeGlobals.setTimeout, nodeGlobals.clearTimeout);\n"
}

// serveSeedPages answers the tab's requests for the given URLs (under
// pattern) itself, through the browser's Fetch domain: the pages are of the
// dev server's origin, and everything else they load comes from the dev
// server.
func serveSeedPages(t *testing.T, tb *tab, pattern string, pages map[string]string) {
	t.Helper()
	paused := make(chan *fetch.EventRequestPaused, 16)
	require.NoError(t, chromedp.Listen(tb.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}))
	chromeCall(t, tb, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
	var once sync.Once
	go func() {
		for {
			var e *fetch.EventRequestPaused
			select {
			case e = <-paused:
			case <-tb.ctx.Done():
				return
			}
			body, ok := pages[e.Request.URL]
			status, ct := int64(200), "text/html; charset=utf-8"
			if strings.HasSuffix(e.Request.URL, ".js") {
				ct = "text/javascript; charset=utf-8"
			}
			if !ok {
				status, body = 404, "not a fixture"
				once.Do(func() { t.Logf("no fixture for %s", e.Request.URL) })
			}
			_ = chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: e.RequestID, ResponseCode: status,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: ct}, {Name: "Cache-Control", Value: "no-store"}},
					Body:            []byte(body)})
				return err
			}))
		}
	}()
}

// chromeCall and chromeCallResult send a DevTools command to the tab.
func chromeCall[P, R any](t *testing.T, tb *tab, c cdp.Command[P, R], params P) {
	t.Helper()
	chromeCallResult(t, tb, c, params)
}

func chromeCallResult[P, R any](t *testing.T, tb *tab, c cdp.Command[P, R], params P) R {
	t.Helper()
	var r R
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var err error
		r, err = cdp.Call(ctx, tg, c, params)
		return err
	})))
	return r
}

func ptr[T any](v T) *T { return &v }

// blockCount is how often the code at offset of the script at url ran, from
// block coverage: the count of the innermost range that holds the offset
// (V8 reports a nested block only where its count differs from the
// enclosing one).
func blockCount(cov []*profiler.ScriptCoverage, url string, offset int) int64 {
	best, count := int64(-1), int64(0)
	for _, sc := range cov {
		if sc.URL != url {
			continue
		}
		for _, fn := range sc.Functions {
			for _, r := range fn.Ranges {
				if r.StartOffset <= int64(offset) && int64(offset) < r.EndOffset && (best < 0 || r.EndOffset-r.StartOffset < best) {
					best, count = r.EndOffset-r.StartOffset, r.Count
				}
			}
		}
	}
	return count
}
