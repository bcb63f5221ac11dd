// Package protocol is the one list of the names and constants the shim and
// the engine must agree on: the handshake's global, the engine's calls,
// open's argument and result, the callbacks, the records of a chunk's
// batch, the error kinds and the stats keys. The Go side uses these
// constants (wasm/main.go, wasm/internal/jsbridge); the shim's side,
// shim/protocol.gen.js, is generated from them (wasm/internal/optgen/protocol.go) by go generate
// ./wasm/optspec (wasm/internal/optgen), and a test proves it current.
package protocol

import "github.com/sseshim/sseshim/wasm/eventsource"

// Global is the handshake's one global: an object the shim creates before
// the Go program runs, holding what the engine needs from it (Pump, Ready)
// and what the engine registers (Engine). The shim keeps the load in
// progress and, for diagnostics, the instance and the Go runtime there too.
const Global = "__sseshim"

// The members of Global.
const (
	Pump     = "pump"     // pumpBody(reader, id, at, size, done, own): reads a body into the engine
	Ready    = "ready"    // called by the engine once Engine is set
	Engine   = "engine"   // the engine's API, set by the engine: the Call* functions
	Loading  = "loading"  // the shim's load in progress (a second copy of the shim shares it)
	Instance = "instance" // the WebAssembly instance, for diagnostics
	Runtime  = "runtime"  // the Go runtime object (wasm_exec.js), for diagnostics
)

// The engine's API, the members of Engine.
const (
	CallOpen      = "open"      // open({url, options, callbacks, reader?, prefetch?}) → {id} or {error: {kind, message}}
	CallClose     = "close"     // close(id)
	CallStats     = "stats"     // stats(id) → an object of the Stat* keys
	CallLive      = "live"      // live() → {sources, promises}, for tests of release
	CallReset     = "reset"     // reset(id)
	CallPause     = "pause"     // pause(id)
	CallReconnect = "reconnect" // reconnect(id, reason)
)

// The members of open's argument.
const (
	OpenURL       = "url"
	OpenOptions   = "options"   // the checked options (shim/options.js), read by jsbridge.Config
	OpenCallbacks = "callbacks" // an object of the Callback* functions
	OpenReader    = "reader"    // fromReadableStream(): the stream's reader
	OpenPrefetch  = "prefetch"  // the first request, begun while the engine loaded (jsbridge.Prefetch)
)

// The members of open's result.
const (
	ResultID      = "id"      // the source's handle, for the other calls
	ResultError   = "error"   // {kind, message}: why it could not start
	ResultKind    = "kind"    // an error kind (Kinds)
	ResultMessage = "message" // what a person reads
)

// The callbacks of one source, the members of open's callbacks object.
const (
	CallbackOpen     = "open"     // open(url)
	CallbackEvents   = "events"   // events(at, length): a chunk's records, UTF-8 in the engine's memory
	CallbackError    = "error"    // error(readyState, kind, status, code, message)
	CallbackRetrying = "retrying" // retrying(delayMs, attempt, reason)
)

// A chunk's records: each led by a flag, its fields ended by Separator.
const (
	RecordMessage = 'm' // m type data: a message
	RecordID      = 'i' // i id: the last event ID is now id
	RecordRetry   = 'r' // r ms: the reconnection time is now ms
	RecordPing    = 'p' // p: a ping
	Separator     = '\r'
)

// Feed is the WebAssembly export the pump calls with each chunk:
// Feed(id, length) (its //go:wasmexport directive must spell it out).
const Feed = "sseshimFeed"

// KindEngine is the kind of error the shim itself reports: the engine did
// not load, or stopped.
const KindEngine = "engine"

// Kinds are the kinds of an error event: the engine's, and the shim's own.
var Kinds = []eventsource.Kind{
	eventsource.KindNetwork, eventsource.KindEnd, eventsource.KindStatus, eventsource.KindContentType,
	eventsource.KindWatchdog, eventsource.KindServer, eventsource.KindTooLarge, eventsource.KindLifecycle,
	eventsource.KindHeaders, eventsource.KindBody, eventsource.KindTimeout, eventsource.KindMaxAttempts,
	eventsource.KindConfig, KindEngine,
}

// The keys of stats(id)'s object.
const (
	StatReadyState       = "readyState"
	StatEvents           = "events"
	StatPings            = "pings"
	StatBytes            = "bytes"
	StatReconnects       = "reconnects"
	StatFailures         = "failures"
	StatDropped          = "dropped"
	StatLastActivity     = "lastActivity" // ms since the epoch, 0 for none
	StatNextRetry        = "nextRetry"    // ms
	StatLastError        = "lastError"
	StatReconnectionTime = "reconnectionTime" // ms
)

// Stats are the keys of stats(id) with what each reads before the engine
// has said anything (nil: the shim reads none, the engine always gives it).
var Stats = []struct {
	Key  string
	Zero any
}{
	{StatReadyState, nil}, {StatEvents, 0}, {StatPings, 0}, {StatBytes, 0}, {StatReconnects, 0},
	{StatFailures, 0}, {StatDropped, 0}, {StatLastActivity, 0}, {StatNextRetry, 0}, {StatLastError, ""},
	{StatReconnectionTime, nil},
}
