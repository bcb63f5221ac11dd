//go:build js && wasm

package jsbridge

import (
	"errors"
	"strings"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// options is the bridge's half of the options protocol: every option the
// shim may send, by its name in the options object ("ping.interval" is the
// member interval of the member ping), and which field of the engine's
// Config it sets (setOption). The options themselves are defined in
// wasm/optspec, whose test proves that these names cover exactly its
// options the engine reads (the shim-only ones never reach it), and that
// setOption has a case for each. The shim validates each option and sends
// only what its user set; the defaults are eventsource's (see
// Config.resolve). Durations are in milliseconds.
//
// A map to constants and a switch on them, rather than a map of closures
// or a switch on the names: each closure is a function of its own, and a
// switch on strings a comparison per case; this is data and a jump table.
var options = map[string]option{
	"withCredentials":      optWithCredentials,
	"lastEventId":          optLastEventId,
	"lastEventIdParam":     optLastEventIdParam,
	"method":               optMethod,
	"body":                 optBody,
	"headers":              optHeaders,
	"fetch":                optFetch,
	"format":               optFormat,
	"eventTypePath":        optEventTypePath,
	"idPath":               optIdPath,
	"retryStatuses":        optRetryStatuses,
	"dedupe":               optDedupe,
	"maxEventSize":         optMaxEventSize,
	"connectTimeout":       optConnectTimeout,
	"ping":                 optPing,
	"ping.interval":        optPingInterval,
	"ping.leeway":          optPingLeeway,
	"ping.param":           optPingParam,
	"ping.eventType":       optPingEventType,
	"ping.requireEvent":    optPingRequireEvent,
	"ping.dispatch":        optPingDispatch,
	"retry":                optRetry,
	"retry.initial":        optRetryInitial,
	"retry.max":            optRetryMax,
	"retry.factor":         optRetryFactor,
	"retry.jitter":         optRetryJitter,
	"retry.healthyAfter":   optRetryHealthyAfter,
	"retry.maxAttempts":    optRetryMaxAttempts,
	"retry.immediateAfter": optRetryImmediateAfter,
}

// option is one of the options the engine reads.
type option uint8

const (
	_ option = iota // not an option: the zero value of a missed lookup
	optWithCredentials
	optLastEventId
	optLastEventIdParam
	optMethod
	optBody
	optHeaders
	optFetch
	optFormat
	optEventTypePath
	optIdPath
	optRetryStatuses
	optDedupe
	optMaxEventSize
	optConnectTimeout
	optPing
	optPingInterval
	optPingLeeway
	optPingParam
	optPingEventType
	optPingRequireEvent
	optPingDispatch
	optRetry
	optRetryInitial
	optRetryMax
	optRetryFactor
	optRetryJitter
	optRetryHealthyAfter
	optRetryMaxAttempts
	optRetryImmediateAfter
)

// setOption sets the option o to v and reports whether o is a group (an
// option whose members are options of their own). One switch picks the
// field, then one conversion per type fills it.
func setOption(c *eventsource.Config, o option, v safejs.Value) (group bool, err error) {
	var (
		str    *string
		flag   *bool
		num    *int
		frac   *float64
		dur    *time.Duration
		off    bool // dur's zero in JavaScript turns its feature off, where Go's zero means the default
		strs   *[]string
		isFn   = v.Type() == safejs.TypeFunction
		isBool = v.Type() == safejs.TypeBoolean
	)
	switch o {
	case optWithCredentials:
		flag = &c.WithCredentials
	case optLastEventId:
		str = &c.LastEventID
	case optLastEventIdParam:
		if isBool { // false turns the fallback off
			c.LastEventIDParam = "-"
			return false, nil
		}
		str = &c.LastEventIDParam
	case optMethod:
		str = &c.Method
	case optBody:
		// A body is handed to fetch() as it is; a function is called before
		// every attempt (the shim makes it return a promise).
		if isFn {
			c.BodyFunc = bodyFunc(v)
		} else {
			c.Body = v
		}
		return false, nil
	case optHeaders:
		if isFn {
			c.HeaderFunc = headerFunc(v)
			return false, nil
		}
		c.Header, err = stringMap(v)
		return false, err
	case optFetch:
		// Every request of the source goes through the page's function
		// instead of the global fetch (the shim makes it return a promise).
		f, ok := c.Transport.(*Fetch)
		if !ok || !isFn {
			return false, errors.New("fetch must be a function")
		}
		f.fn = v
		return false, nil
	case optFormat:
		str = (*string)(&c.Format)
	case optEventTypePath:
		strs = &c.EventTypePath
	case optIdPath:
		strs = &c.IDPath
	case optRetryStatuses:
		c.RetryStatuses, err = arrayOf(v, safejs.Value.Int)
		return false, err
	case optDedupe:
		if isBool { // true remembers eventsource.DefaultDedupe ids, false none
			if on, _ := boolOf(v); on {
				c.Dedupe = eventsource.DefaultDedupe
			}
			return false, nil
		}
		num = &c.Dedupe
	case optMaxEventSize:
		num = &c.MaxEventSize
	case optConnectTimeout:
		dur, off = &c.ConnectTimeout, true
	case optPing:
		return true, nil
	case optPingInterval:
		dur = &c.Ping.Interval
	case optPingLeeway:
		dur, off = &c.Ping.Leeway, true
	case optPingParam:
		if isBool { // false sends no ping parameter
			c.Ping.Param = "-"
			return false, nil
		}
		str = &c.Ping.Param
	case optPingEventType:
		str = &c.Ping.EventType
	case optPingRequireEvent:
		flag = &c.Ping.RequireEvent
	case optPingDispatch:
		flag = &c.Ping.Dispatch
	case optRetry:
		// A retry member, even {}, asks for a retry policy.
		c.Retry = &eventsource.Retry{}
		return true, nil
	case optRetryInitial:
		dur = &c.Retry.Initial
	case optRetryMax:
		dur = &c.Retry.Max
	case optRetryFactor:
		frac = &c.Retry.Factor
	case optRetryJitter:
		frac = &c.Retry.Jitter
	case optRetryHealthyAfter:
		dur = &c.Retry.HealthyAfter
	case optRetryMaxAttempts:
		num = &c.Retry.MaxAttempts
	case optRetryImmediateAfter:
		dur, off = &c.Retry.ImmediateAfter, true
	}
	switch {
	case str != nil:
		*str, err = v.String()
	case flag != nil:
		*flag, err = boolOf(v)
	case num != nil:
		*num, err = v.Int()
	case strs != nil:
		*strs, err = arrayOf(v, safejs.Value.String)
	case frac != nil:
		*frac, err = v.Float()
	case dur != nil: // in milliseconds
		var ms float64
		ms, err = v.Float()
		*dur = time.Duration(ms * float64(time.Millisecond))
		if off && *dur == 0 {
			*dur = eventsource.Off
		}
	}
	return false, err
}

// Config reads the options object the shim built into an engine
// configuration. An option the bridge does not know is an error: the shim
// and the bridge disagree, and silently ignoring an option would hide it.
func Config(url string, o safejs.Value) (eventsource.Config, error) {
	c := eventsource.Config{URL: url, Transport: &Fetch{}, HeaderBytesAsUTF8: headerBytesAsUTF8}
	if o.Type() != safejs.TypeObject {
		return c, nil
	}
	return c, readOptions(&c, o, "")
}

func readOptions(c *eventsource.Config, o safejs.Value, prefix string) error {
	names, values, err := members(o)
	for i := 0; err == nil && i < len(names); i++ {
		name := prefix + names[i]
		opt, ok := options[name]
		// A member's name has no dot: "retry.initial" at the top is not
		// the member initial of retry (whose policy would not exist yet).
		if !ok || strings.IndexByte(names[i], '.') >= 0 {
			return errors.New("sseshim: the engine does not know the option " + name)
		}
		v, _ := values.Index(i)
		group, err := setOption(c, opt, v)
		if err != nil {
			return errors.New("sseshim: option " + name + ": " + err.Error())
		}
		if group && v.Type() == safejs.TypeObject {
			if err := readOptions(c, v, name+"."); err != nil {
				return err
			}
		}
	}
	return err
}

// members lists an object's own enumerable string-keyed members, in the
// order Object.entries would: their names, and an array of their values.
func members(o safejs.Value) (names []string, values safejs.Value, err error) {
	keys, err := jsObject.Call("keys", o)
	if err == nil {
		names, err = arrayOf(keys, safejs.Value.String)
	}
	if err == nil {
		values, err = jsObject.Call("values", o)
	}
	return names, values, err
}

// arrayOf converts a JavaScript array element by element.
func arrayOf[T any](v safejs.Value, conv func(safejs.Value) (T, error)) ([]T, error) {
	n, err := v.Length()
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		x, err := v.Index(i)
		if err != nil {
			return nil, err
		}
		t, err := conv(x)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// stringMap copies an object's own enumerable string members.
func stringMap(o safejs.Value) (map[string]string, error) {
	if o.Type() != safejs.TypeObject {
		return nil, errors.New("headers must be an object")
	}
	names, values, err := members(o)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(names))
	for i, name := range names {
		v, _ := values.Index(i)
		if v.Type() != safejs.TypeString {
			return nil, errors.New("header " + name + " is not a string")
		}
		m[name], _ = v.String()
	}
	return m, nil
}

// callFunc calls a page's function (headers, body) and waits for what it
// returns, or the promise of it. It runs on the engine's goroutine, never
// inside a callback. A promise cannot be cancelled: when the source closes
// first, the engine stops waiting at once and a late settlement is ignored
// (see await). A null or undefined result is reported as such.
func callFunc(ctx eventsource.Ctx, fn safejs.Value) (v safejs.Value, none bool, err error) {
	if v, err = fn.Invoke(); err != nil {
		return v, false, err
	}
	if isThenable(v) {
		if v, err = await(ctx, v, nil); err != nil {
			return v, false, err
		}
	}
	return v, v.IsNull() || v.IsUndefined(), nil
}

// headerFunc wraps a JavaScript function returning headers.
func headerFunc(fn safejs.Value) func(eventsource.Ctx) (map[string]string, error) {
	return func(ctx eventsource.Ctx) (map[string]string, error) {
		v, none, err := callFunc(ctx, fn)
		if err != nil || none {
			return nil, err
		}
		if v.Type() != safejs.TypeObject {
			return nil, errors.New("the headers function must return an object")
		}
		return stringMap(v)
	}
}

// bodyFunc wraps a JavaScript function returning a body.
func bodyFunc(fn safejs.Value) func(eventsource.Ctx) (any, error) {
	return func(ctx eventsource.Ctx) (any, error) {
		v, none, err := callFunc(ctx, fn)
		if err != nil || none {
			return nil, err
		}
		return v, nil
	}
}
