//go:build js && wasm

package jsbridge

import (
	"errors"

	"github.com/hack-pad/safejs"

	"github.com/sseshim/sseshim/wasm/eventsource"
	"github.com/sseshim/sseshim/wasm/internal/handles"
)

// Promises (a fetch's, what a page's headers function returns) are awaited
// through one function that lives as long as the engine, bound per promise
// to a number and to which of the two outcomes it receives: the engine can
// stop waiting at once, when the source closes, even for a promise that
// never settles, and a late settlement finds nobody waiting and is dropped.
// No function is made or released per promise.
var (
	waiting handles.Table[chan settled] // the waiters, by the number their promise's functions are bound to

	onSettled safejs.Func // (id, rejected, value or reason)
)

// settled is the outcome of a promise.
type settled struct {
	val safejs.Value
	err error
}

func initSettled() (err error) {
	onSettled, err = safejs.FuncOf(deliver)
	return err
}

// deliver hands a settlement to its waiter, if it is still waiting. It
// never blocks: the channel has room for the one result.
func deliver(_ safejs.Value, args []safejs.Value) any {
	if len(args) < 2 {
		return nil
	}
	id, err := args[0].Int()
	if err != nil {
		return nil
	}
	ch, ok := waiting.Remove(id)
	if !ok {
		return nil
	}
	r := settled{val: safejs.Undefined()}
	if len(args) > 2 {
		r.val = args[2]
	}
	if rejected, _ := boolOf(args[1]); rejected {
		r.err = errors.New("promise rejected")
		if len(args) > 2 {
			r.err = jsError(args[2])
		}
		r.val = safejs.Undefined()
	}
	ch <- r
	return nil
}

// await waits for the promise p until it settles or ctx ends. Then it
// calls cancel, if any, which makes p settle (as aborting a fetch does),
// and returns without waiting for that.
func await(ctx eventsource.Ctx, p safejs.Value, cancel func()) (safejs.Value, error) {
	ch := make(chan settled, 1)
	id := waiting.Add(ch)
	var (
		then [2]safejs.Value // on fulfilment, on rejection
		err  error
	)
	for i := range then {
		if err == nil {
			then[i], err = onSettled.Value().Call("bind", nil, id, i == 1)
		}
	}
	if err == nil {
		_, err = p.Call("then", then[0], then[1])
	}
	if err == nil {
		select {
		case r := <-ch:
			return r.val, r.err
		case <-ctx.Done():
			err = ctx.Err() // the cause (eventsource.Ctx)
			if cancel != nil {
				cancel()
			}
		}
	}
	waiting.Remove(id)
	return safejs.Undefined(), err
}

// PendingPromises counts the promises still awaited (a fetch's, a headers
// function's), for diagnostics.
func PendingPromises() int {
	return waiting.Len()
}
