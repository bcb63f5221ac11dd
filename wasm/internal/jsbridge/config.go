//go:build js && wasm

package jsbridge

import (
	"errors"
	"strings"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// setter applies one option's value to the engine's configuration.
type setter func(c *eventsource.Config, v safejs.Value) error

// options is the bridge's half of the options protocol: every option the
// shim may send, by its name in the options object ("ping.interval" is the
// member interval of the member ping), and how it sets the engine's Config.
// The options themselves are defined in wasm/optspec, whose test
// proves that these setters cover exactly its options the engine reads
// (the shim-only ones never reach it). The shim validates each option and
// sends only what its user set; the defaults are eventsource's (see
// Config.resolve). Durations are in milliseconds.
var options = map[string]setter{
	"withCredentials": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.WithCredentials, err = v.Bool()
		return err
	},
	"lastEventId": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.LastEventID, err = v.String()
		return err
	},
	// false turns the fallback off.
	"lastEventIdParam": func(c *eventsource.Config, v safejs.Value) (err error) {
		if v.Type() == safejs.TypeBoolean {
			c.LastEventIDParam = "-"
			return nil
		}
		c.LastEventIDParam, err = v.String()
		return err
	},
	"method": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.Method, err = v.String()
		return err
	},
	// A body is handed to fetch() as it is; a function is called before
	// every attempt (the shim makes it return a promise).
	"body": func(c *eventsource.Config, v safejs.Value) error {
		if v.Type() == safejs.TypeFunction {
			c.BodyFunc = bodyFunc(v)
			return nil
		}
		c.Body = v
		return nil
	},
	"headers": func(c *eventsource.Config, v safejs.Value) (err error) {
		if v.Type() == safejs.TypeFunction {
			c.HeaderFunc = headerFunc(v)
			return nil
		}
		c.Header, err = stringMap(v)
		return err
	},
	// Every request of the source goes through the page's function instead
	// of the global fetch (the shim makes it return a promise).
	"fetch": func(c *eventsource.Config, v safejs.Value) error {
		f, ok := c.Transport.(*Fetch)
		if !ok || v.Type() != safejs.TypeFunction {
			return errors.New("fetch must be a function")
		}
		f.fn = v
		return nil
	},
	"format": func(c *eventsource.Config, v safejs.Value) error {
		s, err := v.String()
		c.Format = eventsource.Format(s)
		return err
	},
	"eventTypePath": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.EventTypePath, err = arrayOf(v, safejs.Value.String)
		return err
	},
	"idPath": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.IDPath, err = arrayOf(v, safejs.Value.String)
		return err
	},
	"retryStatuses": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.RetryStatuses, err = arrayOf(v, safejs.Value.Int)
		return err
	},
	// true remembers eventsource.DefaultDedupe ids, false none.
	"dedupe": func(c *eventsource.Config, v safejs.Value) (err error) {
		if v.Type() == safejs.TypeBoolean {
			if on, _ := v.Bool(); on {
				c.Dedupe = eventsource.DefaultDedupe
			}
			return nil
		}
		c.Dedupe, err = v.Int()
		return err
	},
	"maxEventSize": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.MaxEventSize, err = v.Int()
		return err
	},
	"connectTimeout": durationOrOff(func(c *eventsource.Config) *time.Duration { return &c.ConnectTimeout }),
	"ping":           group,
	"ping.interval":  duration(func(c *eventsource.Config) *time.Duration { return &c.Ping.Interval }),
	"ping.leeway":    durationOrOff(func(c *eventsource.Config) *time.Duration { return &c.Ping.Leeway }),
	// false sends no ping parameter.
	"ping.param": func(c *eventsource.Config, v safejs.Value) (err error) {
		if v.Type() == safejs.TypeBoolean {
			c.Ping.Param = "-"
			return nil
		}
		c.Ping.Param, err = v.String()
		return err
	},
	"ping.eventType": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.Ping.EventType, err = v.String()
		return err
	},
	"ping.requireEvent": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.Ping.RequireEvent, err = v.Bool()
		return err
	},
	"ping.dispatch": func(c *eventsource.Config, v safejs.Value) (err error) { c.Ping.Dispatch, err = v.Bool(); return err },
	// A retry member, even {}, asks for a retry policy.
	"retry":              func(c *eventsource.Config, _ safejs.Value) error { c.Retry = &eventsource.Retry{}; return nil },
	"retry.initial":      duration(func(c *eventsource.Config) *time.Duration { return &c.Retry.Initial }),
	"retry.max":          duration(func(c *eventsource.Config) *time.Duration { return &c.Retry.Max }),
	"retry.factor":       func(c *eventsource.Config, v safejs.Value) (err error) { c.Retry.Factor, err = v.Float(); return err },
	"retry.jitter":       func(c *eventsource.Config, v safejs.Value) (err error) { c.Retry.Jitter, err = v.Float(); return err },
	"retry.healthyAfter": duration(func(c *eventsource.Config) *time.Duration { return &c.Retry.HealthyAfter }),
	"retry.maxAttempts": func(c *eventsource.Config, v safejs.Value) (err error) {
		c.Retry.MaxAttempts, err = v.Int()
		return err
	},
	"retry.immediateAfter": durationOrOff(func(c *eventsource.Config) *time.Duration { return &c.Retry.ImmediateAfter }),
}

