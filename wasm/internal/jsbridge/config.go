//go:build js && wasm

package jsbridge

import (
	"context"
	"errors"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// Config reads the options object the shim built (already checked there for
// unknown and ill-typed members) into an engine configuration. Durations are
// milliseconds.
func Config(url string, o safejs.Value) (eventsource.Config, error) {
	c := eventsource.Config{URL: url, Transport: Fetch{}}
	if o.Type() != safejs.TypeObject {
		return c, nil
	}
	r := reader{v: o}
	c.WithCredentials = r.bool("withCredentials")
	c.LastEventID = r.str("lastEventId")
	c.Format = eventsource.Format(r.str("format"))
	c.Dedupe = r.int("dedupe")
	c.MaxEventSize = r.int("maxEventSize")
	c.ReconnectionTime = r.ms("reconnectionTime")
	c.RetryStatuses = arrayOf(&r, "retryStatuses", toInt)
	c.EventTypePath = arrayOf(&r, "eventTypePath", toString)
	c.IDPath = arrayOf(&r, "idPath", toString)
	if h := r.get("headers"); h.Type() == safejs.TypeObject {
		m, err := stringMap(h)
		if err != nil {
			return c, err
		}
		c.Header = m
	} else if h.Type() == safejs.TypeFunction {
		c.HeaderFunc = headerFunc(h)
	}
	if p := r.get("ping"); p.Type() == safejs.TypeObject {
		pr := reader{v: p}
		c.Ping = eventsource.Ping{
			Interval:     pr.ms("interval"),
			Leeway:       pr.ms("leeway"),
			Param:        pr.str("param"),
			EventType:    pr.str("eventType"),
			RequireEvent: pr.bool("requireEvent"),
			Dispatch:     pr.bool("dispatch"),
		}
	}
	if p := r.get("retry"); p.Type() == safejs.TypeObject {
		pr := reader{v: p}
		if d := pr.ms("initial"); d > 0 {
			c.ReconnectionTime = d
		}
		c.Retry = eventsource.Retry{
			Max:            pr.ms("max"),
			Factor:         pr.float("factor"),
			Jitter:         pr.float("jitter"),
			MaxAttempts:    pr.int("maxAttempts"),
			ImmediateAfter: pr.ms("immediateAfter"),
		}
	}
	return c, r.err
}

// reader reads optional members, remembering the first error.
type reader struct {
	v   safejs.Value
	err error
}

func (r *reader) get(name string) safejs.Value {
	v, err := r.v.Get(name)
	if err != nil && r.err == nil {
		r.err = err
	}
	return v
}

func (r *reader) bool(name string) bool {
	b, _ := r.get(name).Truthy()
	return b
}

func (r *reader) str(name string) string {
	v := r.get(name)
	if v.Type() != safejs.TypeString {
		return ""
	}
	s, _ := v.String()
	return s
}

func (r *reader) float(name string) float64 {
	v := r.get(name)
	if v.Type() != safejs.TypeNumber {
		return 0
	}
	f, _ := v.Float()
	return f
}

func (r *reader) int(name string) int { return int(r.float(name)) }

func (r *reader) ms(name string) time.Duration {
	return time.Duration(r.float(name) * float64(time.Millisecond))
}

// arrayOf converts the array member name element by element (the shim has
// checked the element types); nil when absent.
func arrayOf[T any](r *reader, name string, conv func(safejs.Value) T) []T {
	v := r.get(name)
	if v.Type() != safejs.TypeObject {
		return nil
	}
	n, err := v.Length()
	if err != nil {
		return nil
	}
	var out []T
	for i := 0; i < n; i++ {
		x, err := v.Index(i)
		if err != nil {
			break
		}
		out = append(out, conv(x))
	}
	return out
}

func toInt(v safejs.Value) int {
	f, _ := v.Float()
	return int(f)
}

func toString(v safejs.Value) string {
	s, _ := v.String()
	return s
}

// stringMap copies an object's own enumerable string members.
func stringMap(o safejs.Value) (map[string]string, error) {
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

// headerFunc wraps a JavaScript function returning headers, or a promise of
// them. It runs on the engine's goroutine, never inside a callback, so it may
// wait for the promise.
func headerFunc(fn safejs.Value) func(context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		v, err := fn.Invoke()
		if err != nil {
			return nil, err
		}
		if isThenable(v) {
			a, err := newAwaiter()
			if err != nil {
				return nil, err
			}
			defer a.release()
			// A promise cannot be cancelled: on close, wait for it anyway
			// so that the callbacks are not released while it can settle.
			v, err = a.await(ctx, v, func() {})
			if err != nil {
				return nil, err
			}
		}
		if v.IsNull() || v.IsUndefined() {
			return nil, nil
		}
		if v.Type() != safejs.TypeObject {
			return nil, errors.New("the headers function must return an object")
		}
		return stringMap(v)
	}
}
