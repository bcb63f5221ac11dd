package eventsource

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func isDone(s Ctx) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// A scope ends with its cause, as a context.WithCancelCause context ends
// with its context.Cause, and passes it down to its children, not up.
func TestScopeCancelsChildrenWithItsCause(t *testing.T) {
	parent := newScope(nil)
	a, b := newScope(parent), newScope(parent)
	why := errors.New("why")
	b.cancel(why)
	assert.True(t, isDone(b))
	assert.Same(t, why, b.Err())
	assert.False(t, isDone(parent), "a child's cancel does not reach its parent")
	assert.NoError(t, parent.Err())
	assert.Len(t, parent.children, 1, "a cancelled child leaves its parent")

	parent.cancel(nil)
	assert.True(t, isDone(parent) && isDone(a))
	assert.ErrorIs(t, parent.Err(), context.Canceled)
	assert.ErrorIs(t, a.Err(), context.Canceled)
	assert.Same(t, why, b.Err(), "a second cancel does not change the cause")
	assert.Empty(t, parent.children)

	late := newScope(parent)
	assert.True(t, isDone(late), "a child of an ended scope starts ended")
	assert.ErrorIs(t, late.Err(), context.Canceled)
}