// group marks an option whose members are options of their own.
func group(*eventsource.Config, safejs.Value) error { return nil }

func duration(field func(*eventsource.Config) *time.Duration) setter {
	return func(c *eventsource.Config, v safejs.Value) error {
		ms, err := v.Float()
		*field(c) = time.Duration(ms * float64(time.Millisecond))
		return err
	}
}

// durationOrOff is a duration whose zero in JavaScript turns its feature
// off, where Go's zero means the default: 0 becomes eventsource.Off.
func durationOrOff(field func(*eventsource.Config) *time.Duration) setter {
	set := duration(field)
	return func(c *eventsource.Config, v safejs.Value) error {
		err := set(c, v)
		if *field(c) == 0 {
			*field(c) = eventsource.Off
		}
		return err
	}
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
	entries, err := jsObject.Call("entries", o)
	if err != nil {
		return err
	}
	n, err := entries.Length()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		e, err := entries.Index(i)
		if err != nil {
			return err
		}
		k, _ := e.Index(0)
		v, _ := e.Index(1)
		name, err := k.String()
		if err != nil {
			return err
		}
		name = prefix + name
		set, ok := options[name]
		if !ok {
			return errors.New("sseshim: the engine does not know the option " + name)
		}
		if err := set(c, v); err != nil {
			return errors.New("sseshim: option " + name + ": " + err.Error())
		}
		if strings.IndexByte(name, '.') < 0 && v.Type() == safejs.TypeObject && isGroup(name) {
			if err := readOptions(c, v, name+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// isGroup reports whether name has members in the table.
func isGroup(name string) bool {
	for k := range options {
		if strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
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
	entries, err := jsObject.Call("entries", o)
	if err != nil {
		return nil, err
	}
	n, err := entries.Length()
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		e, err := entries.Index(i)
		if err != nil {
			return nil, err
		}
		k, _ := e.Index(0)
		v, _ := e.Index(1)
		ks, err := k.String()
		if err != nil {
			return nil, err
		}
		if v.Type() != safejs.TypeString {
			return nil, errors.New("header " + ks + " is not a string")
		}
		vs, _ := v.String()
		m[ks] = vs
	}
	return m, nil
}

// callFunc calls a page's function (headers, body) and waits for what it
// returns, or the promise of it. It runs on the engine's goroutine, never
// inside a callback. A promise cannot be cancelled: when the source closes
// first, the engine stops waiting at once and a late settlement is ignored
// (see settle.go). A null or undefined result is reported as such.
func callFunc(ctx eventsource.Ctx, fn safejs.Value) (v safejs.Value, none bool, err error) {
	if v, err = fn.Invoke(); err != nil {
		return v, false, err
	}
	if isThenable(v) {
		if v, err = awaitDetached(ctx, v); err != nil {
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
