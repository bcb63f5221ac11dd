//go:build js && wasm

// Package jsbridge connects the pure-Go engine to the browser: a Transport on
// the Fetch API, a Sink that hands each chunk's events to JavaScript in one
// call, and the reading of options from JavaScript objects. It is the only
// package besides main that touches JavaScript, always through safejs, so a
// JavaScript exception becomes a Go error rather than a panic.
package jsbridge

import (
	"errors"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/protocol"
)

// Globals resolved once: looking them up per use costs a property access
// across the boundary each time.
var (
	jsFetch           safejs.Value
	jsHeaders         safejs.Value
	jsAbortController safejs.Value
	jsObject          safejs.Value
	jsURL             safejs.Value
	// jsPump reads response bodies for the engine: the shim's pumpBody
	// (shim/pump.js), put in the handshake's global before the engine starts.
	jsPump safejs.Value
)

// Handshake returns the handshake's global (protocol.Global): the object
// where the shim put what the engine needs from it, and where the engine
// registers its API.
func Handshake() (safejs.Value, error) {
	h, err := safejs.Global().Get(protocol.Global)
	if err == nil && h.Type() != safejs.TypeObject {
		err = errors.New("sseshim: the engine was started without its shim's loader (no " + protocol.Global + ")")
	}
	return h, err
}

// Init resolves the JavaScript globals the bridge needs, and the shim's pump.
func Init() error {
	g := safejs.Global()
	for _, x := range []struct {
		name string
		dst  *safejs.Value
	}{
		{"fetch", &jsFetch}, {"Headers", &jsHeaders}, {"AbortController", &jsAbortController},
		{"Object", &jsObject}, {"URL", &jsURL},
	} {
		v, err := g.Get(x.name)
		if err != nil {
			return err
		}
		if v.IsUndefined() {
			return errors.New("sseshim: this browser has no " + x.name)
		}
		*x.dst = v
	}
	h, err := Handshake()
	if err != nil {
		return err
	}
	if jsPump, err = h.Get(protocol.Pump); err != nil {
		return err
	}
	if jsPump.Type() != safejs.TypeFunction {
		return errors.New("sseshim: the engine was started without its shim's loader (no " + protocol.Global + "." + protocol.Pump + ")")
	}
	return initSettled()
}

// JSError is a JavaScript exception or rejection reason, with its name kept
// (AbortError, TypeError, SecurityError) so that Go code can tell them apart
// with eventsource.FindError.
type JSError struct {
	Name    string
	Message string
}

func (e *JSError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// jsError turns a rejection reason into a *JSError.
func jsError(v safejs.Value) error {
	if v.Type() != safejs.TypeObject {
		s, _ := v.String()
		return &JSError{Message: s}
	}
	name, _ := getString(v, "name")
	msg, _ := getString(v, "message")
	return &JSError{Name: name, Message: msg}
}

// isJSError reports whether err is a JavaScript error named name.
func isJSError(err error, name string) bool {
	e, _ := eventsource.FindError(err, func(e error) bool { _, ok := e.(*JSError); return ok }).(*JSError)
	return e != nil && e.Name == name
}

// jsTrue is JavaScript's true (ValueOf cannot fail on a bool).
var jsTrue, _ = safejs.ValueOf(true)

// boolOf reads a JavaScript boolean by comparing it with true, a
// comparison in Go: safejs's Value.Bool would bring its own recovering
// wrapper for bool into the binary, which nothing else in the engine needs.
func boolOf(v safejs.Value) (bool, error) {
	if v.Type() != safejs.TypeBoolean {
		return false, errors.New("not a boolean")
	}
	return v.Equal(jsTrue), nil
}

func getString(v safejs.Value, prop string) (string, error) {
	p, err := v.Get(prop)
	if err != nil {
		return "", err
	}
	if p.Type() != safejs.TypeString {
		return "", nil
	}
	return p.String()
}

// isThenable reports whether v looks like a promise.
func isThenable(v safejs.Value) bool {
	if v.Type() != safejs.TypeObject {
		return false
	}
	t, err := v.Get("then")
	return err == nil && t.Type() == safejs.TypeFunction
}
