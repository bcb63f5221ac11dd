// Package optspec is the one definition of the JavaScript options object
// (the EventSource constructor's second argument): each option's name, kind,
// bounds, default, documentation and flags, and the rules between options.
// The defaults it names are the engine's own (eventsource.Default*), so that
// nothing is written twice.
//
// The shim's option table (shim/options.gen.js) and the option types and
// doc comments of shim/index.d.ts are generated from it (go generate, render.go); the bridge's setters (wasm/internal/jsbridge/config.go) cover
// exactly its engine options (optspec_test.go). Adding an option means
// adding it here, giving it a setter there, and documenting it in the
// README's options section.
package optspec

//go:generate go run ../internal/optgen

import (
	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/sse"
)

// Kind is how the shim checks an option's value (shim/options.js holds a
// checker per kind).
type Kind string

const (
	Bool     Kind = "bool"     // true or false
	DictBool Kind = "dictBool" // any value, converted as a WebIDL dictionary boolean
	Number   Kind = "number"   // a number between Min and Max (an integer with Int)
	String   Kind = "string"   // any string
	Name     Kind = "name"     // a query parameter name, or false for none
	Strings  Kind = "strings"  // an array of strings
	Enum     Kind = "enum"     // one of Values
	Method   Kind = "method"   // an HTTP method the Fetch Standard allows
	Body     Kind = "body"     // a request body fetch() can send again, or a function returning one
	Headers  Kind = "headers"  // an object or a Headers, or a function returning one
	Share    Kind = "share"    // a boolean or a group name
	Batch    Kind = "batch"    // true, false or 'frame'
	Statuses Kind = "statuses" // an array of HTTP statuses
	Count    Kind = "count"    // true (the default count), false (none) or an integer up to Max
	Group    Kind = "group"    // an object of Members
	Signal   Kind = "signal"   // an AbortSignal
	Function Kind = "function" // a function
)

// Option is one option of the options object.
type Option struct {
	Name string
	Kind Kind
	// Min and Max bound a Number (and Max a Count); Int asks for an integer.
	Min, Max float64
	Int      bool
	// Values are an Enum's members.
	Values []string
	// Default is the engine's default, for the documentation and for the
	// shim where it needs one: a time.Duration is milliseconds in
	// JavaScript. DefaultDoc documents a default that is not one value.
	Default    any
	DefaultDoc string
	// Doc is the option's doc comment in index.d.ts; "{default}" in it
	// stands for the default.
	Doc string
	// TS is the option's TypeScript type in index.d.ts.
	TS string
	// Required: a group's member that must be set when the group is.
	Required bool
	// Shorthand: a number given for a group is this member.
	Shorthand string
	// ShimOnly options are read by the shim and never sent to the engine.
	ShimOnly bool
	// Stream options apply to EventSource.fromReadableStream() too.
	Stream bool
	// PrefetchSafe options leave the first request as the shim can make it
	// while the engine loads (shim/prefetch.js).
	PrefetchSafe bool
	// Members are a Group's options.
	Members []Option
}

// MaxTimerMS bounds every duration: it fits a setTimeout (2³¹−1 ms).
const MaxTimerMS = 1<<31 - 1

// maxEventSize bounds MaxEventSize: what one wasm memory can buffer.
const maxEventSize = 1 << 30

// ms is a duration in milliseconds; positive ones refuse 0.
func ms(name string, min float64, def any, doc string) Option {
	return Option{Name: name, Kind: Number, Min: min, Max: MaxTimerMS, Default: def, Doc: doc, TS: "number"}
}

