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
type Table[T any] struct {
	mu   sync.Mutex
	m    map[int]T
	last int
}

// Add stores v under a new handle and returns the handle.
func (t *Table[T]) Add(v T) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[int]T{}
	}
	for {
		t.last = t.last%math.MaxInt32 + 1
		if _, used := t.m[t.last]; !used {
			break
		}
	}
	t.m[t.last] = v
	return t.last
}

// Get returns the value stored under h.
func (t *Table[T]) Get(h int) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[h]
	return v, ok
}

// Remove deletes h and returns what it held: of two callers removing the
// same handle, one gets the value.
func (t *Table[T]) Remove(h int) (T, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[h]
	delete(t.m, h)
	return v, ok
}

// Len returns how many handles are in use.
func (t *Table[T]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
