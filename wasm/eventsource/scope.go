package eventsource

import (
	"context"
	"sync"
	"time"
)

// scope is the engine's cancellation: a context.Context cancelled with a
// cause, the source's and each attempt's, an attempt's scope a child of its
// source's. It stands in for context.WithCancel and WithCancelCause, whose
// implementation (its cancelCtx, its goroutine-backed propagation, its
// String methods) would otherwise enter the wasm binary.
//
// One difference: Err returns the cause, where those contexts return
// context.Canceled and keep the cause for context.Cause. context.Cause of a
// context it did not make returns its Err, so context.Cause(scope) is the
// cause, as it is for theirs; the engine tells why an attempt ended only by
// the cause.
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
	defer s.mu.Unlock()
	return s.err
}

func (s *scope) Deadline() (time.Time, bool) { return time.Time{}, false }

func (s *scope) Value(any) any { return nil }

// cause is context.Cause for the engine's contexts, which are scopes; for
// another context (a test's) it is context.Cause.
func cause(ctx context.Context) error {
	if s, ok := ctx.(*scope); ok {
		return s.Err()
	}
	return context.Cause(ctx)
}
