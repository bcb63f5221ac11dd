//go:build js && wasm

// Command sseshim is the WebAssembly engine behind sseshim's EventSource. It
// registers its API {open, close, stats, live, reset, pause, reconnect} as
// the member engine of the handshake's global (protocol.Global), calls its
// member ready, and then serves calls forever. The names are
// wasm/internal/protocol's.
package main

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/handles"
	"github.com/sseshim/sseshim/wasm/internal/jsbridge"
	"github.com/sseshim/sseshim/wasm/internal/protocol"
)

// sources are the sources not yet stopped, by the handle open returned.
var sources handles.Table[*eventsource.Source]

func main() {
	// The engine's live heap is small and steady (buffers, de-duplication
	// ids): collecting at half the default growth keeps the garbage between
	// cycles small, and wasm memory, which never shrinks, flat.
	debug.SetGCPercent(50)
	if err := run(); err != nil {
		println("sseshim:", err.Error())
		return
	}
	select {}
}

func run() error {
	if err := jsbridge.Init(); err != nil {
		return err
	}
	h, err := jsbridge.Handshake()
	if err != nil {
		return err
	}
	// safejs.ValueOf does not unwrap its own Func type inside a map, so the
	// members are set one by one. The functions live as long as the engine.
	api, err := safejs.ValueOf(map[string]any{})
	for _, c := range []struct {
		name string
		fn   func(safejs.Value, []safejs.Value) any
	}{
		{protocol.CallOpen, jsOpen}, {protocol.CallClose, jsClose}, {protocol.CallStats, jsStats},
		{protocol.CallLive, jsLive}, {protocol.CallReset, jsReset}, {protocol.CallPause, jsPause},
		{protocol.CallReconnect, jsReconnect},
	} {
		var fn safejs.Func
		if err == nil {
			fn, err = safejs.FuncOf(c.fn)
		}
		if err == nil {
			err = api.Set(c.name, fn)
		}
	}
	if err != nil {
		return err
	}
	if err := h.Set(protocol.Engine, api); err != nil {
		return err
	}
	ready, err := h.Get(protocol.Ready)
	if err == nil && ready.Type() == safejs.TypeFunction {
		_, err = ready.Invoke()
	}
	return err
}

// jsOpen({url, options, callbacks, reader?, prefetch?}) starts a source and
// returns {id: its handle}, or {error: {kind, message}} saying why it could
// not start. With a ReadableStream reader it reads that one stream
// (fromReadableStream); with a prefetch, its first request is the one the
// shim already began (jsbridge.Prefetch). It never blocks: New only
// validates and starts a goroutine.
func jsOpen(_ safejs.Value, args []safejs.Value) any {
	id, err := open(args)
	res := map[string]any{protocol.ResultID: id}
	if err != nil {
		kind := eventsource.KindConfig
		if e := eventsource.AsError(err); e != nil {
			kind = e.Kind
		}
		res = map[string]any{protocol.ResultError: map[string]any{
			protocol.ResultKind: string(kind), protocol.ResultMessage: err.Error(),
		}}
	}
	return result(res)
}

func open(args []safejs.Value) (int, error) {
	if len(args) < 1 || args[0].Type() != safejs.TypeObject {
		return 0, errors.New("sseshim: open needs {" + protocol.OpenURL + ", " + protocol.OpenOptions + ", " + protocol.OpenCallbacks + "}")
	}
	// The argument's members; a missing one is undefined.
	var urlArg, options, callbacks, reader, prefetch safejs.Value
	for _, m := range [...]struct {
		name string
		dst  *safejs.Value
	}{
		{protocol.OpenURL, &urlArg}, {protocol.OpenOptions, &options}, {protocol.OpenCallbacks, &callbacks},
		{protocol.OpenReader, &reader}, {protocol.OpenPrefetch, &prefetch},
	} {
		*m.dst, _ = args[0].Get(m.name)
	}
	url, err := urlArg.String()
	if err != nil {
		return 0, err
	}
	cfg, err := jsbridge.Config(url, options)
	if err != nil {
		return 0, err
	}
	if reader.Type() == safejs.TypeObject {
		cfg.Transport, cfg.Once = jsbridge.NewStreamTransport(reader), true
	}
	if f, ok := cfg.Transport.(*jsbridge.Fetch); ok && prefetch.Type() == safejs.TypeObject {
		pf, err := jsbridge.NewPrefetch(prefetch)
		if err != nil {
			return 0, err
		}
		f.First(pf)
	}
	sink, err := jsbridge.NewSink(callbacks)
	if err != nil {
		return 0, err
	}
	src, err := eventsource.New(cfg, sink)
	if err != nil {
		return 0, err
	}
	id := sources.Add(src)
	go func() {
		<-src.Done()
		sources.Remove(id)
		collectSoon()
	}()
	return id, nil
}

