// Package handles numbers Go values for JavaScript, which refers to them by
// number: the engine's sources, the bodies its pump feeds, the promises it
// awaits.
package handles

import (
	"math"
	"sync"
)

// Table maps handles to values. Handles are positive and fit in an int32, so
// that a JavaScript number and a wasm export's int32 parameter carry them
// exactly; they are not reused while their value is in the table. The zero
// value is ready to use and safe for concurrent use. Its lock is held only
// inside its methods, never while calling JavaScript.
//
// The typed methods are one-line wrappers over one untyped table: a generic
// body is compiled once per shape of T, and the engine keeps several kinds of
// value, so the work is done once, on values boxed as any. Values are meant
// to be pointers or channels, which box without allocating.
type Table[T any] struct{ table }

// Add stores v under a new handle and returns the handle.
func (t *Table[T]) Add(v T) int { return t.add(v) }

// Get returns the value stored under h.
func (t *Table[T]) Get(h int) (T, bool) {
	v, ok := t.take(h, false)
	x, _ := v.(T) // the zero T when h is not in the table
	return x, ok
}

// Remove deletes h and returns what it held: of two callers removing the
// same handle, one gets the value.
func (t *Table[T]) Remove(h int) (T, bool) {
	v, ok := t.take(h, true)
	x, _ := v.(T)
	return x, ok
}

// Len returns how many handles are in use.
func (t *Table[T]) Len() int { return t.size() }

// table is the untyped table that every Table is. No method can panic with
// the lock held, so the unlocks are not deferred.
type table struct {
	mu   sync.Mutex
	m    map[int]any
	last int
}

func (t *table) add(v any) int {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[int]any{}
	}
	for {
		t.last = t.last%math.MaxInt32 + 1
		if _, used := t.m[t.last]; !used {
			break
		}
	}
	t.m[t.last] = v
	h := t.last
	t.mu.Unlock()
	return h
}

// take returns the value stored under h, deleting it when remove is set.
func (t *table) take(h int, remove bool) (any, bool) {
	t.mu.Lock()
	v, ok := t.m[h]
	if remove {
		delete(t.m, h)
	}
	t.mu.Unlock()
	return v, ok
}

func (t *table) size() int {
	t.mu.Lock()
	n := len(t.m)
	t.mu.Unlock()
	return n
}
