package eventsource

import (
	"context"
	"sync"
)

// Ctx is how the engine tells a Transport, a Body and the header and body
// functions that it no longer wants what they are doing: context.Context's
// Done and Err, with Err returning the cause (what context.Cause returns
// for a context.Context). The engine passes scopes.
//
// It is not a context.Context because every type reachable from an
// interface keeps its String and GoString methods in the wasm binary:
// context.Context's Deadline would keep time.Time's, and with them time's
// layout formatting and time zone rules.
type Ctx interface {
	Done() <-chan struct{}
	Err() error
}

// scope is the engine's Ctx, the source's and each attempt's, an attempt's
// scope a child of its source's. It stands in for context.WithCancelCause,
// whose implementation (its cancelCtx, its goroutine-backed propagation, its
// String methods) would also enter the wasm binary.
type scope struct {
	done     chan struct{}
	mu       sync.Mutex
	err      error // the cause, once cancelled
	parent   *scope
	children map[*scope]struct{}
}

// newScope returns a scope cancelled when parent is (with parent's cause);
// parent may be nil.
func newScope(parent *scope) *scope {
	s := &scope{done: make(chan struct{}), parent: parent}
	if parent != nil {
		parent.mu.Lock()
		err := parent.err
		if err == nil {
			if parent.children == nil {
				parent.children = map[*scope]struct{}{}
			}
			parent.children[s] = struct{}{}
		}
		parent.mu.Unlock()
		if err != nil {
			s.cancel(err)
		}
	}
	return s
}

// cancel ends the scope and its children with cause (context.Canceled when
// nil); only the first call counts.
func (s *scope) cancel(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = cause
	close(s.done)
	children := s.children
	s.children = nil
	s.mu.Unlock()
	for c := range children {
		c.cancel(cause)
	}
	if p := s.parent; p != nil {
		p.mu.Lock()
		delete(p.children, s)
		p.mu.Unlock()
	}
}

func (s *scope) Done() <-chan struct{} { return s.done }

// Err returns the cause once the scope is cancelled, else nil.
func (s *scope) Err() error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	return err
}