// Options is the options object, in the order the shim lists them.
var Options = []Option{
	{Name: "withCredentials", Kind: DictBool, TS: "boolean", PrefetchSafe: true,
		Doc: "Send credentials cross-origin, as the browser's EventSource does."},
	{Name: "method", Kind: Method, TS: "string", Default: "GET",
		Doc: "The request method (default {default}); a body needs another one, e.g. POST."},
	{Name: "body", Kind: Body, TS: "RequestBody | (() => RequestBody | null | undefined | Promise<RequestBody | null | undefined>)",
		Doc: "Sent with every attempt, reconnects included; or a function (sync or async) called before every attempt."},
	{Name: "headers", Kind: Headers, TS: "HeadersInit | (() => HeadersInit | null | undefined | Promise<HeadersInit | null | undefined>)", PrefetchSafe: true,
		Doc: "Request headers, or a function (sync or async) called before every attempt."},
	{Name: "signal", Kind: Signal, TS: "AbortSignal | null", ShimOnly: true, Stream: true,
		Doc: "Its abort closes the source, as close() does: CLOSED, no error event, the request aborted (a stream from\n" +
			"fromReadableStream() cancelled). One already aborted gives a source that is CLOSED from the start and sends no request."},
	{Name: "fetch", Kind: Function, TS: "(input: string, init: RequestInit) => Promise<Response>", PrefetchSafe: true,
		Doc: "Called instead of the global fetch for every request of this source (the first, and every reconnect), with\n" +
			"the URL and init the engine would use. What it throws or rejects with is a network error carrying its message.\n" +
			"With share, it shares only under a group name, as a headers function does."},
	{Name: "format", Kind: Enum, Values: []string{string(eventsource.FormatSSE), string(eventsource.FormatNDJSON), string(eventsource.FormatAuto)},
		Default: string(eventsource.FormatSSE), TS: "Format", Stream: true, PrefetchSafe: true,
		Doc: "How the body is read (default {default}): ndjson is one JSON value per line, auto follows the Content-Type."},
	{Name: "json", Kind: Bool, TS: "boolean", ShimOnly: true, Stream: true,
		Doc: "Add a lazy `json` property to every MessageEvent (nested JSON strings decoded)."},
	{Name: "lifecycle", Kind: Bool, TS: "boolean", ShimOnly: true, Default: true,
		Doc: "React to the page's lifecycle (default {default}): pause while offline and reconnect on online, replace the\n" +
			"connection after a wake from sleep, after a return to a visible tab when it has been silent longer than\n" +
			"staleAfter, and after a restore from the back/forward cache. Each reconnect but a restore fires retrying with a reason; stats.reconnectReason keeps the last one."},
	{Name: "staleAfter", Kind: Number, Min: 1, Max: MaxTimerMS, TS: "number", ShimOnly: true, DefaultDoc: "the ping limit",
		Doc: "A connection silent longer than this (ms) is replaced when the tab becomes visible (default: {default})."},
	{Name: "share", Kind: Share, TS: "boolean | string", ShimOnly: true,
		Doc: "Share one connection with every same-origin tab whose request is identical, through a SharedWorker\n" +
			"(sseshim-share.js beside sseshim.js). A string names a group: required when headers or body is a function\n" +
			"(or a body is not a string), since the page then vouches that the requests are equivalent."},
	{Name: "batch", Kind: Batch, TS: "boolean | 'frame'", ShimOnly: true, Stream: true,
		Doc: "Batch mode: instead of a MessageEvent per event, one `batch` event per delivery (true: per chunk received;\n" +
			"'frame': coalesced to one per animation frame) carrying the events in order as plain records.\n" +
			"open, error, retrying and ping are unchanged; onmessage does not fire; stats count events."},
	{Name: "ping", Kind: Group, TS: "PingOptions | number", Shorthand: "interval",
		Doc: "Dead-connection watchdog; a number is the interval in ms.",
		Members: []Option{
			func() Option {
				o := ms("interval", 1, nil, "How often the server is asked to ping, in milliseconds.")
				o.Required = true
				return o
			}(),
			ms("leeway", 0, eventsource.DefaultPingLeeway, "Added to interval before the connection counts as dead (default {default} ms; 0 for none)."),
			{Name: "param", Kind: Name, TS: "string | false", Default: eventsource.DefaultPingParam,
				Doc: "Query parameter asking for pings (default {default}; false for none)."},
			{Name: "eventType", Kind: String, TS: "string", Default: eventsource.DefaultPingEventType,
				Doc: "Type of ping events (default {default})."},
			{Name: "requireEvent", Kind: Bool, TS: "boolean", Doc: "Only ping events, not any data, keep the connection alive."},
			{Name: "dispatch", Kind: Bool, TS: "boolean", Doc: "Also deliver pings as ordinary events."},
		}},
	{Name: "retry", Kind: Group, TS: "RetryOptions", PrefetchSafe: true,
		Doc: "A reconnection policy: exponential backoff between a floor and a ceiling, whatever the server's retry\n" +
			"field says. Even `{}` turns it on, with the defaults of its members.",
		Members: []Option{
			ms("initial", 1, eventsource.DefaultRetryInitial,
				"Floor under every delay in ms (default {default}); when set, also the first delay (otherwise the\n"+
					"reconnection time, or the server's retry field)."),
			ms("max", 1, eventsource.DefaultRetryMax, "Cap on the delay in ms (default {default}); a Retry-After header is still honoured."),
			{Name: "factor", Kind: Number, Min: 1, Max: 1000, TS: "number", Default: eventsource.DefaultRetryFactor,
				Doc: "Growth per consecutive failure (default {default})."},
			{Name: "jitter", Kind: Number, Min: 0, Max: 1, TS: "number", Default: 0.0,
				Doc: "Fraction of each delay randomised away, 0–1 (default {default})."},
			{Name: "maxAttempts", Kind: Number, Int: true, Max: MaxTimerMS, TS: "number", DefaultDoc: "no limit",
				Doc: "Close with an error after this many consecutive failed attempts (default: {default})."},
			ms("immediateAfter", 0, eventsource.DefaultImmediateAfter,
				"A connection open at least this long that ends cleanly reconnects at once (default {default}; 0 turns it off)."),
			ms("healthyAfter", 0, eventsource.DefaultHealthyAfter,
				"A connection that carried an event and stayed open this long (ms, default {default}) resets the failure count."),
		}},
	func() Option {
		o := ms("connectTimeout", 0, eventsource.DefaultConnectTimeout,
			"Bound on the connection phase in ms (headers function, request, response headers); a timeout is a failed\n"+
				"attempt. Default {default} when ping or retry is set, none otherwise; 0 turns it off.")
		o.PrefetchSafe = true
		return o
	}(),
	{Name: "retryStatuses", Kind: Statuses, Min: 100, Max: 599, TS: "number[]", PrefetchSafe: true,
		Doc: "HTTP statuses that reconnect instead of failing (Retry-After honoured)."},
	{Name: "dedupe", Kind: Count, Max: eventsource.MaxDedupe, Default: eventsource.DefaultDedupe, TS: "boolean | number",
		Stream: true, PrefetchSafe: true,
		Doc: "Drop events whose id was seen recently (true: the last {default} ids)."},
	{Name: "lastEventId", Kind: String, TS: "string", Doc: "Last event ID to resume from on the first request."},
	{Name: "lastEventIdParam", Kind: Name, TS: "string | false", Default: eventsource.DefaultLastEventIDParam,
		Doc: "Query parameter that carries the last event ID when a cross-origin server's CORS policy refuses the\n" +
			"Last-Event-ID header on a reconnect (default {default}; false turns the fallback off)."},
	{Name: "maxEventSize", Kind: Number, Min: 1, Max: maxEventSize, Int: true, TS: "number", Default: sse.DefaultMaxEventSize,
		Stream: true, PrefetchSafe: true,
		Doc: "Cap on one event, in bytes (default {default})."},
	{Name: "eventTypePath", Kind: Strings, TS: "string[]", Default: eventsource.DefaultEventTypePath, Stream: true, PrefetchSafe: true,
		Doc: "Where an NDJSON event carries its type (default {default})."},
	{Name: "idPath", Kind: Strings, TS: "string[]", Default: eventsource.DefaultIDPath, Stream: true, PrefetchSafe: true,
		Doc: "Where an NDJSON event carries its id (default {default})."},
}

// RuleKind is what a cross-field rule asks.
type RuleKind string

const (
	// AtLeast: Option, or its default, is not less than Other, or its default.
	AtLeast RuleKind = "atLeast"
	// MethodNotIn: Option, when set, needs a method (Other, or its default)
	// not among Values.
	MethodNotIn RuleKind = "methodNotIn"
)

// Rule is a rule between two options. The shim checks them in the
// constructor, so that breaking one is a TypeError there; the engine's
// Config.resolve enforces the same for Go users (optspec_test.go proves
// it refuses what each rule refuses).
type Rule struct {
	Kind          RuleKind
	Option, Other string
	Values        []string
}

// Rules are the rules between options.
var Rules = []Rule{
	{Kind: MethodNotIn, Option: "body", Other: "method", Values: []string{"GET", "HEAD"}},
	{Kind: AtLeast, Option: "retry.max", Other: "retry.initial"},
}

// Constants the shim needs besides the options.
var Constants = []struct {
	Name  string
	Value any
	Doc   string
}{
	{"RECONNECTION_TIME", eventsource.DefaultReconnectionTime,
		"The reconnection time before the engine says (eventsource.DefaultReconnectionTime), in ms"},
}