// result makes a JavaScript object of m, or null if it cannot.
func result(m map[string]any) any {
	v, err := safejs.ValueOf(m)
	if err != nil {
		return nil
	}
	return v
}

// The JavaScript objects a closed source held (its callbacks, which hold the
// page's EventSource, its fetch's objects, its batch array) are released
// only when Go's collector finalizes their references, and the engine
// allocates too little for that to come soon: a page that opens and closes
// sources would keep them. A forced collection holds the page's main
// thread, and one per close would put it on the path of every source
// starting meanwhile. So one collection serves the sources closed within
// collectAfter of each other, or collectEvery of them (a bound on what
// waits: tests/hostile_test.go, closed sources leave nothing), in a task of
// its own.
const (
	collectAfter = 20 * time.Millisecond
	collectEvery = 2
)

var (
	gcMu      sync.Mutex // guards the two below
	gcWaiting int        // sources closed since the last collection
	gcTimer   *time.Timer
)

func collectSoon() {
	gcMu.Lock()
	gcWaiting++
	now := gcWaiting >= collectEvery
	if now {
		gcWaiting = 0
		if gcTimer != nil {
			gcTimer.Stop()
			gcTimer = nil
		}
	} else if gcTimer == nil {
		gcTimer = time.AfterFunc(collectAfter, collectNow)
	}
	gcMu.Unlock()
	if now {
		runtime.GC()
	}
}

func collectNow() {
	gcMu.Lock()
	gcWaiting, gcTimer = 0, nil
	gcMu.Unlock()
	runtime.GC()
}

func lookup(args []safejs.Value) *eventsource.Source {
	if len(args) < 1 {
		return nil
	}
	id, err := args[0].Int()
	if err != nil {
		return nil
	}
	src, _ := sources.Get(id)
	return src
}

// jsClose(handle) closes a source. Close never waits, as this callback must
// not: while JavaScript calls into Go other goroutines run, and another
// source's engine may be the one whose listener or headers function called
// close(). The shim ignores whatever a closed source's engine still sends.
func jsClose(_ safejs.Value, args []safejs.Value) any {
	if src := lookup(args); src != nil {
		src.Close()
	}
	return nil
}

// jsReset(handle) discards a source's unfinished buffered data
// (EventSource.reset()).
func jsReset(_ safejs.Value, args []safejs.Value) any {
	if src := lookup(args); src != nil {
		src.ResetBuffers()
	}
	return nil
}

// jsPause(handle) ends a source's connection and makes no attempt until
// jsReconnect: offline, or in the back/forward cache.
func jsPause(_ safejs.Value, args []safejs.Value) any {
	if src := lookup(args); src != nil {
		src.Pause()
	}
	return nil
}

// jsReconnect(handle, reason) replaces a source's connection at once.
func jsReconnect(_ safejs.Value, args []safejs.Value) any {
	if src := lookup(args); src != nil {
		reason := ""
		if len(args) > 1 {
			reason, _ = args[1].String()
		}
		src.Reconnect(reason)
	}
	return nil
}

// jsStats(handle) returns the diagnostics as a plain object.
func jsStats(_ safejs.Value, args []safejs.Value) any {
	src := lookup(args)
	if src == nil {
		return nil
	}
	st := src.Stats()
	var last float64
	if !st.LastActivity.IsZero() {
		last = float64(st.LastActivity.UnixMilli())
	}
	// The numbers are set in one loop: a map of them would convert and
	// insert each at a call site of its own.
	v, err := safejs.ValueOf(map[string]any{protocol.StatLastError: st.LastError})
	for _, n := range [...]struct {
		name string
		v    float64
	}{
		{protocol.StatReadyState, float64(st.State)},
		{protocol.StatEvents, float64(st.Events)},
		{protocol.StatPings, float64(st.Pings)},
		{protocol.StatBytes, float64(st.Bytes)},
		{protocol.StatReconnects, float64(st.Reconnects)},
		{protocol.StatFailures, float64(st.Failures)},
		{protocol.StatDropped, float64(st.Dropped)},
		{protocol.StatLastActivity, last},
		{protocol.StatNextRetry, float64(st.NextRetry.Milliseconds())},
		{protocol.StatReconnectionTime, float64(st.ReconnectionTime.Milliseconds())},
	} {
		if err == nil {
			err = v.Set(n.name, n.v)
		}
	}
	if err != nil {
		return nil
	}
	return v
}

// jsLive() returns {sources, promises}: the sources not yet stopped and the
// promises still awaited (fetches, headers functions), so that tests can
// check that close() releases everything.
func jsLive(safejs.Value, []safejs.Value) any {
	v, err := safejs.ValueOf(map[string]any{"sources": sources.Len(), "promises": jsbridge.PendingPromises()})
	if err != nil {
		return nil
	}
	return v
}
