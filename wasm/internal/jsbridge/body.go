//go:build js && wasm

package jsbridge

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/handles"
)

// A response body is read by the shim's pump (pumpBody in shim/pump.js):
// it writes each chunk (a giant one in pieces of at most len(chunkBuf),
// since wasm memory, once grown, never shrinks) into chunkBuf and calls the
// exported function sseshimFeed, which decodes the piece and delivers its
// events before it returns. A call to an exported function is far cheaper
// than a js.FuncOf callback (syscall/js fetches the event, its this and its
// arguments from JavaScript one by one), and it needs no promise per chunk
// awaited on the engine's goroutine, with a goroutine hand-over on top: the
// latency of a lone small event is that of one call into Go.
//
// Feeds never nest: the pump calls sseshimFeed only from its own promise
// callbacks and timers, never from inside a feed, so one buffer serves
// every body. A feed never waits for JavaScript (a wasm export that did
// would return to JavaScript before it is done): it copies, decodes, calls
// the sink, and returns. Whatever it makes runnable (the engine's goroutine,
// when the attempt ends) runs when the pump then calls the body's done
// function, a js.FuncOf, which lets every goroutine run before it returns.
var (
	chunkBuf [64 << 10]byte // a global: it never moves

	bodies  handles.Table[*fetchBody] // the bodies being pumped, by the handle the pump feeds
	feeding atomic.Bool               // a feed is running
)

//go:wasmexport sseshimFeed
func sseshimFeed(id, n int32) bool {
	b, _ := bodies.Get(int(id))
	inTurn := b != nil && n >= 0 && int(n) <= len(chunkBuf) && feeding.CompareAndSwap(false, true)
	if !inTurn {
		if b != nil {
			b.finish(errors.New("sseshim: the pump fed a chunk out of turn"))
		}
		return false
	}
	ok := b.feed(chunkBuf[:n])
	feeding.Store(false)
	return ok
}

// fetchBody is a response body: a ReadableStream reader, read by the pump.
type fetchBody struct {
	ctx    eventsource.Ctx
	reader safejs.Value
	abort  func()
	own    bool // the chunks are the fetch's own (the pump may detach them once fed), not a page's stream's
	f      func([]byte) bool

	mu    sync.Mutex // guards ended
	ended bool       // done has its value: f is not called again
	done  chan error
}

func newFetchBody(ctx eventsource.Ctx, reader safejs.Value, abort func(), own bool) *fetchBody {
	return &fetchBody{ctx: ctx, reader: reader, abort: abort, own: own, done: make(chan error, 1)}
}

// errPushOnly: the engine reads a PushBody with Push.
var errPushOnly = errors.New("sseshim: a fetch body is read with Push")

// Next implements eventsource.Body; the engine reads a PushBody with Push.
func (b *fetchBody) Next() ([]byte, error) { return nil, errPushOnly }

// finish records how the body ended, once: the first word is the one kept.
func (b *fetchBody) finish(err error) {
	b.mu.Lock()
	if !b.ended {
		b.ended = true
		b.done <- err // never blocks: room for the one value
	}
	b.mu.Unlock()
}

// feed hands one chunk to the engine, and reports whether the pump may go on.
func (b *fetchBody) feed(chunk []byte) bool {
	if b.ctx.Err() != nil {
		b.finish(b.ctx.Err())
		return false
	}
	if len(chunk) == 0 {
		return true
	}
	if !b.f(chunk) {
		b.finish(nil)
		return false
	}
	return true
}

// Push implements eventsource.PushBody: it starts the pump and waits until
// the body ends, fails, or f asks for no more.
func (b *fetchBody) Push(f func([]byte) bool) error {
	// done(reason): the stream ended (null), failed, or the pump stopped
	// because a feed returned false (null again; the feed said why).
	done, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		if len(args) == 0 || args[0].IsNull() || args[0].IsUndefined() {
			b.finish(io.EOF)
			return nil
		}
		err := jsError(args[0])
		if b.ctx.Err() == nil && isJSError(err, "AbortError") {
			err = fmt.Errorf("%w: %w", eventsource.ErrAborted, err)
		}
		b.finish(err)
		return nil
	})
	if err != nil {
		return err
	}
	b.f = f
	id := bodies.Add(b)
	at := uintptr(unsafe.Pointer(&chunkBuf[0]))
	if _, err = jsPump.Invoke(b.reader, id, float64(at), len(chunkBuf), done, b.own); err == nil {
		select {
		case err = <-b.done:
		case <-b.ctx.Done():
			// Aborting makes a pending read fail, and a chunk already read
			// finds the context done: either way the pump stops and says so.
			b.abort()
			<-b.done
			err = b.ctx.Err()
		}
	}
	bodies.Remove(id)
	done.Release()
	return err
}

// Close aborts the request (aborting again is harmless). The pump has
// stopped: Push has returned.
func (b *fetchBody) Close() error {
	b.abort()
	return nil
}
