//go:build js && wasm

package jsbridge

import (
	"errors"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/handles"
)

// Promises that cannot be cancelled (what a page's headers function returns)
// are awaited through two functions that live as long as the engine, bound
// per promise to a number: the engine can stop waiting at once when the
// source closes, and a late settlement finds nobody waiting and is dropped.
// (The per-body awaiter in js.go cannot do this: its functions may only be
// released once its promise has settled, and this one may never settle.)
var (
	detached handles.Table[chan settled] // the waiters, by the number their promise's functions are bound to

	onDetachedResolve, onDetachedReject safejs.Func
)

func initDetached() error {
	var err error
	onDetachedResolve, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		v := safejs.Undefined()
		if len(args) > 1 {
			v = args[1]
		}
		deliverDetached(args, settled{val: v})
		return nil
	})
	if err != nil {
		return err
	}
	onDetachedReject, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		e := errors.New("promise rejected")
		if len(args) > 1 {
			e = jsError(args[1])
		}
		deliverDetached(args, settled{err: e})
		return nil
	})
	return err
}

// deliverDetached hands a settlement to its waiter, if it is still waiting.
// It never blocks: the channel has room for the one result.
func deliverDetached(args []safejs.Value, r settled) {
	if len(args) == 0 {
		return
	}
	id, err := args[0].Int()
	if err != nil {
		return
	}
	if ch, ok := detached.Remove(id); ok {
		ch <- r
	}
}

// awaitDetached waits for p until it settles or ctx ends.
func awaitDetached(ctx eventsource.Ctx, p safejs.Value) (safejs.Value, error) {
	ch := make(chan settled, 1)
	id := detached.Add(ch)
	defer detached.Remove(id)
	resolve, err := onDetachedResolve.Value().Call("bind", safejs.Null(), id)
	if err != nil {
		return safejs.Undefined(), err
	}
	reject, err := onDetachedReject.Value().Call("bind", safejs.Null(), id)
	if err != nil {
		return safejs.Undefined(), err
	}
	if _, err := p.Call("then", resolve, reject); err != nil {
		return safejs.Undefined(), err
	}
	select {
	case r := <-ch:
		return r.val, r.err
	case <-ctx.Done():
		return safejs.Undefined(), ctx.Err()
	}
}

// PendingPromises counts the header promises still awaited, for diagnostics.
func PendingPromises() int {
	return detached.Len()
}
